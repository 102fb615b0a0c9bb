"""Sixth round (issue 11, document structure): branches that route as the text says."""

from __future__ import annotations

from procedures.compiler import compile_source
from procedures.compiler.rules.document import blocks
from procedures.steps import DecideStep
from tests.procedures.graph_walk import walk

_LADDER = (
    "## Damage charges\n\n"
    "  under $20        -> tag the ticket wear-and-tear. Set the ticket to solved.\n"
    "  $20 or more      -> tag the ticket damage-hold.\n"
    "                      Reply to the customer that the deposit is held.\n"
)


def _run(source: str, case: dict, **kwargs):
    result = compile_source(source, compiler="rules")
    return walk(result.graph, {"ticket_id": 1, "tags": [], "subject": "Expenses", **case}, **kwargs)


def test_a_line_hanging_under_an_arrow_rung_carries_that_rung_on():
    rungs = [b.segment.text for b in blocks(_LADDER)[1:]]
    assert len(rungs) == 2
    assert rungs[1].endswith("Reply to the customer that the deposit is held.")


def test_every_sentence_of_an_arrow_rung_stays_on_that_rung():
    low = _run(_LADDER, {"amount": 10})
    high = _run(_LADDER, {"amount": 50})
    assert low.ops() == ["zendesk.add_tags", "zendesk.update_ticket"]
    assert high.ops() == ["zendesk.add_tags", "zendesk.reply"]


def test_a_list_under_an_arrow_lead_in_is_still_a_list():
    found = blocks("-> once verified (a person decides):\n   reply to the buyer\n   set the ticket to pending\n")
    assert len(found) == 1 and len(found[0].children) == 2


_REFUNDS = (
    "1. Refunds under $100 are approved automatically: issue the refund through the billing system and reply to "
    "the customer that the refund is on its way.\n"
    "2. Refunds of $100 or more need approval from a billing manager.\n"
    "3. Once approved, issue the refund through the billing system, reply to the customer with the refund amount "
    "and tag the ticket refund-issued.\n"
)


def test_once_approved_steps_run_only_after_the_approval_not_after_the_branch_that_already_acted():
    small = _run(_REFUNDS, {"amount": 50})
    large = _run(_REFUNDS, {"amount": 150}, approvals={"Billing managers": True})
    assert small.ops() == ["http.request", "zendesk.reply"]
    assert large.ops() == ["http.request", "zendesk.reply", "zendesk.add_tags"]


def test_a_path_that_needed_no_approval_still_runs_the_approved_steps():
    source = (
        "- total over $250 -> finance manager approves\n"
        "- approved -> email the employee that it will be paid with the next salary\n"
    )
    assert _run(source, {"amount": 100, "requester_email": "a@example.com"}).ops() == ["email.send"]
    approved = _run(source, {"amount": 400, "requester_email": "a@example.com"}, approvals={"Finance managers": True})
    assert approved.ops() == ["email.send"]


def test_a_range_up_to_and_including_its_top_routes_each_amount_to_one_rung():
    source = (
        "1. If the disputed amount is under $25, tag the ticket writeoff.\n"
        "2. For disputed amounts from $25 up to and including $500, tag the ticket standard.\n"
        "3. For disputed amounts over $500, tag the ticket high-value.\n"
    )
    tagged = {
        amount: [p["tags"] for p in _run(source, {"amount": amount}).calls("zendesk.add_tags")]
        for amount in (10, 25, 500, 900)
    }
    assert tagged == {
        10: [["writeoff"]],
        25: [["standard"]],
        500: [["standard"]],
        900: [["high-value"]],
    }


def test_bare_rungs_after_a_field_rung_compare_that_field():
    source = (
        "## Outage claims\n\n"
        "- outage_hours 12 or less: tag the ticket gs-none.\n"
        "- more than 12 and up to 24: tag the ticket gs-standard.\n"
        "- more than 24: tag the ticket gs-extended.\n"
    )
    tagged = {
        hours: [p["tags"] for p in _run(source, {"fields": {"outage_hours": hours}}).calls("zendesk.add_tags")]
        for hours in (8, 12, 20, 24, 30)
    }
    assert tagged == {
        8: [["gs-none"]],
        12: [["gs-none"]],
        20: [["gs-standard"]],
        24: [["gs-standard"]],
        30: [["gs-extended"]],
    }


def test_a_bare_rung_after_a_question_is_not_guessed_onto_a_field():
    source = "- the customer seems upset: tag the ticket calm-down.\n- more than 24: tag the ticket gs-extended.\n"
    result = compile_source(source, compiler="rules")
    conditions = [b.when for s in result.graph.steps if isinstance(s, DecideStep) for b in s.branches]
    assert conditions == []
