"""Clause → candidate details that decide whether an automated step does exactly what its sentence says."""

from __future__ import annotations

from procedures.compiler.rules import compile_rules
from procedures.compiler.rules.actions import recognise
from procedures.compiler.rules.conditions import condition
from procedures.compiler.rules.vocabulary import Known, event_for
from procedures.steps import ActStep, ApproveStep, DecideStep, WaitStep


def _acts(source: str) -> list[ActStep]:
    return [s for s in compile_rules(source).graph.steps if isinstance(s, ActStep)]


def test_shorthand_is_never_spelled_out_inside_an_address():
    (mail,) = _acts("Email the CX team at cx-orders@northpeak.example.")
    assert "cx-orders@northpeak.example" in mail.params["to"]


def test_a_replacement_is_not_a_reply_and_a_scan_is_waited_for():
    assert event_for("Wait 2 hours for the scan of the replacement pick") == "warehouse.scanned"
    waits = [s for s in compile_rules("Wait 2 hours for the scan of the replacement pick.").graph.steps]
    assert any(isinstance(s, WaitStep) and s.for_event == "warehouse.scanned" for s in waits)


def test_a_number_or_less_is_a_bound_on_the_field_not_a_list_of_values():
    known = Known(identifiers=frozenset({"detention_hours"}))
    assert condition("detention_hours is 2 or less", known).cel == "case.fields.detention_hours <= 2"
    assert condition("detention_hours is 3 or more", known).cel == "case.fields.detention_hours >= 3"


def test_the_endpoint_and_path_the_sentence_names_are_the_ones_called():
    spec = recognise("Page the on-call lead by sending a POST to the pager endpoint at /incidents", Known())
    assert spec.operation == "http.request"
    assert (spec.params["endpoint"], spec.params["path"]) == ("pager", "/incidents")


def test_a_group_is_the_name_before_group_not_the_clause_around_it():
    spec = recognise("Assign the ticket to the Payments On-call group", Known())
    assert spec.params["group"] == "Payments On-call"
    spec = recognise("Route it to the T&S Escalations group", Known())
    assert spec.params["group"] == "T&S Escalations"


def test_money_is_compared_on_the_sop_s_own_money_field():
    known = Known(identifiers=frozenset({"order_value", "expedited"}))
    assert condition("orders of $200 or more", known).cel == "case.fields.order_value >= 200.0"
    shortfall = Known(identifiers=frozenset({"shortfall"}))
    assert condition("Shortfall £500 or more", shortfall).cel == "case.fields.shortfall >= 500.0"
    assert condition("orders of $200 or more", Known()).cel == "case.amount >= 200.0"


def test_a_reply_asked_for_by_another_channel_or_saying_only_a_verb_is_a_question():
    by_mail = compile_rules("Let the customer know by email at the address on file that their SIM was changed.")
    assert not any(isinstance(s, ActStep) and s.operation == "zendesk.reply" for s in by_mail.graph.steps)
    bare = compile_rules("Tag the ticket sim-swap. Confirm and notify.")
    assert [s.operation for s in bare.graph.steps if isinstance(s, ActStep)] == ["zendesk.add_tags"]


def test_an_approver_whose_approval_the_sentence_says_is_not_enough_is_not_the_approver():
    result = compile_rules(
        "A referral also needs sign-off from the head of claims; the senior handler's approval is not enough on its own."
    )
    roles = [s.role.lower() for s in result.graph.steps if isinstance(s, ApproveStep)]
    assert "senior handlers" not in roles and "senior handler" not in roles


def test_a_who_line_is_metadata_not_a_step():
    result = compile_rules("who: Care agents on chat + email.\n\nTag the ticket missing-items.")
    assert [s.operation for s in result.graph.steps if isinstance(s, ActStep)] == ["zendesk.add_tags"]
    assert not any(isinstance(s, DecideStep) for s in result.graph.steps)


def test_a_value_the_sop_lists_for_a_field_is_compared_on_that_field():
    source = (
        "Each refund ticket has the fields event_status (cancelled, postponed or on_sale) and ticket_type "
        "(standard, vip_package or resale).\n\n1. If the event is cancelled, tag the ticket refund-cancelled.\n"
    )
    result = compile_rules(source)
    branches = [b.when for s in result.graph.steps if isinstance(s, DecideStep) for b in s.branches]
    assert branches == ['case.fields.event_status == "cancelled"']
    known = Known(identifiers=frozenset({"event_status"}), values={"event_status": ("cancelled", "postponed")})
    assert condition("the customer is cancelled", known) is None  # not what the field is about


