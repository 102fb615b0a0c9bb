"""Round 8 (issue 11): actions said in ordinary ways — a statement and a colon before the step, ticket states
said without "set … to", the group named after the word group, Jira follow-ups on the issue the run opened —
each with its parameters as the text states them, and a question where it does not."""

from __future__ import annotations

from procedures.compiler import compile_source
from procedures.compiler.rules import actions
from procedures.compiler.rules.vocabulary import Known
from procedures.steps import ActStep, ApproveStep, DecideStep, WaitStep


def _compile(source: str):
    return compile_source(source, compiler="rules")


def _acts(result) -> list[ActStep]:
    return [s for s in result.graph.steps if isinstance(s, ActStep)]


def _judgements(result) -> list[DecideStep]:
    return [s for s in result.graph.steps if isinstance(s, DecideStep) and s.judgement]


def test_a_statement_before_a_colon_is_confirmed_by_a_person_and_the_step_after_it_runs():
    result = _compile(
        "If the customer is on the Enterprise plan, the account team owns it: assign the ticket to the Key Accounts "
        "group and tag it key-account.\n"
    )
    acts = {s.operation: s.params for s in _acts(result)}
    assert acts["zendesk.update_ticket"]["group"] == "Key Accounts"
    assert "key-account" in acts["zendesk.add_tags"]["tags"]
    assert any("the account team owns it" in j.judgement.question for j in _judgements(result))


def test_a_prohibition_before_a_colon_leaves_the_step_after_it():
    result = _compile("If the device was bought second-hand, do not repair it: reply that we cannot help.\n")
    replies = [s for s in _acts(result) if s.operation == "zendesk.reply"]
    assert replies and "cannot help" in replies[0].params["body"]
    assert not any("do not repair" in j.judgement.question for j in _judgements(result))


def test_a_colon_after_a_verb_introduces_the_words_not_a_new_step():
    result = _compile('1. Add an internal note: "customer called twice, check the logs".\n')
    notes = [s for s in _acts(result) if s.operation == "zendesk.add_note"]
    assert notes and "called twice" in notes[0].params["body"]
    assert not any("Does this apply" in (j.judgement.question or "") for j in _judgements(result))


def test_ticket_states_said_without_set():
    result = _compile(
        "1. Hold the ticket while the warehouse counts the stock.\n"
        "2. When the count is back, take the ticket off hold.\n"
        "3. Keep the ticket open until the courier confirms.\n"
    )
    statuses = [s.params.get("status") for s in _acts(result) if s.operation == "zendesk.update_ticket"]
    assert statuses == ["hold", "open", "open"]


def test_holding_something_else_is_not_a_ticket_status():
    result = _compile("If a pallet looks damaged, hold it and call the yard supervisor.\n")
    assert not [s for s in _acts(result) if s.params.get("status") == "hold"]


def test_priority_said_before_the_word_priority_and_solved_without_the_article():
    result = _compile(
        "1. Put the ticket on urgent priority.\n2. Reply that the refund is on its way, set ticket solved.\n"
    )
    updates = [s.params for s in _acts(result) if s.operation == "zendesk.update_ticket"]
    assert updates[0]["priority"] == "urgent"
    assert updates[-1]["status"] == "solved"


def test_group_named_after_the_word_group_and_rough_abbreviations():
    result = _compile('- big order -> move tkt to grp "Wholesale Desk", done\n')
    groups = [s.params.get("group") for s in _acts(result) if s.operation == "zendesk.update_ticket"]
    assert groups == ["Wholesale Desk"]


def test_the_ticket_goes_to_a_group_is_an_instruction_with_its_priority():
    result = _compile(
        "If the guest reports a fire alarm fault, the ticket goes to the Building Safety group with high priority.\n"
    )
    update = next(s for s in _acts(result) if s.operation == "zendesk.update_ticket")
    assert update.params["group"] == "Building Safety" and update.params["priority"] == "high"


def test_routing_that_happens_by_itself_is_not_a_step():
    result = _compile("New tickets go to the queue automatically.\n\n1. Tag the ticket triaged.\n")
    assert not [s for s in _acts(result) if s.params.get("group")]


