"""Ninth round (issue 11): precision gates found by writing SOP passages in the shapes real teams use (a wait's
timeout said again as its own sentence, …) and compiling them: every automated step must be one a careful ops
manager would call right."""

from __future__ import annotations

from procedures.steps import ActStep, ApproveStep, WaitStep
from tests.procedures.rules_support import compile_rules as _compile
from tests.procedures.rules_support import steps_of as _steps


def _by_key(result):
    return {s.key: s for s in result.graph.steps}


def test_a_timeout_said_again_is_the_first_waits_way_out_not_a_second_wait():
    result = _compile(
        "1. Reply to the customer asking for the order number and set the ticket to pending.\n"
        "2. Wait 3 business days for the customer to reply. When they reply, tag the ticket order-received.\n"
        '   If they have not replied after 3 business days, add an internal note "no answer" and solve the ticket.\n'
    )
    waits = _steps(result, WaitStep)
    assert len(waits) == 1
    steps = _by_key(result)
    assert steps[waits[0].on_event].operation == "zendesk.add_tags"
    assert steps[waits[0].next].operation == "zendesk.add_note"


def test_a_row_of_a_contacts_table_assigns_nothing():
    result = _compile(
        "# Escalation contacts\n\n"
        "| Team | Contact | SLA |\n|---|---|---|\n"
        "| Billing | billing@example.com | 1 business day |\n"
        "| Security | security@example.com | 4 hours |\n\n"
        "1. For billing questions, email billing@example.com with the ticket link.\n2. Solve the ticket.\n"
    )
    groups = [s.params.get("group") for s in _steps(result, ActStep) if s.operation == "zendesk.update_ticket"]
    assert not [g for g in groups if g]
    assert any("table row that asks for no action" in w.message for w in result.warnings)


def test_a_row_of_a_routing_table_still_assigns():
    result = _compile(
        "| Category | Group |\n|---|---|\n| refund | Billing |\n| login | Accounts |\n\n"
        "Route each ticket by the table above, then tag it triaged.\n"
    )
    assert not any("table row that asks for no action" in w.message for w in result.warnings)


def test_updating_a_record_field_with_no_new_value_is_asked():
    result = _compile(
        "1. Reply to the customer offering the annual plan at 20% off.\n"
        "2. Once they accept, update the plan in Salesforce and tag the ticket upgrade-accepted.\n"
    )
    assert "salesforce.update_record" not in [s.operation for s in _steps(result, ActStep)]
    assert any("`true` is a guess" in w.message for w in result.warnings)


def test_a_summary_line_that_restates_the_steps_solves_nothing_by_itself():
    result = _compile(
        "1. If the customer is eligible for a refund, tag the ticket refunded.\n"
        "2. If the request looks like fraud, assign the ticket to the Risk group.\n\n"
        "Summary: refund eligible orders, tag them refunded and solve the ticket.\n"
    )
    solved = [s for s in _steps(result, ActStep) if s.params.get("status") == "solved"]
    assert not solved
    shown = [c.kind for c in result.coverage if c.text.startswith("Summary:")]
    assert shown == ["summary"] or any("summary" in w.message for w in result.warnings)


def test_a_pause_whose_time_is_said_again_is_waited_once():
    result = _compile(
        "Reply to affected customers with the outage macro.\n"
        "Wait 2 hours for the status page to update. If the status page still shows the incident after 2 hours, "
        "page the on-call engineer via POST /pagerduty.\n"
    )
    assert len([w for w in _steps(result, WaitStep) if w.delay]) == 1


def test_an_approval_based_on_photos_does_not_wait_for_a_photo_nobody_asked_for():
    result = _compile(
        "Orders over $300: the warehouse lead approves first, based on the photos, then tag the ticket ok.\n"
    )
    assert not _steps(result, WaitStep)
    [approve] = _steps(result, ApproveStep)
    assert approve.evidence


def test_a_reply_before_a_sign_off_the_sop_says_comes_first_is_asked():
    result = _compile(
        "| Request | What to do |\n|---|---|\n"
        "| Early termination | Reply to the customer with the termination fee |\n\n"
        "Early terminations need approval from the contracts manager before you promise anything. Once the "
        "contracts manager approves, reply to the customer confirming the termination date.\n"
    )
    steps = _by_key(result)
    [approve] = _steps(result, ApproveStep)
    replies = [s for s in _steps(result, ActStep) if s.operation == "zendesk.reply"]
    assert [r.key for r in replies] == [steps[approve.on_approved].key]
    assert any("before you promise" in w.message for w in result.warnings)


def test_a_reply_whose_text_would_be_our_instruction_is_asked():
    result = _compile(
        "If the item is damaged, ask for a photo.\n"
        "Reply to the customer quoting the repair fee.\n"
        "Reply to the customer that the repair is booked.\n"
    )
    bodies = [s.params["body"] for s in _steps(result, ActStep) if s.operation == "zendesk.reply"]
    assert not [b for b in bodies if b.lower().startswith(("ask for", "reply to the customer"))]
    assert any("word for word" in w.message for w in result.warnings)


def test_the_answer_of_a_question_and_answer_pair_is_not_done_for_every_case():
    result = _compile(
        "1. If the balance is zero, reply that the card has been used.\n\n"
        "Common questions\n"
        "Q: The customer says the card was stolen?\n"
        "A: Tag the ticket giftcard-stolen and assign it to the Fraud group.\n"
    )
    groups = [s.params.get("group") for s in _steps(result, ActStep) if s.operation == "zendesk.update_ticket"]
    assert "Fraud" not in groups
    assert any("card was stolen" in w.message for w in result.warnings)


def test_a_solve_from_one_sentence_is_asked_when_another_says_when_to_close():
    result = _compile(
        "1. If the customer wants to cancel, reply confirming the cancellation and set the ticket to solved.\n"
        "2. If they only want to pause, tag the ticket pause.\n"
        "Remember: close the ticket only after the customer confirms.\n"
    )
    assert not [s for s in _steps(result, ActStep) if s.params.get("status") == "solved"]
    assert any("only after the customer confirms" in w.message for w in result.warnings)


def test_a_line_of_response_targets_by_class_sends_no_acknowledgement():
    result = _compile(
        "Urgent tickets must be answered within 1 hour, high within 4 hours.\n"
        "If an urgent ticket has no reply after 1 hour, assign it to the Escalations group.\n"
    )
    assert "zendesk.reply" not in [s.operation for s in _steps(result, ActStep)]
    assert any("response-time targets" in w.message for w in result.warnings)


def test_one_acknowledgement_deadline_still_sends_the_acknowledgement():
    result = _compile("A security report must be acknowledged within 1 hour.\n")
    assert "zendesk.reply" in [s.operation for s in _steps(result, ActStep)]


def test_an_action_for_one_kind_of_ticket_no_condition_checks_is_asked():
    result = _compile(
        "VIP customers get a personal reply from a senior agent. Assign VIP tickets to the Senior Support group.\n"
        "For everyone else, reply with the standard macro.\n"
    )
    groups = [s.params.get("group") for s in _steps(result, ActStep) if s.operation == "zendesk.update_ticket"]
    assert "Senior Support" not in groups
    assert any("'vip'" in w.message for w in result.warnings)


def test_a_line_that_defines_a_period_is_no_wait():
    result = _compile(
        "Refund window: 14 days from purchase.\n\n"
        "- Within the window: solve the ticket.\n- Otherwise: reply declining and solve the ticket.\n"
    )
    assert not [w for w in _steps(result, WaitStep) if w.delay]
    assert any("defines a period" in w.message for w in result.warnings)
