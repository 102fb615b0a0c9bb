"""Round 9 (issue 11): actions said in the words teams use — an instruction that names its means ("loop in
Legal by adding the tag legal-review"), routing verbs, tags that stop where the tag list stops — each with the
parameters the text writes, and nothing where the sentence describes, defines, answers a question or forbids."""

from __future__ import annotations

import pytest

from procedures.compiler import compile_source
from procedures.steps import ActStep


def _acts(source: str) -> list[ActStep]:
    result = compile_source(source, compiler="rules")
    return [s for s in result.graph.steps if isinstance(s, ActStep)]


def _only(source: str, operation: str) -> list[dict]:
    return [s.params for s in _acts(source) if s.operation == operation]


# --- the means after "by" ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, tag",
    [
        ("Loop in the privacy team by adding the tag privacy-check.", "privacy-check"),
        ("Flag the ticket to the fraud desk by tagging it fraud-watch.", "fraud-watch"),
        ("If the order is over $900, notify the warehouse lead by adding the tag big-order.", "big-order"),
        ("keep the account team posted by tagging the ticket am-heads-up", "am-heads-up"),
    ],
)
def test_a_purpose_said_first_and_the_tag_after_by_tags_the_ticket(sentence, tag):
    tags = _only(f"1. {sentence}\n2. Reply to the customer that we are on it.\n", "zendesk.add_tags")
    assert len(tags) == 1 and f'"{tag}"' in tags[0]["tags"]


def test_a_purpose_said_first_and_the_group_after_by_routes_the_ticket():
    updates = _only(
        "1. Escalate to the duty supervisor by assigning the ticket to the Night Desk group.\n"
        "2. Loop in the returns lead by moving the ticket to the Returns Review group.\n",
        "zendesk.update_ticket",
    )
    assert [u["group"] for u in updates] == ["Night Desk", "Returns Review"]


def test_a_means_sopdesk_does_not_know_stays_a_question():
    source = "1. Loop in the landlord by phoning the site office.\n2. Tag the ticket site-call.\n"
    assert [s.operation for s in _acts(source)] == ["zendesk.add_tags"]


@pytest.mark.parametrize(
    "sentence",
    [
        "The privacy team is looped in by adding the tag privacy-check.",
        "The system will loop in the privacy team by adding the tag privacy-check.",
        "We loop in the privacy team by adding the tag privacy-check.",
        "Do not loop in the privacy team by adding the tag privacy-check.",
        "Looping in the privacy team means adding the tag privacy-check.",
    ],
)
def test_the_same_words_that_describe_define_or_forbid_tag_nothing(sentence):
    source = f"1. {sentence}\n2. Reply to the customer that we are on it.\n"
    assert not _only(source, "zendesk.add_tags")


def test_the_means_in_a_faq_answer_or_a_definition_tags_nothing():
    source = (
        "## Steps\n1. Reply to the customer that we are on it.\n\n"
        "## FAQ\n**Q: How do we tell the privacy team?**\nA: Loop in the privacy team by adding the tag privacy-check.\n\n"
        "## Definitions\n- Escalation: loop in the lead by assigning the ticket to the Leads group.\n"
    )
    assert [s.operation for s in _acts(source)] == ["zendesk.reply"]


def test_a_means_that_points_back_keeps_the_target_the_purpose_names():
    updates = _only("1. Escalate to the Disputes Desk group by assigning the ticket there.\n", "zendesk.update_ticket")
    assert [u["group"] for u in updates] == ["Disputes Desk"]


# --- routing: pass, moves, an address as the assignee ----------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Pass the ticket to the Claims Review group.",
        "pass it to the Claims Review group rather than deciding alone",
        "The ticket moves to the Claims Review group.",
    ],
)
def test_passing_or_moving_the_ticket_to_a_named_group_routes_it(sentence):
    updates = _only(f"1. {sentence}\n2. Reply to the customer that we are on it.\n", "zendesk.update_ticket")
    assert [u.get("group") for u in updates] == ["Claims Review"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Assign the ticket to dock.lead@example.com.",
        "Escalate to the dock lead by assigning the ticket to dock.lead@example.com.",
        "hand it to the dock lead at dock.lead@example.com",
    ],
)
def test_an_address_the_ticket_is_assigned_to_is_its_assignee(sentence):
    updates = _only(f"1. {sentence}\n", "zendesk.update_ticket")
    assert [u.get("assignee_email") for u in updates] == ["dock.lead@example.com"]


@pytest.mark.parametrize(
    "sentence",
    [
        "The ticket moves to the Claims Review group automatically.",
        "Questions about the desk go to dock.lead@example.com.",
        "Never pass the ticket to the Claims Review group.",
    ],
)
def test_routing_words_that_describe_or_forbid_route_nothing(sentence):
    source = f"1. {sentence}\n2. Reply to the customer that we are on it.\n"
    assert not _only(source, "zendesk.update_ticket")


# --- tags stop where the tag list stops ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, tags",
    [
        ("Tag the ticket port-hold and work out what the carrier wants.", ["port-hold"]),
        ("tag ticket intake-request (reporting counts them, every ticket)", ["intake-request"]),
        ("Tag the ticket `priority-review` and `billing-review`.", ["priority-review", "billing-review"]),
    ],
)
def test_words_after_the_tags_are_not_tags(sentence, tags):
    found = _only(f"1. {sentence}\n", "zendesk.add_tags")
    assert len(found) == 1
    assert found[0]["tags"] == "{{ [" + ", ".join(f'"{t}"' for t in tags) + "] }}"