def test_jira_follow_ups_on_the_issue_this_run_opened():
    result = _compile(
        "1. Create a Jira issue in project WMS, type Task.\n"
        "2. Wait 2 days, then comment on the Jira issue asking for an update.\n"
        "3. When the stock is fixed, move the Jira issue to Done.\n"
    )
    ops = {s.operation: s.params for s in _acts(result)}
    assert ops["jira.add_comment"]["issue_key"] == "{{ jira.key }}"
    assert ops["jira.transition_issue"]["transition"] == "Done"


def test_a_comment_whose_words_the_sop_does_not_give_or_on_another_issue_is_a_question():
    result = _compile(
        "1. Create a Jira issue in project WMS, type Task.\n"
        "2. Comment on the Jira issue with the outcome of the recount.\n"
        "3. Add a comment to the existing issue for the same aisle.\n"
    )
    assert "jira.add_comment" not in [s.operation for s in _acts(result)]


def test_a_salesforce_field_on_the_account_is_an_account_field_set_to_the_fact_named():
    result = _compile(
        "1. Look up the customer's account in Salesforce.\n"
        "2. Update the Billing Contact field on the Salesforce account to the requester's email.\n"
    )
    update = next(s for s in _acts(result) if s.operation == "salesforce.update_record")
    assert update.params["object"] == "Account"
    assert "case.requester_email" in update.params["fields"]


def _approvals(result) -> list[ApproveStep]:
    return [s for s in result.graph.steps if isinstance(s, ApproveStep)]


def test_approvals_said_as_someones_ok_or_must_be_approved_by():
    ok = _compile("1. A goodwill voucher needs the store manager's OK first.\n2. Send the voucher code by reply.\n")
    assert [s.role.lower().rstrip("s") for s in _approvals(ok)] == ["store manager"]
    passive = _compile("1. The write-off must be approved by a credit controller before anyone books it.\n")
    assert [s.role.lower().rstrip("s") for s in _approvals(passive)] == ["credit controller"]


def test_without_something_else_still_needs_the_sign_off():
    result = _compile("1. Closing a complaint without a site visit needs sign-off from the quality lead.\n")
    assert [s.role.lower().rstrip("s") for s in _approvals(result)] == ["quality lead"]
    none = _compile("1. Small credits close without sign-off.\n2. Tag the ticket credit-small.\n")
    assert not _approvals(none)


def test_an_approval_said_again_after_every_way_passed_it_is_not_asked_twice():
    result = _compile(
        "1. Get approval from the warehouse lead.\n"
        "2. Tag the ticket write-off.\n"
        "3. Remember: write-offs must be approved by the warehouse lead.\n"
    )
    assert len(_approvals(result)) == 1


def test_an_approval_asked_on_some_ways_only_is_a_question_when_said_again():
    result = _compile(
        "1. If the amount is over $500, get approval from the finance lead.\n"
        "2. Tag the ticket refund.\n"
        "3. Refunds in the top band must be approved by the finance lead.\n"
    )
    assert len(_approvals(result)) == 1
    assert any("asked on some paths" in w.message for w in result.warnings)


def test_approvals_by_one_role_on_separate_branches_are_each_kept():
    result = _compile(
        "If the amount is over $5,000, get approval from the finance lead.\n\n"
        "If the customer is on the Free plan, get approval from the finance lead.\n"
    )
    assert len(_approvals(result)) == 2


def test_rough_notes_start_a_step_in_lower_case_after_a_full_stop():
    result = _compile("- pallet short -> not our problem. move tkt to grp Supplier Desk, tag short-ship.\n")
    acts = {s.operation: s.params for s in _acts(result)}
    assert acts["zendesk.update_ticket"]["group"] == "Supplier Desk"
    assert "short-ship" in acts["zendesk.add_tags"]["tags"]