def test_a_hard_wrapped_line_that_starts_with_a_code_name_goes_on_the_sentence():
    result = compile_rules(
        "Look up the customer's account in Salesforce, then tag the ticket\n`vip-care` for the care team.\n"
    )
    tags = [
        s.params["tags"] for s in result.graph.steps if isinstance(s, ActStep) and s.operation == "zendesk.add_tags"
    ]
    assert tags == ['{{ ["vip-care"] }}']


def test_a_reason_then_so_if_is_a_rule_of_its_own():
    result = compile_rules(
        "Retention controls are self-serve on every plan except Enterprise, so if the account plan is not "
        "Enterprise, reply with the link to the help article and set the ticket to solved.\n\n"
        "For every other account, tag the ticket retention-enterprise.\n"
    )
    branches = [b.when for s in result.graph.steps if isinstance(s, DecideStep) for b in s.branches]
    assert branches == ['account.plan != "Enterprise"']
    assert "zendesk.add_tags" in [s.operation for s in result.graph.steps if isinstance(s, ActStep)]


def test_below_a_number_is_a_comparison_and_the_same_approval_is_no_role():
    known = Known(identifiers=frozenset({"retention_days"}))
    assert condition("retention_days is below 30", known).cel == "case.fields.retention_days < 30"
    result = compile_rules("Tag the ticket legal-hold. Releases go through the same approval.")
    assert not any(isinstance(s, ApproveStep) for s in result.graph.steps)


def test_a_heading_in_capitals_is_a_heading_and_a_listed_value_alone_is_a_case():
    source = (
        "The fields are issue (no_heat, no_cooling, noise) and indoor_temp_f.\n\nSAFETY FIRST\n\n"
        "For no_cooling, assign the ticket to the Residential Dispatch group.\n"
    )
    result = compile_rules(source)
    assert next(c for c in result.coverage if c.text == "SAFETY FIRST").kind == "heading"
    branches = [b.when for s in result.graph.steps if isinstance(s, DecideStep) for b in s.branches]
    assert branches == ['case.fields.issue == "no_cooling"']


def test_a_table_row_n_and_above_is_a_lower_bound():
    source = (
        "| indoor_temp_f | priority |\n|---|---|\n| below 50 | Set the ticket priority to urgent |\n"
        "| 50 and above | Set the ticket priority to normal |\n"
    )
    result = compile_rules(source)
    branches = [b.when for s in result.graph.steps if isinstance(s, DecideStep) for b in s.branches]
    assert "case.fields.indoor_temp_f >= 50" in branches


def test_markup_is_read_through_and_over_a_up_to_b_is_a_range():
    assert condition("**Over £150 and up to £1,000**", Known()).cel == "case.amount > 150.0 && case.amount <= 1000.0"
    known = Known(identifiers=frozenset({"claim_type", "policy_age_days"}))
    assert condition("the `claim_type` field is illness", known).cel == 'case.fields.claim_type == "illness"'
    assert condition("`policy_age_days` is below 14", known).cel == "case.fields.policy_age_days < 14"


def test_a_note_that_asks_someone_to_check_is_a_note_and_a_public_reply_is_a_reply():
    note = recognise("Add an internal note asking the handler to check the rider limits", Known())
    assert note.operation == "zendesk.add_note"
    assert recognise("send the customer a public reply acknowledging the claim", Known()).operation == "zendesk.reply"


def test_start_by_doing_is_the_doing():
    result = compile_rules("Start by looking up the customer's account in Salesforce. Tag the ticket retention-review.")
    assert [getattr(s, "operation", None) for s in result.graph.steps][:2] == [
        "salesforce.query_account",
        "zendesk.add_tags",
    ]


def test_a_usual_field_word_means_the_sop_s_own_field_of_that_name():
    known = Known(identifiers=frozenset({"dispute_reason", "seller_strikes"}))
    assert condition("the reason is no_show", known).cel == 'case.fields.dispute_reason == "no_show"'
    assert condition("2 or more strikes", known).cel == "case.fields.seller_strikes >= 2"
    assert condition("the seller already has 2 or more strikes", known).cel == "case.fields.seller_strikes >= 2"
    assert condition("the reason is no_show", Known()).cel == 'case.fields.reason == "no_show"'


def test_values_listed_for_a_field_are_read_after_its_name_or_alone_as_a_list():
    known = Known(
        identifiers=frozenset({"consent_status", "requester_role"}),
        values={"consent_status": ("none", "pending", "verified"), "requester_role": ("parent", "teacher")},
    )
    assert condition("consent_status verified", known).cel == 'case.fields.consent_status == "verified"'
    assert condition("none OR pending", known).cel == 'case.fields.consent_status in ["none", "pending"]'
    assert condition("parent / teacher", known).cel == 'case.fields.requester_role in ["parent", "teacher"]'
    assert condition("pending", known) is None  # one plain word alone could be anything
