"""Fifth round (issue 11): status changes that are not the end of the procedure, values that are not fields,
and reply bodies written for the customer rather than copied from the SOP."""

from __future__ import annotations

from procedures.steps import ActStep, ApproveStep, DecideStep, EndStep, WaitStep
from tests.procedures.rules_support import compile_rules as _compile
from tests.procedures.rules_support import ops_of as _ops
from tests.procedures.rules_support import steps_of as _steps


def test_setting_the_ticket_to_solved_mid_section_does_not_end_the_procedure():
    result = _compile(
        "Reply to the customer with a link to the terms and set the ticket to solved.\n\n"
        "Either way, tag the ticket handled.\n"
    )
    assert _ops(result) == ["zendesk.reply", "zendesk.update_ticket", "zendesk.add_tags"]
    assert not [w for w in result.warnings if "Never reached" in w.message]


def test_solved_then_stop_still_ends_there():
    result = _compile("1. Reply to the customer, set the ticket to solved, and stop.\n2. Tag the ticket second-look.\n")
    solve = next(s for s in _steps(result, ActStep) if s.operation == "zendesk.update_ticket")
    assert isinstance(result.graph.step(solve.next), EndStep)


def test_solved_at_the_end_of_an_if_ends_that_branch_only():
    result = _compile(
        "If the account plan is not Enterprise, reply with the help article and set the ticket to solved.\n\n"
        "Tag the ticket enterprise-review.\n"
    )
    solve = next(s for s in _steps(result, ActStep) if s.operation == "zendesk.update_ticket")
    assert isinstance(result.graph.step(solve.next), EndStep)
    assert "zendesk.add_tags" in _ops(result)


def test_a_value_the_sop_lists_for_a_field_is_never_compared_as_a_field_of_its_own():
    result = _compile(
        "Each ticket has the field ticket_type (standard, vip_package or resale).\n\n"
        "A refund on a vip_package over $1,000 needs approval from the box office manager.\n"
    )
    conditions = [b.when for s in _steps(result, DecideStep) for b in s.branches]
    assert not [c for c in conditions if "case.fields.vip_package" in c]


def _reply_bodies(result) -> list[str]:
    return [s.params["body"] for s in _steps(result, ActStep) if s.operation == "zendesk.reply"]


def test_emergency_advice_told_to_someone_is_for_a_person_not_a_canned_reply():
    result = _compile(
        "If the customer mentions a gas smell, tell them to leave the house and call the emergency line.\n"
    )
    assert "zendesk.reply" not in _ops(result)
    assert any("emergency" in w.message for w in result.warnings)


def test_an_explicit_reply_in_an_emergency_is_still_the_reply():
    result = _compile("If emergency_signs is yes, reply to the owner telling them to phone the emergency line now.\n")
    assert _reply_bodies(result) == ["Please phone the emergency line now."]


def test_a_reply_speaks_to_the_customer_rather_than_about_them():
    result = _compile(
        "Reply to the fan that their tickets stay valid for the new date and that they can ask for a refund.\n"
    )
    assert _reply_bodies(result) == ["Your tickets stay valid for the new date and you can ask for a refund."]


def test_a_reply_asking_for_something_is_a_question_to_the_customer():
    result = _compile("If there is no attachment, reply to the customer asking for the certificate.\n")
    assert _reply_bodies(result) == ["Could you please send us the certificate?"]


def test_a_reply_that_names_only_what_to_send_is_composed_from_the_case_and_flagged():
    result = _compile("Reply with a link to the resale terms.\n")
    [body] = _reply_bodies(result)
    assert "{{ case.subject }}" in body and "a link to the resale terms" in body
    assert body != "A link to the resale terms."
    assert any("write it into the reply" in w.message for w in result.warnings)


def test_a_sentence_case_heading_ends_the_definitions_section_above_it():
    result = _compile(
        "Scope: personal loan customers.\n\n"
        "Definitions\n"
        "  Arrears days   how many days the oldest instalment is overdue\n"
        "  Vulnerable     a customer who has told us of a bereavement\n\n"
        "What every request gets\n"
        "  1. Tag the ticket hardship-request.\n"
        "  2. Look up the customer's account in Salesforce.\n"
    )
    assert _ops(result) == ["zendesk.add_tags"]
    assert not [w for w in result.warnings if "No step" in w.message]


def test_a_capitals_heading_with_a_dash_ends_the_inputs_section_above_it():
    result = _compile(
        "INPUTS ON THE TICKET\n  roaming_charge   the roaming part of the bill\n\n"
        "STEP 1 — ALWAYS\nTag the ticket bill-shock.\n"
    )
    assert _ops(result) == ["zendesk.add_tags"]


def test_a_message_quoting_a_step_done_by_hand_still_compiles_without_that_line():
    result = _compile(
        '1. Create a Jira issue in LEGAL, type Bug, priority as the duty lawyer says, summary "Signature disputed".\n'
        "2. Email legal-ops@example.com with the Jira key so the duty lawyer sees it tonight.\n"
    )
    assert "jira.create_issue" not in _ops(result)  # a priority the sentence does not write: a person raises it
    mail = next(s for s in _steps(result, ActStep) if s.operation == "email.send")
    assert "jira." not in mail.params["body"] and "{{ case.url }}" in mail.params["body"]
    assert any("done by hand" in w.message for w in result.warnings)


def test_an_id_is_never_compared_with_zero():
    result = _compile(
        "The ticket holds the envelope id in envelope_id.\n\n"
        "1. Confirm the ticket has the envelope id. No envelope id → reply asking for it.\n"
    )
    conditions = [b.when for s in _steps(result, DecideStep) for b in s.branches]
    assert not [c for c in conditions if "envelope_id == 0" in c]