def test_an_abbreviation_with_a_full_stop_does_not_start_a_step():
    result = _compile('1. int. note "checked twice", then tag the ticket recount.\n')
    notes = [s for s in _acts(result) if s.operation == "zendesk.add_note"]
    assert notes and "checked twice" in notes[0].params["body"]


def test_the_word_tag_alone_names_no_tag():
    result = _compile("1. Reply to the customer that we got it. Tag.\n")
    assert not [s for s in _acts(result) if s.operation == "zendesk.add_tags"]


def test_a_group_the_sop_abbreviates_is_named_in_full():
    result = _compile("abbrevs: grp = zendesk group\n\n- water leak -> assign to Facilities & Grounds grp\n")
    update = next(s for s in _acts(result) if s.operation == "zendesk.update_ticket")
    assert update.params["group"] == "Facilities & Grounds"


def test_steps_said_as_done_by_doing_something():
    result = _compile(
        "1. If the parcel is lost, flag it by adding the tag `parcel-lost`.\n"
        "2. Finish by adding the tag desk-done and solving the ticket.\n"
    )
    ops = [(s.operation, s.params.get("tags") or s.params.get("status")) for s in _acts(result)]
    assert ("zendesk.add_tags", '{{ ["parcel-lost"] }}') in ops
    assert ("zendesk.add_tags", '{{ ["desk-done"] }}') in ops
    assert ("zendesk.update_ticket", "solved") in ops


def test_a_gerund_subject_is_not_a_step():
    result = _compile("Checking the courier page first saves time.\n\n1. Tag the ticket courier.\n")
    assert [s.operation for s in _acts(result)] == ["zendesk.add_tags"]


def test_making_sure_the_ticket_has_a_tag_adds_it():
    for said in ("make sure the ticket has a `swap-booked` tag", "ensure the ticket is tagged swap-booked"):
        spec = actions.recognise(said, Known())
        assert spec.operation == "zendesk.add_tags" and spec.params["tags"] == '{{ ["swap-booked"] }}'


def test_a_jira_summary_the_sentence_gives_is_the_summary():
    result = _compile(
        '1. Create a Jira issue in project STOCK, type Task, summary "Shelf count wrong" and the tracking number.\n'
        '2. Raise a Task in the Jira project HRIT with priority Low, summary "Badge return" plus the badge colour.\n'
    )
    summaries = [s.params["summary"] for s in _acts(result) if s.operation == "jira.create_issue"]
    assert summaries[0] == "Shelf count wrong {{ case.fields.tracking_number }}"
    assert summaries[1] == "Badge return"
    assert any("badge colour" in w.message for w in result.warnings)


def test_a_tag_and_a_priority_in_rough_notes_are_two_updates():
    result = _compile("- scam suspected -> tag ticket scam-check + priority urgent.\n")
    acts = [(s.operation, s.params.get("tags") or s.params.get("priority")) for s in _acts(result)]
    assert ("zendesk.add_tags", '{{ ["scam-check"] }}') in acts
    assert ("zendesk.update_ticket", "urgent") in acts


def test_a_priority_after_a_jira_type_stays_a_jira_parameter():
    result = _compile("1. Create a Jira issue in the OPS project, issue type Bug, priority High.\n")
    assert [(s.operation, s.params.get("priority")) for s in _acts(result)] == [("jira.create_issue", "High")]


def test_one_tag_or_another_accordingly_is_a_question():
    result = _compile("1. Reply that the fee was reviewed.\n2. Tag the ticket fee-charged or fee-waived accordingly.\n")
    assert not [s for s in _acts(result) if s.operation == "zendesk.add_tags"]


def test_a_priority_said_after_the_step_with_its_own_condition():
    result = _compile(
        '1. Create a Jira issue in the YARD project, type Task, summary "Trailer missing".\n'
        "   Priority High when the amount is over $500, otherwise Medium.\n"
    )
    issue = next(s for s in _acts(result) if s.operation == "jira.create_issue")
    assert issue.params["priority"] == '{{ case.amount > 500.0 ? "High" : "Medium" }}'


