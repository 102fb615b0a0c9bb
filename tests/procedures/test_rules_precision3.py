"""Second blind round (issue 11): shapes from SOPs 49–60 that made wrong automated steps or lost the rest of the
procedure — each is now the step the text asks for, or a question."""

from __future__ import annotations

from procedures.steps import ActStep, ApproveStep, DecideStep, WaitStep
from tests.procedures.rules_support import compile_rules as _compile
from tests.procedures.rules_support import conditions_of as _conditions
from tests.procedures.rules_support import ops_of as _ops
from tests.procedures.rules_support import steps_of as _steps


def test_a_timeout_sentence_after_a_wait_is_that_waits_timeout_not_a_second_wait():
    result = _compile(
        "Wait for the dock door scan to come through, for up to 4 hours after the booked slot. If no scan has "
        "arrived after 4 hours, email the receiving lead at lead@example.com with the PO number.\n"
    )
    [wait] = _steps(result, WaitStep)
    assert wait.for_event == "warehouse.scanned"
    assert result.graph.step(wait.next).operation == "email.send"


def test_a_restated_approval_asks_once():
    result = _compile(
        "1. For Enterprise accounts, the change needs sign-off from the account manager. Ask for it in the approval "
        "request; the account manager approves or declines.\n2. Tag the ticket admin-changed.\n"
    )
    assert len(_steps(result, ApproveStep)) == 1


def test_an_outcome_column_of_money_is_never_the_tables_condition():
    result = _compile(
        "Ticket fields: outage_hours, meter_id.\n\n"
        "  Outage length          Credit   Also do\n"
        "  ---------------------  -------  ------------------------\n"
        "  under 4 hours          none     tag the ticket no-credit\n"
        "  4 up to 12 hours       $25      tag the ticket credit-25\n"
        "  12 hours or more       $50      tag the ticket credit-50\n"
    )
    conditions = _conditions(result)
    assert not [c for c in conditions if "case.amount" in c]
    assert "case.fields.outage_hours < 4" in conditions


def test_a_field_the_sop_names_is_compared_rather_than_a_usual_word_inside_it():
    result = _compile(
        "The ticket's `change_reason` field says why; the `change_fee` field holds the fee.\n\n"
        "1. If the change reason is disruption, tag the ticket fee-waived.\n"
        "2. If the change fee is over $250, tag the ticket big-fee.\n"
    )
    conditions = _conditions(result)
    assert 'case.fields.change_reason == "disruption"' in conditions
    assert "case.fields.change_fee > 250.0" in conditions
    assert not [c for c in conditions if "case.amount" in c or "case.fields.reason" in c]


def test_a_disclaimer_starting_with_nothing_does_not_end_the_procedure():
    result = _compile("Nothing in this document is legal advice.\n\n1. Tag the ticket edd-review.\n")
    assert "zendesk.add_tags" in _ops(result)


def test_acknowledging_the_ticket_is_not_a_reply_to_the_customer():
    result = _compile("1. Acknowledge the ticket.\n   a. Set the ticket priority to urgent.\n")
    assert "zendesk.reply" not in _ops(result)


def test_a_checklist_item_under_a_list_marker_is_a_step_not_code():
    result = _compile("## At the door\n\n1. [ ] Tag the ticket received-ok.\n2. [ ] Solve the ticket.\n")
    assert "zendesk.add_tags" in _ops(result)


def test_an_approvers_title_with_and_in_it_is_one_role():
    result = _compile("1. A suspension needs approval from a Trust and Safety Lead first.\n2. Tag the ticket x.\n")
    [approve] = _steps(result, ApproveStep)
    assert approve.role == "Trust and Safety Lead"


def test_tone_guidance_under_a_plain_heading_is_not_sent_as_a_reply():
    result = _compile(
        "1. Tag the ticket outage-credit.\n\nTone\nAcknowledge the outage in the first sentence, keep it short.\n"
    )
    assert "zendesk.reply" not in _ops(result)


def test_an_explained_condition_scopes_the_rest_of_its_hard_wrapped_paragraph():
    result = _compile(
        "If the ticket is tagged chargeback, the customer has already asked their bank for the money back. Do not "
        "refund:\ntag the ticket refund-blocked and stop.\n\n1. Tag the ticket refund-ok.\n"
    )
    [decide] = [s for s in _steps(result, DecideStep) if s.branches]
    assert decide.branches[0].when == '"chargeback" in case.tags'
    tags_without_chargeback = [
        s.params.get("tags") for s in _reachable(result, decide.otherwise) if isinstance(s, ActStep)
    ]
    assert '{{ ["refund-ok"] }}' in tags_without_chargeback
    assert '{{ ["refund-blocked"] }}' not in tags_without_chargeback


def _reachable(result, start: str) -> list:
    seen, todo = [], [start]
    while todo:
        key = todo.pop()
        if not key or key in [s.key for s in seen]:
            continue
        step = result.graph.step(key)
        seen.append(step)
        data = step.model_dump()
        todo += [data.get(n) for n in ("next", "otherwise", "on_event", "on_approved", "on_rejected")]
        todo += [b["next"] for b in data.get("branches") or []]
        todo += [o["next"] for o in (data.get("judgement") or {}).get("outcomes", [])]
    return seen


def test_a_wait_whose_sentence_says_the_member_may_reply_waits_for_the_reply():
    result = _compile(
        "1. Tag the ticket strike.\n2. Wait 14 days for an appeal before solving the ticket; if the member replies "
        "within that time, the ticket stays open for the appeal reviewer.\n"
    )
    [wait] = _steps(result, WaitStep)
    assert wait.for_event == "customer.replied"
