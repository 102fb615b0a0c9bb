"""Eighth round (issue 11): precision gates that read more than the step's own clause — a later paragraph that
says a person does it, the next sentence that sets what the step left out, evidence the sentence does not ask
for — plus one-way checks stated as the case the sentence names, time counted from another event, and reads
that nothing later uses or that were already made on the same path."""

from __future__ import annotations

from procedures.compiler.rules.certainty import Sure, unsure_condition
from procedures.compiler.rules.surroundings import duration_left_out
from procedures.steps import ActStep, ApproveStep, DecideStep, GatherStep, WaitStep
from tests.procedures.rules_support import compile_rules as _compile
from tests.procedures.rules_support import conditions_of as _conditions
from tests.procedures.rules_support import ops_of as _ops
from tests.procedures.rules_support import steps_of as _steps


def test_an_action_a_later_paragraph_says_a_person_does_is_asked_not_run():
    result = _compile(
        "Credit requests\n\n"
        "1. Apply the credit in the billing system; the invoice updates itself.\n"
        "2. Tag the ticket credit-done.\n\n"
        "Applying the credit in the billing system is done by a person in the billing console.\n"
    )
    assert "http.request" not in _ops(result)
    assert "zendesk.add_tags" in _ops(result)
    assert any("done by a person" in w.message for w in result.warnings)


def test_an_issue_whose_priority_is_set_in_the_next_sentence_is_asked():
    result = _compile(
        "1. Open a Task in the Jira project OPS with the ticket link. Use priority High for outages and Low for "
        "everything else.\n2. Tag the ticket ops-filed.\n"
    )
    assert "jira.create_issue" not in _ops(result)
    assert any("Which priority? It depends on 'outages'" in w.message for w in result.warnings)


def test_leaving_the_ticket_in_a_queue_sets_no_group():
    result = _compile("For a plain question, add an internal note and leave the ticket in the Billing queue.\n")
    assert not [s for s in _steps(result, ActStep) if s.operation == "zendesk.update_ticket"]


def test_a_request_sends_the_amount_its_sentence_gives():
    result = _compile(
        "1. Reply to the customer.\n2. Send a POST to the refunds endpoint at /credits with the amount 25.\n"
    )
    [request] = [s for s in _steps(result, ActStep) if s.operation == "http.request"]
    assert request.params["body"] == '{{ {"amount": 25} }}'


def test_a_request_that_leaves_out_a_value_its_sentence_gives_is_asked():
    result = _compile("1. Reply to the customer.\n2. Add 500 bonus points by sending a POST to the loyalty endpoint.\n")
    assert "http.request" not in _ops(result)


def test_an_approval_based_on_photos_does_not_ask_the_customer_for_them_by_itself():
    result = _compile(
        "Orders over $300: the warehouse lead approves first, based on the photos, then tag the ticket ok.\n"
    )
    assert [s.role for s in _steps(result, ApproveStep)]
    assert not [s for s in _steps(result, ActStep) if s.operation == "zendesk.reply"]


def test_an_approval_that_needs_a_photo_still_asks_for_it():
    result = _compile("Orders over $300 need at least one photo of the damage and the warehouse lead's approval.\n")
    assert [s for s in _steps(result, ActStep) if s.operation == "zendesk.reply"]


def test_photos_to_attach_to_an_approval_become_its_evidence():
    result = _compile(
        "For orders over $200, request approval from the store manager with the damage photos attached.\n"
    )
    [approve] = _steps(result, ApproveStep)
    assert [rule.kind for rule in approve.evidence] == ["photo"]


def test_an_approval_requested_with_papers_attached_that_it_does_not_ask_for_goes_to_a_person():
    result = _compile("For orders over $200, request approval from the store manager with the receipts attached.\n")
    assert not _steps(result, ApproveStep)


def test_a_sentence_about_what_happens_by_itself_is_no_wait():
    result = _compile(
        "1. Reply to the customer with the invoice.\n"
        "2. When the balance is settled, the payment system closes the invoice and the ticket solves itself.\n"
    )
    assert not _steps(result, WaitStep)


def test_a_one_way_check_states_the_case_the_sentence_names():
    result = _compile(
        "1. If the ticket is not tagged `press`, assign it to the General group and stop.\n"
        "2. Reply to the journalist with the press kit.\n"
    )
    check = next(s for s in _steps(result, DecideStep) if s.branches)
    assert [b.when for b in check.branches] == ['"press" in case.tags']
    route = result.graph.step(check.otherwise)
    assert isinstance(route, ActStep) and route.params["group"] == "General"


