"""Tenth round (issue 11): fresh classes of wrong automation found on text nobody tuned to, each made stricter so
the compiler asks instead of acting — the person working the case named as an approver, an approval whose
evidence the sentence asks for but the rules do not read, tone guidance read as replies, a contacts directory read
as group moves, a worked example read as a wait, a wait whose end the sentence names but the rules do not read, a
Jira summary that leaves out what the sentence puts in it, and a plan name cut short."""

from __future__ import annotations

from procedures.steps import ActStep, ApproveStep, WaitStep
from tests.procedures.rules_support import compile_rules as _compile
from tests.procedures.rules_support import conditions_of as _conditions
from tests.procedures.rules_support import ops_of as _ops
from tests.procedures.rules_support import steps_of as _steps


def _roles(result) -> list[str]:
    return [s.role.lower() for s in _steps(result, ApproveStep)]


def test_the_agent_working_the_case_in_an_approver_table_is_no_approval_gate():
    result = _compile(
        "Refund requests\n\n1. Look up the order.\n2. Approval depends on the refund amount:\n\n"
        "| Refund amount | Who approves |\n|---|---|\n| up to $200 | the support agent |\n"
        "| over $200 | the Finance Director |\n\n3. Tag the ticket refund-ok.\n"
    )
    roles = _roles(result)
    assert not [r for r in roles if "agent" in r]
    assert any("finance director" in r for r in roles)


def test_an_approval_by_the_returns_rep_is_not_a_gate():
    result = _compile("1. Swaps under $50 need approval from the returns rep.\n2. Tag the ticket swap-ok.\n")
    assert not _steps(result, ApproveStep)
    assert "zendesk.add_tags" in _ops(result)


def test_an_approval_that_asks_for_evidence_the_rules_do_not_read_is_asked():
    result = _compile(
        "1. Closing an account on legal grounds needs sign-off from the Privacy Officer, with the court order "
        "attached as evidence.\n2. Tag the ticket closure-ok.\n"
    )
    assert not _steps(result, ApproveStep)
    assert "zendesk.add_tags" in _ops(result)


def test_an_approval_with_photos_is_still_read():
    result = _compile("1. Claims over $500 need approval from the claims manager with photos of the damage.\n")
    assert any("claims manager" in r for r in _roles(result))


def test_every_sentence_of_a_tone_paragraph_is_tone_not_a_reply():
    result = _compile(
        "Lost parcels\n\n1. Tag the ticket lost-parcel.\n\n"
        "Tone: senders are often anxious. Thank them for waiting, do not blame the courier.\n\n"
        "email tone: warm. never promise a date.\n"
    )
    assert _ops(result) == ["zendesk.add_tags"]


def test_a_customer_communication_guidelines_section_is_tone():
    result = _compile(
        "Lost parcels\n\n1. Tag the ticket lost-parcel.\n\n## Customer communication guidelines\n\n"
        "People are upset about late parcels. Acknowledge it. Explain what the courier told us.\n"
    )
    assert "zendesk.reply" not in _ops(result)


def test_a_contacts_directory_table_moves_no_ticket():
    result = _compile(
        "Returns\n\n## Steps\n\n1. Tag the ticket return-open.\n2. Reply to the customer.\n\n"
        "| Group | Contact details | Use for |\n|---|---|---|\n| Fraud Team | fraud@shop.example | suspected fraud |\n"
        "| Billing Ops | Jira project BILL | refund questions |\n"
    )
    assert "zendesk.update_ticket" not in _ops(result)


def test_a_who_to_contact_section_is_reference():
    result = _compile(
        "Returns\n\n## Who to contact\n\n| Team | When |\n|---|---|\n| Billing Ops | refund questions |\n"
        "| Warehouse | stock questions |\n\n## Steps\n\n1. Tag the ticket return-open.\n"
    )
    assert _ops(result) == ["zendesk.add_tags"]


def test_a_worked_example_section_makes_no_wait():
    result = _compile(
        "Late deliveries\n\n1. Tag the ticket late-delivery.\n\n## Worked example\n\n"
        "The courier delivered the sofa 9 days after the promised date. Wait 9 days and credit $40.\n"
    )
    assert not _steps(result, WaitStep)


def test_a_wait_that_names_another_event_is_asked_not_a_bare_delay():
    result = _compile(
        "1. Send the customer the booking link and wait 3 days for the survey to be scheduled.\n"
        "2. Tag the ticket survey-sent.\n"
    )
    assert not _steps(result, WaitStep)