def test_a_priority_on_a_condition_the_compiler_cannot_read_is_a_question():
    result = _compile(
        '1. Create a Jira issue in the YARD project, type Task, summary "Trailer missing".\n'
        "   Priority High when the driver sounds stressed, otherwise Medium.\n"
    )
    assert "jira.create_issue" not in [s.operation for s in _acts(result)]


def test_a_tag_named_in_a_table_row_is_not_read_from_the_words_around_it():
    result = _compile(
        "1. Reply that the claim is logged.\n2. Find the band and tag the ticket with the tag in that row.\n"
    )
    assert not [s for s in _acts(result) if s.operation == "zendesk.add_tags"]


def test_a_note_with_a_summary_is_written_by_a_person():
    result = _compile("1. Reply that we will call back.\n2. Add an internal note with a summary of the call.\n")
    assert not [s for s in _acts(result) if s.operation == "zendesk.add_note"]


def test_questions_and_answers_are_not_steps():
    result = _compile(
        "1. Tag the ticket quota.\n\n## Frequently asked questions\n\n"
        "**Q: The customer is in a hurry.**\nA: Tell them honestly how long it takes.\n"
    )
    assert [s.operation for s in _acts(result)] == ["zendesk.add_tags"]


def test_a_jira_issue_type_the_project_has_of_its_own_is_taken_as_written():
    result = _compile(
        "1. Open a Jira issue in project CLAIMS, issue type Loss Review, priority High.\n"
        "2. Raise a Highest-priority Inquiry in Jira project AUDIT with the ticket link.\n"
    )
    issues = [
        (s.params["project"], s.params["issue_type"]) for s in _acts(result) if s.operation == "jira.create_issue"
    ]
    assert issues == [("CLAIMS", "Loss Review"), ("AUDIT", "Inquiry")]


def test_a_priority_for_one_kind_and_another_for_everyone_else_after_the_step():
    result = _compile(
        "1. Look up the customer's account in Salesforce.\n"
        "2. Open a Jira issue in project CAPS, issue type Task.\n"
        "   Priority: High for Enterprise accounts, Medium for everyone else.\n"
    )
    issue = next(s for s in _acts(result) if s.operation == "jira.create_issue")
    assert '"High"' in issue.params["priority"] and '"Medium"' in issue.params["priority"]


def test_a_plain_procedure_heading_ends_the_definitions_above_it():
    result = _compile(
        "Definitions\nMember: a person with a paid plan.\n\nProcedure\n\n1. Tag the ticket plan-question.\n"
    )
    assert [s.operation for s in _acts(result)] == ["zendesk.add_tags"]


def test_asking_for_an_approval_names_no_approver():
    result = _compile(
        "1. Refunds need an OK from the studio manager.\n2. Record the request in an internal note and ask for the "
        "approval on the ticket.\n"
    )
    assert [s.role.lower().rstrip("s") for s in _approvals(result)] == ["studio manager"]


def test_rough_jira_project_and_time_given_to_answer():
    result = _compile(
        "- door broken -> open Jira FAC (issue type Task, prio Medium) w/ location\n"
        "- email the landlord at owner@example.com and give them 2 business days to reply\n"
    )
    issue = next(s for s in _acts(result) if s.operation == "jira.create_issue")
    assert issue.params["project"] == "FAC" and issue.params["priority"] == "Medium"
    waits = [s for s in result.graph.steps if isinstance(s, WaitStep)]
    assert waits and waits[0].delay.days == 2 and waits[0].delay.business


def test_a_request_carries_the_amount_the_sentence_gives():
    spec = actions.recognise("send a POST to the billing endpoint at /late-fees with the amount 15", Known())
    assert spec.params["path"] == "/late-fees" and spec.params["body"] == '{{ {"amount": 15} }}'


def test_a_priority_for_one_kind_and_another_for_everything_else_it_cannot_read_is_a_question():
    result = _compile(
        "1. Raise an Incident in the Jira project SAFE with the ticket link.\n"
        "   Use priority Highest for collisions and High for everything else.\n"
    )
    assert "jira.create_issue" not in [s.operation for s in _acts(result)]