def test_not_equal_stays_when_the_sentence_says_not():
    result = _compile(
        "Look up the account in Salesforce. If the account plan is not Business, reply with the upgrade link.\n"
    )
    assert 'account.plan != "Business"' in _conditions(result)


def test_time_counted_from_another_event_is_not_the_field_s_age():
    result = _compile(
        "The ticket carries the field days_open.\n\n"
        "1. Reply to the customer with the reminder.\n"
        "2. If nothing arrives within 5 days of the reminder date, tag the ticket no-answer.\n"
    )
    assert not [c for c in _conditions(result) if "days_open" in c]
    assert any("reminder date" in w.message for w in result.warnings)


def test_the_same_read_twice_on_one_path_is_made_once():
    result = _compile(
        "1. Look up the account in Salesforce and tag the ticket account-checked.\n"
        "2. If the account plan is Enterprise, tag the ticket ent.\n"
        "3. Email the account owner about the delay.\n"
    )
    assert len([s for s in _steps(result, GatherStep) if s.operation == "salesforce.query_account"]) == 1


def test_reading_what_the_customer_sent_is_no_lookup():
    result = _compile(
        "1. Tag the ticket appeal.\n"
        "2. If the player writes back with new evidence about the account, read it and decide whether it changes "
        "anything.\n"
    )
    assert not [s for s in _steps(result, GatherStep) if s.operation]


def test_a_read_added_for_a_condition_points_at_the_condition_s_sentence():
    source = (
        "Customers on every plan write to us about seats and the account team answers them.\n\n"
        "1. If the account plan is Enterprise, tag the ticket ent-seat.\n"
        "2. Reply to the customer with the seat guide.\n"
    )
    result = _compile(source)
    for read in (s for s in _steps(result, GatherStep) if s.operation == "salesforce.query_account"):
        assert "Enterprise" in source[read.span.start : read.span.end]


def test_what_the_customer_answers_is_read_by_a_person_before_the_steps_after_it():
    result = _compile(
        "1. Reply to the customer offering a swap.\n"
        "2. Once the customer accepts the swap offer, create a Jira issue in the SWAP project.\n"
    )
    [wait] = _steps(result, WaitStep)
    after = result.graph.step(wait.on_event)
    assert isinstance(after, DecideStep) and after.judgement is not None
    yes = next(o for o in after.judgement.outcomes if o.key == "yes")
    assert result.graph.step(yes.next).operation == "jira.create_issue"


def test_an_approver_read_from_a_preposition_is_asked():
    result = _compile("1. Reply to the customer.\n2. Refunds for the customer need sign-off from Managers.\n")
    assert not [s for s in _steps(result, ApproveStep) if s.role.lower().startswith("from")]


def test_a_tag_named_by_what_it_holds_is_asked():
    result = _compile('1. Tag the ticket with the device model.\n2. Reply to the customer: "We are on it."\n')
    assert "zendesk.add_tags" not in _ops(result)
    assert "zendesk.reply" in _ops(result)


def test_a_request_that_leaves_out_a_number_of_its_own_clause_is_asked():
    result = _compile(
        "1. Reply to the guest.\n2. Add 500 bonus points by sending a POST to the loyalty endpoint at /bonus.\n"
    )
    assert "http.request" not in _ops(result)


def test_an_approval_for_a_range_no_condition_checks_is_asked():
    result = _compile(
        "1. Reply to the member.\n2. Disputes between 1,000 and 5,000 points need approval from a Loyalty Supervisor.\n"
    )
    assert not _steps(result, ApproveStep)


def test_an_action_for_any_occurrence_of_something_is_asked():
    result = _compile(
        '1. Reply to the customer: "We are on it."\n2. Raise a Jira issue in LOY for any platform error.\n'
    )
    assert "jira.create_issue" not in _ops(result)
    assert "zendesk.reply" in _ops(result)


def test_a_list_of_several_alternatives_is_not_read_as_its_first_one():
    result = _compile(
        "1. Reply to the patient.\n"
        "2. If the message mentions a rash, a fever, a fall or a new pill, tag the ticket medical-review.\n"
    )
    assert not [c for c in _conditions(result) if "rash" in c]