def test_a_wait_for_the_customer_to_reply_with_someone_elses_answer_waits_for_the_reply():
    result = _compile(
        "1. Email the bank at banks@pay.example asking them to confirm the transfer. Wait 4 days for the customer to "
        "reply with the bank's answer.\n"
    )
    [wait] = _steps(result, WaitStep)
    assert wait.for_event == "customer.replied"


def test_a_wait_for_another_teams_answer_stays_a_delay():
    result = _compile("1. Ask billing for the invoice copy. Wait 3 business days for billing's answer.\n")
    [wait] = _steps(result, WaitStep)
    assert wait.for_event is None


def test_an_issue_whose_summary_must_give_a_part_no_fact_holds_is_asked():
    result = _compile(
        "1. Open a Jira issue in the WH project, issue type Bug, priority Low, with the pallet code in the summary.\n"
        "2. Tag the ticket wh-bug.\n"
    )
    assert "jira.create_issue" not in _ops(result)


def test_an_issue_whose_summary_gives_the_ticket_id_carries_it():
    result = _compile(
        "1. Open a Jira issue in the OPS project, issue type Task, priority High, with the ticket ID in the summary.\n"
    )
    [issue] = [s for s in _steps(result, ActStep) if s.operation == "jira.create_issue"]
    assert "case.ticket_id" in issue.params["summary"]


def test_a_plan_named_by_more_words_is_not_cut_short():
    result = _compile(
        "1. If the plan is Fibre Business, tag the ticket fibre-biz.\n2. If the plan is Business Plus, tag the "
        "ticket biz-plus.\n"
    )
    assert not [c for c in _conditions(result) if '"Business"' in c]


def test_a_plain_plan_is_still_read():
    result = _compile("1. If the plan is Business, tag the ticket biz.\n")
    assert 'account.plan == "Business"' in _conditions(result)


def test_an_email_to_them_when_the_sentence_names_another_party_is_not_sent_to_the_requester():
    result = _compile(
        "1. Find the warehouse manager for the site and email them the ticket link.\n2. Tag the ticket wh-told.\n"
    )
    assert "email.send" not in _ops(result)
    assert "zendesk.add_tags" in _ops(result)


def test_an_email_to_them_meaning_the_customer_is_still_sent():
    result = _compile("1. Email them the return label.\n")
    assert "email.send" in _ops(result)


def test_a_sum_of_money_is_not_compared_with_a_field_that_holds_no_money():
    result = _compile(
        "Fields: `repeat_buyer` (yes/no), `order_total`.\n\n"
        "1. For repeat buyers over $500, add an internal note and tag the ticket big-repeat.\n"
    )
    assert not [c for c in _conditions(result) if "repeat_buyer > 500" in c]


def test_a_sum_of_money_on_an_amount_field_is_still_read():
    result = _compile(
        "Fields: `repair_estimate`.\n\n1. If the repair_estimate is over $200, tag the ticket big-repair.\n"
    )
    assert any("repair_estimate > 200" in c for c in _conditions(result))


def test_a_mail_carries_the_facts_its_sentence_lists():
    result = _compile(
        "1. Let the refunds desk know by email at refunds@shop.example with the amount and the ticket link.\n"
    )
    [mail] = [s for s in _steps(result, ActStep) if s.operation == "email.send"]
    assert "case.amount" in mail.params["body"]


def test_a_mail_with_a_part_no_fact_holds_says_so():
    result = _compile("1. Email ops@shop.example with the batch code and the link.\n2. Tag the ticket wh-told.\n")
    assert "email.send" in _ops(result)
    assert any("batch code" in w.message for w in result.warnings)


def test_a_request_with_parts_no_fact_holds_is_asked():
    result = _compile(
        "1. Page the on-call lead through the paging webhook with the site and the ticket link.\n"
        "2. Tag the ticket paged.\n"
    )
    assert "http.request" not in _ops(result)


def test_confirming_a_fact_is_a_check_not_a_reply():
    result = _compile(
        "1. Look up the parcel with the courier and confirm it was left at the door.\n2. Tag the ticket checked.\n"
    )
    assert "zendesk.reply" not in _ops(result)


def test_confirming_to_the_customer_is_still_a_reply_which_a_person_words():
    result = _compile("1. Confirm the refund to the customer.\n")
    assert "zendesk.reply" not in _ops(result), "the customer would read our instruction"
    assert any("Reply to the requester" in w.message and "word for word" in w.message for w in result.warnings)
