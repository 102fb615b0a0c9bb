"""The plain-language read-back of every step kind, generated from the step (not copied from the SOP)."""

from __future__ import annotations

import pytest

from procedures import steps
from procedures.cel_words import condition_words, template_words
from procedures.readback import graph_readbacks, step_readback


def _graph(*step_list: dict, start: str | None = None) -> steps.Graph:
    return steps.parse({"start": start or step_list[0]["key"], "steps": list(step_list)})


END = {"key": "done", "kind": "end", "title": "Done"}


def test_an_action_under_a_condition_reads_like_the_issue_example():
    graph = _graph(
        {
            "key": "check",
            "kind": "decide",
            "title": "Check the plan",
            "branches": [{"when": 'account.plan == "Enterprise"', "next": "incident"}],
            "otherwise": "done",
        },
        {
            "key": "incident",
            "kind": "act",
            "title": "Raise an incident",
            "operation": "jira.create_issue",
            "params": {
                "project": "OPS",
                "issue_type": "Incident",
                "priority": "Highest",
                "summary": "{{ case.subject }}",
                "description": "See {{ case.url }}",
            },
            "next": "done",
        },
        END,
    )
    assert step_readback(graph.step("incident"), graph) == (
        "If the account plan is Enterprise → create an Incident in Jira project OPS, priority Highest, "
        "titled the ticket subject, with the ticket link"
    )
    assert step_readback(graph.step("check"), graph) == (
        "If the account plan is Enterprise → “Raise an incident”; otherwise → “Done”"
    )


def test_the_otherwise_branch_reads_as_the_negated_condition():
    graph = _graph(
        {
            "key": "check",
            "kind": "decide",
            "title": "Big claim?",
            "branches": [{"when": "case.amount > 5000", "next": "done"}],
            "otherwise": "note",
        },
        {
            "key": "note",
            "kind": "act",
            "title": "Note",
            "operation": "zendesk.add_note",
            "params": {"ticket_id": "{{ case.ticket_id }}", "body": "Small claim."},
            "next": "done",
        },
        END,
    )
    assert graph_readbacks(graph)["note"] == (
        "If the amount is at most 5,000 → add an internal note to the ticket saying “Small claim.”"
    )


def test_every_kind_has_a_sentence_of_its_own():
    graph = _graph(
        {
            "key": "account",
            "kind": "gather",
            "title": "Find the account",
            "operation": "salesforce.query_account",
            "params": {"email": "{{ case.requester_email }}"},
            "save_as": "account",
            "required": ["plan"],
            "next": "ask",
        },
        {
            "key": "ask",
            "kind": "decide",
            "title": "Is it abusive?",
            "judgement": {
                "question": "Is the message abusive?",
                "outcomes": [
                    {"key": "yes", "label": "Abusive", "next": "approve"},
                    {"key": "no", "label": "Fine", "next": "wait"},
                ],
            },
        },
        {
            "key": "approve",
            "kind": "approve",
            "title": "Manager sign-off",
            "role": "Trust and safety leads",
            "evidence": [{"kind": "screenshot", "min_count": 2}],
            "on_approved": "mail",
            "on_rejected": "done",
        },
        {
            "key": "wait",
            "kind": "wait",
            "title": "Wait for a reply",
            "for_event": "customer.replied",
            "delay": {"days": 3, "business": True},
            "on_event": "mail",
            "next": "closed",
        },
        {
            "key": "mail",
            "kind": "act",
            "title": "Tell the owner",
            "operation": "email.send",
            "params": {"to": "{{ [account.owner_email] }}", "subject": "Heads-up", "body": "{{ case.description }}"},
            "next": "done",
        },
        {"key": "closed", "kind": "end", "title": "Close", "outcome": "closed", "case_status": "closed"},
        {"key": "done", "kind": "end", "title": "Hand off", "outcome": "handed_off", "handoff_role": "Tier 3"},
    )
    read = graph_readbacks(graph)
    assert read["account"] == (
        "Look up the customer's Salesforce account by the requester's email; a person is asked if plan is missing"
    )
    assert (
        read["ask"] == "Ask a person: Is the message abusive? (Abusive → “Manager sign-off”; Fine → “Wait for a reply”)"
    )
    assert read["approve"] == (
        "Ask Trust and safety leads to approve (needs at least 2 screenshot); approved → “Tell the owner”; "
        "rejected → “Hand off”"
    )
    assert read["wait"] == (
        "Wait until the customer replies, at most 3 business days; if it happens → “Tell the owner”; if not → “Close”"
    )
    assert read["mail"] == "Email the account owner email, subject “Heads-up”, with the ticket description"
    assert read["closed"] == "Finish: the case is closed"
    assert read["done"] == "Hand the case off to Tier 3"


def test_a_read_back_changes_when_the_step_changes():
    """Generated from the step: a corrected priority reads differently (nothing is copied from the SOP text)."""
    base = {
        "key": "issue",
        "kind": "act",
        "title": "Open a ticket",
        "instruction": "Open a Highest ticket in OPS.",
        "operation": "jira.create_issue",
        "params": {"project": "OPS", "issue_type": "Task", "priority": "Low", "summary": "x", "description": "y"},
    }
    graph = _graph(base)
    assert "priority Low" in step_readback(graph.step("issue"), graph)
    assert "Highest" not in step_readback(graph.step("issue"), graph)


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        ('account.plan == "Free"', "the account plan is Free"),
        ("case.amount >= 100 && case.amount < 500", "the amount is at least 100 and the amount is less than 500"),
        (
            '"vip" in case.tags || case.fields.severity == "SEV1"',
            "the ticket is tagged vip or the severity field is SEV1",
        ),
        ('!("vip" in case.tags)', "the ticket is not tagged vip"),
        (
            '!has(case.assignee_email) || case.assignee_email == ""',
            "the assignee's email is not known or the assignee's email is empty",
        ),
        ('case.attachments.exists(a, a.kind == "photo")', "the attachments include one whose kind is photo"),
        ('account.plan in ["Pro", "Enterprise"]', "the account plan is one of Pro or Enterprise"),
        ("size(case.attachments) >= 2", "the number of attachments is at least 2"),
        ("case.amount ** 2 > 1", "‘case.amount ** 2 > 1’ holds"),  # not CEL we read: quoted as written
        ("matches(case.subject, '^RE:')", "‘matches(case.subject, '^RE:')’ holds"),
    ],
)
def test_conditions_in_english(expr, words):
    assert condition_words(expr) == words


@pytest.mark.parametrize(
    ("template", "words"),
    [
        ("{{ case.url }}", "the ticket link"),
        ("{{ case.subject }}", "the ticket subject"),
        ('{{ ["community-bug"] }}', "community-bug"),
        (
            '{{ account.plan == "Enterprise" ? "Highest" : "High" }}',
            "Highest if the account plan is Enterprise, else High",
        ),
        ("Jira issue {{ jira.key }}", "Jira issue [the Jira issue key]"),
        ("ENG", "ENG"),
    ],
)
def test_templates_name_their_facts_in_words(template, words):
    assert template_words(template) == words