def test_a_price_with_no_comparison_word_is_no_threshold():
    result = _compile("lost badge notes\n\n- reply with the form\n- badge fee $30. fee waived if plan is Premium\n")
    assert not [c for c in _conditions(result) if "30" in c]


def test_what_a_request_must_name_is_read_by_a_person():
    result = _compile(
        "A request must name the order number, the item and the new size. If one is missing, reply asking for it.\n"
    )
    assert not [c for c in _conditions(result) if "has(" in c and "order_number" in c]


def test_a_field_named_after_the_case_s_word_is_asked_when_the_sop_names_a_longer_one():
    result = _compile(
        "The form fills in `surcharge_amount`.\n\n"
        "- Surcharge under $5: tag the ticket small-surcharge.\n"
        "- Surcharge over $50: reply to the driver.\n"
    )
    assert not [c for c in _conditions(result) if "case.fields.surcharge " in c or "case.amount" in c]


def test_a_wait_for_an_event_its_sentence_does_not_speak_of_is_asked():
    result = _compile(
        "1. Reply to the tenant with the form.\n2. Once the address question is settled, set the ticket to pending.\n"
    )
    assert not [s for s in _steps(result, WaitStep) if s.for_event == "claim.settled"]


def test_a_tag_looked_up_in_a_table_is_asked():
    result = _compile(
        "1. Find the row for the request and tag the ticket with the tag in that row.\n2. Reply to the fan.\n"
    )
    assert "zendesk.add_tags" not in _ops(result)


def test_the_member_s_tier_is_not_the_account_plan():
    result = _compile(
        "1. Reply to the member.\n2. Gold members: if the member's tier is Gold, set the ticket priority to high.\n"
    )
    assert not [c for c in _conditions(result) if "account.plan" in c]


def test_conditions_that_compare_the_other_way_or_convert_units_wrongly_are_unsure():
    sure = Sure()
    assert unsure_condition("case.amount > 10.0", "amount under $10", "", sure)
    assert unsure_condition("case.fields.delay_days < 1", "Delays under 12 hours", "", sure)
    assert unsure_condition("case.fields.delay_days > 2", "Delays over 48 hours", "", sure) is None
    assert unsure_condition('shipment.status == "parcel_is_not_delivered"', "the parcel is not delivered", "", sure)


def test_a_wait_whose_sentence_says_how_long_but_the_step_does_not():
    assert duration_left_out("after any reply: wait 5 biz days for them to answer.")
    assert duration_left_out("When the customer replies, add a note.") is None


def test_answers_under_a_questions_heading_are_notes_not_steps():
    result = _compile(
        "## Steps\n1. Tag the ticket claim.\n\n## Questions agents often ask\n\n"
        "**The broker wrote to us directly.** That's fine; reply on the ticket as usual.\n\n"
        "## Frequently asked questions\n\n**Can I email the customer?** Yes, email the customer if the ticket is closed.\n"
    )
    assert _ops(result) == ["zendesk.add_tags"]


def test_the_same_action_twice_on_one_path_is_done_once():
    result = _compile(
        "1. Tag the ticket vip-care and reply to the customer with the care guide.\n"
        "2. Assign the ticket to the Care group.\n\n"
        "Summary: tag the ticket vip-care.\n"
    )
    tags = [s for s in _steps(result, ActStep) if s.operation == "zendesk.add_tags"]
    assert len(tags) == 1


def test_an_approver_that_is_the_subject_of_another_clause_is_asked():
    result = _compile("1. Reply to the customer.\n2. Finance reviews the invoice and Billing approves the credit.\n")
    assert not [s for s in _steps(result, ApproveStep) if s.role.lower().startswith("finance")]


def test_emergency_advice_that_depends_on_what_someone_says_is_given_by_a_person():
    result = _compile(
        "1. Tag the ticket safety.\n"
        "2. If the guest says they are in immediate danger, tell them in your reply to call the emergency number.\n"
    )
    assert "zendesk.reply" not in _ops(result)


def test_the_same_approver_asked_again_on_one_path_is_asked_once_with_what_both_need():
    result = _compile(
        "1. Tag the ticket refund.\n2. Every refund needs sign-off from the finance lead.\n3. Reply to the customer.\n"
        "4. Then request approval from the finance lead with the receipt photos attached.\n5. Close the ticket.\n"
    )
    [approve] = _steps(result, ApproveStep)
    assert [rule.kind for rule in approve.evidence] == ["photo"]