def test_an_instruction_before_a_colon_is_for_a_person_then_the_step_after_it_runs():
    result = _compile("1. If the voucher was used, decline politely: reply that used vouchers cannot be refunded.\n")
    replies = [s for s in _acts(result) if s.operation == "zendesk.reply"]
    assert replies and "cannot be refunded" in replies[0].params["body"]
    assert any(j.title.startswith("decline politely") for j in _judgements(result))


def test_someone_has_to_ok_it_is_their_approval_but_the_agent_is_nobody_to_ask():
    assert (
        actions.recognise("the yard lead has to OK it before we rebill", Known())
        .roles[0]
        .lower()
        .startswith("yard lead")
    )
    assert actions.recognise("you should OK the wording", Known()) is None


def test_set_it_to_pending_with_a_reason_after_it_and_rough_two_letter_words_before_a_full_stop():
    result = _compile(
        "1. Reply that we need the invoice and set it to pending while the analyst finishes the check.\n"
        '- locked already -> Ops on it. add internal note "locked by Ops"\n'
    )
    acts = [(s.operation, s.params.get("status") or s.params.get("body")) for s in _acts(result)]
    assert ("zendesk.update_ticket", "pending") in acts
    assert ("zendesk.add_note", "locked by Ops") in acts


def test_a_request_said_again_by_reference_copies_the_earlier_one():
    result = _compile(
        "1. If the plan is Pro, send a POST to the billing endpoint at /credits with the amount 20.\n"
        "2. If the plan is Team, send a POST to the billing endpoint at /vouchers.\n"
        "3. If the customer is VIP, send the same POST to /credits.\n"
        "4. If the customer is a partner, send the voucher POST.\n"
    )
    posts = [s.params for s in _acts(result) if s.operation == "http.request"]
    assert (
        posts.count({"endpoint": "billing", "method": "POST", "path": "/credits", "body": '{{ {"amount": 20} }}'}) == 2
    )
    assert posts.count({"endpoint": "billing", "method": "POST", "path": "/vouchers"}) == 2


def test_a_reference_to_a_request_never_made_is_a_question():
    result = _compile("1. Tag the ticket credit.\n2. Send the same POST as above.\n")
    assert "http.request" not in [s.operation for s in _acts(result)]


def test_quoted_words_of_a_note_are_not_a_look_up_and_rough_jira_lines():
    note = actions.recognise('internal note "Watching it - check again Monday"', Known())
    assert note.operation == "zendesk.add_note" and note.params["body"] == "Watching it - check again Monday"
    issue = actions.recognise("jira, proj OPS, type Task, prio High", Known())
    assert issue.operation == "jira.create_issue" and issue.params["project"] == "OPS"


def test_templates_and_counter_examples_are_never_steps():
    result = _compile(
        "1. Tag the ticket late-box.\n"
        "2. Template: reply that we are sorry for the wait.\n"
        "3. Wrong: escalate to the Billing group.\n"
        "4. Bad practice: close the ticket without a reply.\n"
    )
    assert [s.operation for s in _acts(result)] == ["zendesk.add_tags"]


def test_the_same_call_to_a_person_is_not_a_request():
    result = _compile(
        "1. Send a POST to the billing endpoint at /credits with the amount 20.\n"
        "2. Make the same call to the customer's manager.\n"
    )
    assert [s.operation for s in _acts(result)].count("http.request") == 1


def test_the_customers_issue_is_not_the_jira_issue():
    result = _compile(
        "1. Create a Jira issue in project WMS, type Task.\n"
        "2. When the customer confirms, mark the issue as resolved.\n"
    )
    assert "jira.transition_issue" not in [s.operation for s in _acts(result)]


def test_a_capitalised_priority_under_a_jira_step_is_not_the_tickets():
    result = _compile(
        "1. Create a Jira issue in project FIX, issue type Task, with the priority from the contract:\n"
        "   a. Gold: priority Highest;\n   b. Silver: priority High;\n"
    )
    assert not [s for s in _acts(result) if s.operation == "zendesk.update_ticket"]
