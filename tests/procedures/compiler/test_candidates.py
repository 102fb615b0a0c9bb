"""Stage 3: a clause becomes a typed candidate (condition, action with parameters, approval) or nothing."""

from __future__ import annotations

import pytest

from procedures.compiler.rules.actions import recognise
from procedures.compiler.rules.candidates import Act, Approve, End
from procedures.compiler.rules.conditions import condition
from procedures.compiler.rules.vocabulary import Known


def test_a_condition_keeps_both_halves_or_is_not_a_condition():
    found = condition("over $500 and the region is EMEA", Known())
    assert found.cel == '(case.amount > 500.0) && (case.fields.region == "EMEA")'
    assert condition("over $500 and the customer seems unhappy about it", Known()) is None
    both = condition("the plan is Enterprise and the amount is over $500", Known())
    assert both is not None and "account.plan" in both.cel and "case.amount > 500.0" in both.cel


def test_a_range_has_both_bounds():
    found = condition("$100–500", Known())
    assert found.cel == "case.amount >= 100.0 && case.amount <= 500.0"


def test_angry_or_mentions_a_lawyer_or_chargeback_matches_every_alternative():
    found = condition("customer angry or mentions a lawyer / chargeback", Known())
    for word in ("angry", "lawyer", "chargeback"):
        assert word in found.cel


def test_a_count_of_enterprise_customers_is_not_a_test_of_the_plan():
    assert condition("more than 5 Enterprise customers are affected", Known()) is None


def test_jira_project_issue_type_and_priority_come_from_the_text():
    spec = recognise("Raise an Incident in the Jira project OPS with priority Highest", Known())
    assert isinstance(spec, Act) and spec.operation == "jira.create_issue"
    assert (spec.params["project"], spec.params["issue_type"], spec.params["priority"]) == (
        "OPS",
        "Incident",
        "Highest",
    )
    ticket = recognise("open a ticket in the BILL project, priority High", Known())
    assert (ticket.params["project"], ticket.params["priority"]) == ("BILL", "High")


def test_a_jira_issue_without_a_project_is_a_question_not_a_default_project():
    assert recognise("open a Jira bug", Known()) is None


def test_let_someone_know_by_email_mails_that_person_never_the_requester_by_default():
    owner = recognise("let the account owner know by email", Known())
    assert owner.operation == "email.send" and "account.owner_email" in owner.params["to"]
    assert "requester" not in owner.params["to"]
    manager = recognise("message the employee's manager", Known())
    assert manager is None or "case.requester_email" not in manager.params["to"]
    assert recognise("send a reminder", Known()) is None


def test_email_body_is_composed_from_the_case_not_the_sop_sentence():
    spec = recognise("loop in the account owner by email", Known())
    assert "{{ case.url }}" in spec.params["body"]
    assert "loop in" not in spec.params["body"].lower()


def test_escalate_to_a_configured_tier_changes_the_group_and_an_unknown_tier_is_a_question():
    spec = recognise("escalate to Tier 2", Known())
    assert spec.operation == "zendesk.update_ticket" and spec.params["group"] == "Tier 2"
    assert recognise("escalate to Tier 3", Known()) is None


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("finance has to sign off", "Finance"),
        ("needs an OK from the team lead", "Team leads"),
        ("the ops director approves", "Ops directors"),
    ],
)
def test_approvals_carry_the_role_the_text_names(text, role):
    spec = recognise(text, Known())
    assert isinstance(spec, Approve) and spec.roles == [role] and spec.named


def test_close_as_solved_resolves_the_case():
    spec = recognise("close as solved", Known())
    assert isinstance(spec, End) and spec.outcome == "resolved"