def test_a_money_ladder_under_a_heading_naming_the_field_never_reads_the_case_amount():
    result = _compile(
        "A mechanic puts the estimate on the ticket as repair_estimate (in euros).\n\n"
        "THE LADDER (repair_estimate)\n"
        "  below €20         -> tag wear-and-tear\n"
        "  €20 – €50         -> tag deposit-hold\n"
        "  above €300        -> tag big-damage\n"
    )
    conditions = [b.when for s in _steps(result, DecideStep) for b in s.branches]
    assert not [c for c in conditions if "case.amount" in c]


def test_a_comparison_written_as_a_value_is_never_compared_as_text():
    result = _compile(
        "Each appeal has the field days_since_exam.\n\nIf days_since_exam is greater than 7, tag the ticket late.\n"
    )
    conditions = [b.when for s in _steps(result, DecideStep) for b in s.branches]
    assert not [c for c in conditions if '"greater than 7"' in c]


def test_an_email_to_an_address_held_in_a_field_goes_there_and_asks_in_the_readers_words():
    result = _compile(
        "Each PO ticket has the field buyer_email.\n\n"
        "1. Email the buyer named on the PO (their address is in the ticket's buyer_email field) asking them to "
        "contact the vendor.\n"
    )
    mail = next(s for s in _steps(result, ActStep) if s.operation == "email.send")
    assert mail.params["to"] == "{{ [case.fields.buyer_email] }}"
    assert mail.params["body"].startswith("Could you please contact the vendor?")


def test_telling_the_patient_something_after_a_reply_is_part_of_that_reply():
    result = _compile(
        "Reply with the reminder and tell the patient that a third strike means a $40 missed appointment fee.\n"
    )
    [body] = _reply_bodies(result)
    assert "A third strike means a $40 missed appointment fee." in body


def test_a_never_list_is_what_not_to_do_never_a_step():
    result = _compile(
        "1. Tag the ticket damage.\n\nNEVER\n"
        '- tell the rider the bike was "vandalised"\n'
        "- reply from a personal email\n"
    )
    assert _ops(result) == ["zendesk.add_tags"]


def test_the_approver_ends_where_the_request_goes_on():
    result = _compile("Request approval from the property manager with the move-out photos attached.\n")
    [approve] = _steps(result, ApproveStep)
    assert approve.role == "Property managers"


def test_a_lowercase_fyi_heading_makes_its_list_reference_not_steps():
    result = _compile(
        "- tag the ticket bag-claim\n\nmisc / FYI\n"
        "- 21 days from delivery is the legal limit for delayed-bag claims. we don't enforce it, legal does.\n"
    )
    assert _ops(result) == ["zendesk.add_tags"]
    assert not _steps(result, WaitStep)


def test_n_plus_is_never_exactly_n():
    result = _compile(
        "Tickets carry days_overdue.\n\n"
        "- 1-14 days overdue: tag the ticket reminder-1.\n"
        "- 61+ days overdue: tag the ticket presuspend.\n"
    )
    conditions = [b.when for s in _steps(result, DecideStep) for b in s.branches]
    assert "case.fields.days_overdue >= 1 && case.fields.days_overdue <= 14" in conditions
    assert not [c for c in conditions if "== 61" in c]


def test_a_ladder_of_bare_day_counts_reads_the_one_day_field_the_sop_names():
    result = _compile(
        "Inputs: `days_since_start` (days since the policy started).\n\n"
        "- **0 to 14 days:** tag the ticket cooling-off.\n"
        "- **15 to 60 days:** tag the ticket prorata-fee.\n"
        "- **61+ days:** tag the ticket late.\n"
    )
    conditions = [b.when for s in _steps(result, DecideStep) for b in s.branches]
    assert conditions == [
        "case.fields.days_since_start <= 14",
        "case.fields.days_since_start >= 15 && case.fields.days_since_start <= 60",
        "case.fields.days_since_start >= 61",
    ]


def test_email_as_a_noun_in_a_description_sends_nothing():
    result = _compile(
        "The parent's name and email come through as the requester.\n\n1. Tag the ticket bus-complaint.\n"
    )
    assert "email.send" not in _ops(result)


def test_a_rung_written_in_columns_is_compared_on_its_first_column():
    result = _compile(
        "Tickets carry days_overdue.\n\n"
        "- 1-14 days    friendly reminder: tag the ticket reminder-1.\n"
        "- 15-30 days   second reminder: tag the ticket reminder-2.\n"
    )
    conditions = [b.when for s in _steps(result, DecideStep) for b in s.branches]
    assert conditions[:2] == [
        "case.fields.days_overdue >= 1 && case.fields.days_overdue <= 14",
        "case.fields.days_overdue >= 15 && case.fields.days_overdue <= 30",
    ]


def test_a_case_label_the_compiler_cannot_read_is_asked_never_dropped():
    result = _compile(
        "1. Check the ticket has a photo attached.\n"
        "   a. No photo: reply asking for a photo of the item.\n"
        "   b. Photo attached: go to step 2.\n\n"
        "2. Tag the ticket checked.\n"
    )
    start = result.graph.step(result.graph.start)
    assert isinstance(start, DecideStep) and start.judgement is not None  # a person says which case it is
    assert result.graph.start != next(s.key for s in _steps(result, ActStep) if s.operation == "zendesk.reply")


def test_an_article_is_never_a_tag():
    result = _compile("If the ticket is tagged with the same facility issue three times in a week, tag it repeat.\n")
    conditions = [b.when for s in _steps(result, DecideStep) for b in s.branches]
    assert not [c for c in conditions if '"the" in case.tags' in c]
