"""The rules compiler automates only what it is sure of: addresses, endpoints, approvers, facts the text names,
the structure real SOPs use (plain-text tables, checklists, runbooks with sub-steps, ladders); the rest is a
question for a person."""

from __future__ import annotations

from procedures.compiler import compile_source
from procedures.steps import ActStep, ApproveStep, DecideStep, GatherStep, WaitStep
from tests.procedures.graph_walk import walk


def _compile(source: str):
    return compile_source(source, compiler="rules")


def _steps(result, kind):
    return [s for s in result.graph.steps if isinstance(s, kind)]


def _conditions(result) -> list[str]:
    return [b.when for s in _steps(result, DecideStep) for b in s.branches]


def test_a_mail_to_a_role_without_an_address_is_a_question_not_a_mail():
    result = _compile("1. Tag the ticket billing.\n2. Let the team lead know by email.\n")
    assert not [s for s in _steps(result, ActStep) if s.operation == "email.send"]
    [ask] = [w for w in result.warnings if w.code == "question"]
    assert "'team leads' is a role, not an address" in ask.message
    assert result.graph.step(ask.step_key).judgement


def test_a_mail_to_an_address_and_a_role_goes_to_the_address_and_warns_about_the_role():
    result = _compile("1. Warn the assignee and the team lead by email.\n")
    [mail] = [s for s in _steps(result, ActStep) if s.operation == "email.send"]
    assert mail.params["to"] == "{{ [case.assignee_email] }}"
    assert any("'team leads' is a role" in w.message and w.step_key == mail.key for w in result.warnings)


def test_a_system_named_in_passing_is_not_a_guessed_endpoint(settings):
    source = "1. Tag the ticket refund.\n2. Update the address in the order system.\n"
    guessed = _compile(source)
    assert not [s for s in _steps(guessed, ActStep) if s.operation == "http.request"]
    [ask] = [w for w in guessed.warnings if w.code == "unknown_system"]
    assert "'order-system'" in ask.message and "SOPDESK_HTTP_ENDPOINTS" in ask.message
    settings.CONNECTORS = {**settings.CONNECTORS, "http": {"endpoints": {"order-system": "http://127.0.0.1:9/"}}}
    [call] = [s for s in _steps(_compile(source), ActStep) if s.operation == "http.request"]
    assert call.params["endpoint"] == "order-system"


def test_a_range_rung_next_to_the_rung_above_it_compares_its_lower_bound_only():
    source = "Credits:\n- Under $100: tag credit-small.\n- $100–500: tag credit-mid.\n- Over $500: tag credit-big.\n"
    result = _compile(source)
    assert "case.amount >= 100.0" in _conditions(result)
    assert not [c for c in _conditions(result) if "<= 500" in c]
    case = {"ticket_id": "1", "subject": "s", "url": "u"}
    for amount, tag in ((50.0, "credit-small"), (100.0, "credit-mid"), (500.0, "credit-mid"), (500.01, "credit-big")):
        [tags] = walk(result.graph, {**case, "amount": amount}).calls("zendesk.add_tags")
        assert tags["tags"] == [tag], amount


def test_a_section_marked_for_information_only_is_not_procedure():
    source = (
        "1. Tag the ticket chargeback.\n\nreason codes we see most (FYI only):\n"
        "  fraudulent            -> cx says they didn't make the purchase\n"
        "  duplicate             -> check for a real double charge first\n"
    )
    result = _compile(source)
    assert not _conditions(result)
    assert {c.status for c in result.coverage if "fraudulent" in source[c.span.start : c.span.end]} == {
        "non_procedural"
    }


def test_a_plain_text_table_with_a_rule_line_and_wrapped_cells_reads_the_status_the_lookup_returns():
    source = (
        "1. Look up the shipment with the carrier.\n\n"
        "    STATUS        WHAT TO DO                                   TAG\n"
        "    ------------  -------------------------------------------  ----------------\n"
        "    delayed       reply to the customer with the new date      carrier-delayed\n"
        "    damaged       file a claim with the carrier for the        carrier-damaged\n"
        "                  declared value and attach the photos\n"
    )
    result = _compile(source)
    assert _conditions(result) == ['shipment.status == "delayed"', 'shipment.status == "damaged"']
    case = {
        "ticket_id": "1",
        "subject": "s",
        "url": "u",
        "description": "d",
        "attachments": [],
        "fields": {"carrier": "ups", "tracking_number": "1Z", "declared_value": 80},
    }
    damaged = walk(
        result.graph, case, results={"shipment": {"status": "damaged", "carrier": "ups", "tracking_number": "1Z"}}
    )
    [claim] = [s for s in _steps(result, ActStep) if s.operation == "carrier.file_claim"]
    assert claim.params["amount"] == "{{ case.fields.declared_value }}" and "photo" in claim.params["photos"]
    assert damaged.ops() == ["carrier.lookup_shipment", "carrier.file_claim", "zendesk.add_tags"]
    assert [c["tags"] for c in damaged.calls("zendesk.add_tags")] == [["carrier-damaged"]]


def test_a_table_conditions_on_the_left_results_on_the_right_tags_and_sign_offs():
    source = (
        "| Months in service | Remedy | Tag | Sign-off needed |\n"
        "|---|---|---|---|\n"
        "| 0 to 11 | Free replacement unit | warranty-full | none |\n"
        "| 12 to 24 | Repair at cost | warranty-at-cost | Device Support team lead |\n"
        "| over 24 | Out of warranty | out-of-warranty | none |\n"
    )
    result = _compile(source)
    assert set(_conditions(result)) == {
        "case.fields.months_in_service <= 11",
        "case.fields.months_in_service >= 12",  # its upper bound is the next rung's lower bound
        "case.fields.months_in_service > 24",
    }
    assert not [s for s in _steps(result, GatherStep) if s.operation]  # "Free replacement" is no plan to look up
    [approval] = _steps(result, ApproveStep)
    assert approval.role.lower() == "device support team leads"
    case = {"ticket_id": "1", "subject": "s", "url": "u"}
    young = walk(result.graph, {**case, "fields": {"months_in_service": 3}})
    assert [c["tags"] for c in young.calls("zendesk.add_tags")] == [["warranty-full"]]


def test_money_said_of_another_thing_is_not_the_case_amount():
    assert not _conditions(_compile("- Lost parcels over $1,000: open a Jira task in project LOGI.\n"))
    assert _conditions(_compile("- If the order was worth more than $100, tag the ticket big.\n")) == [
        "case.amount > 100.0"
    ]


RUNBOOK = """1. Take ownership.
   a. Set the ticket's priority to urgent.
   b. Add an internal note to the ticket: "On-call has picked this up."

2. Decide the severity. Look at which merchants are failing. This is your call.
   a. If every merchant is affected, treat it as SEV1 and go to step 3.
   b. If only some merchants are affected, treat it as SEV2 and go to step 4.

3. SEV1: open the incident.
   a. Create a Jira issue in the PAYOPS project, issue type Incident,
      priority Highest, with the ticket link in the description.
   b. Tag the ticket sev1.
   c. Stop here.

4. SEV2: a smaller response.
   a. Create a Jira issue in the PAYOPS project, issue type Bug, priority High.
   b. Tag the ticket sev2.
"""


def test_a_runbook_leaves_the_call_to_the_engineer_and_its_group_titles_are_not_conditions():
    result = _compile(RUNBOOK)
    assert not _conditions(result)  # "This is your call": no rule guessed from "every merchant is affected"
    judgements = [s for s in _steps(result, DecideStep) if s.judgement]
    assert any("every merchant" in s.instruction for s in judgements)
    issues = {s.params["issue_type"]: s.params for s in _steps(result, ActStep) if s.operation == "jira.create_issue"}
    assert (issues["Incident"]["priority"], issues["Bug"]["priority"]) == ("Highest", "High")
    tags = sorted(s.params["tags"] for s in _steps(result, ActStep) if s.operation == "zendesk.add_tags")
    assert tags == ['{{ ["sev1"] }}', '{{ ["sev2"] }}']
    case = {"ticket_id": "1", "subject": "s", "url": "u", "description": "d"}
    # the engineer answers: every merchant is affected (and carries on at each other question)
    answers = {s.key: s.judgement.outcomes[0].key for s in judgements}
    sev1 = walk(result.graph, case, answers=answers, results={"jira": {"key": "PAYOPS-1", "url": "u"}})
    assert sev1.ops() == ["zendesk.update_ticket", "zendesk.add_note", "jira.create_issue", "zendesk.add_tags"]


def test_a_state_told_in_words_is_a_question_a_field_the_text_names_is_a_condition():
    told = _compile(
        "1. Tag the ticket security.\n2. If the device is lost or stolen, open a Jira task in project SEC.\n"
    )
    assert not _conditions(told)
    assert any(w.code == "condition_not_understood" or "person" in w.message for w in told.warnings)
    named = _compile(
        "1. Tag the ticket security.\n2. If the incident type is device-lost, open a Jira task in project SEC.\n"
    )
    assert _conditions(named) == ['case.fields.incident_type == "device-lost"']
    listed = _compile(
        "| field | meaning |\n|---|---|\n| species | dog, cat, bird |\n\n"
        "1. If the species is bird, tag the ticket exotics, because only one clinic sees them.\n"
    )
    assert _conditions(listed) == ['case.fields.species == "bird"']
    [tag] = [s for s in _steps(listed, ActStep) if s.operation == "zendesk.add_tags"]
    assert tag.params["tags"] == '{{ ["exotics"] }}'
    missing = _compile("1. Tag the ticket warranty.\n2. If the serial number is missing, ask the customer for it.\n")
    assert not [c for c in _conditions(missing) if '"missing"' in c]


def test_tone_and_validation_sections_with_long_headings_are_not_procedure():
    source = (
        "1. Tag the ticket intake.\n\n## Tone for anyone phoning the owner\n\nSpeak slowly and confirm the address twice.\n\n"
        "## Validation rules (for the web team)\n\n- owner_phone must have at least 10 digits.\n"
    )
    result = _compile(source)
    assert [s.operation for s in _steps(result, ActStep)] == ["zendesk.add_tags"]
    assert not _conditions(result)


LADDER = """A ticket carries the number of strikes the member already has (ticket field `prior_strikes`).

Read the post and decide whether it breaks a rule. If it
does not break a rule, tag the ticket no-violation and set it to solved.
Nothing else happens.

- **No prior strikes** - a written warning. Tag the ticket strike-warning.
- **1 to 2 prior strikes** - a suspension. Tag the ticket suspend-24h.
- **3 or more prior strikes** - a ban. Tag the ticket ban-permanent.
  The ban needs the approval of the Trust & Safety lead.

Bans are applied by hand in the moderation console; sopdesk cannot reach it.

Then add an internal note to the ticket with the number of prior strikes, so that an appeal can be checked quickly.
"""


def test_bold_labelled_cases_on_a_named_count_are_one_ladder_and_a_terse_end_ends_its_own_branch():
    result = _compile(LADDER)
    assert set(_conditions(result)) == {
        "case.fields.prior_strikes == 0",
        "case.fields.prior_strikes >= 1 && case.fields.prior_strikes <= 2",
        "case.fields.prior_strikes >= 3",
    }
    [approval] = _steps(result, ApproveStep)
    assert approval.role.lower().startswith("trust & safety lead")
    assert not [s for s in _steps(result, ApproveStep) if "hand" in s.instruction]  # done by hand: a person
    case = {"ticket_id": "1", "subject": "s", "url": "u"}
    answers = {s.key: s.judgement.outcomes[-1].key for s in _steps(result, DecideStep) if s.judgement}  # "none"/"stop"
    answers.update(
        {
            s.key: "proceed"
            for s in _steps(result, DecideStep)
            if s.judgement and s.judgement.outcomes[0].key == "proceed"
        }
    )
    one = walk(result.graph, {**case, "fields": {"prior_strikes": 1}}, answers=answers)
    assert [c["tags"] for c in one.calls("zendesk.add_tags")] == [["suspend-24h"]]
    assert one.calls("zendesk.add_note")  # the note after the ladder is still reached


CHECKLIST = """The ticket carries the number of units missing in the ticket field short_units.

BEFORE UNLOADING
[ ] Wait for the dock door scan to come through, for up to 4 hours.
    If no scan has arrived after 4 hours, email the receiving lead at lead@example.com.

AFTER UNLOADING
[ ] Damage: if the ticket is tagged damaged-on-arrival, tag the ticket claim-needed.
[ ] Shortage:
      more than 5 units short  -> open a Jira issue in the WHS project, type Task
      1 to 5 units short       -> add an internal note "Minor shortage" to the ticket
[ ] Close: tag the ticket received and set it to solved.
"""


def test_a_checklist_reads_its_boxes_labels_and_a_count_in_the_words_of_a_named_field():
    result = _compile(CHECKLIST)
    conditions = _conditions(result)
    assert '"damaged-on-arrival" in case.tags' in conditions
    assert {"case.fields.short_units > 5", "case.fields.short_units >= 1"} <= set(conditions)
    waits = _steps(result, WaitStep)
    assert [(w.delay.hours, w.for_event) for w in waits if w.for_event] == [(4, "warehouse.scanned")]
    tags = [s.params["tags"] for s in _steps(result, ActStep) if s.operation == "zendesk.add_tags"]
    assert '{{ ["received"] }}' in tags  # "Close:" is the box's label, the step is still read
    case = {"ticket_id": "1", "subject": "s", "url": "u", "tags": []}
    proceed = {s.key: "proceed" for s in _steps(result, DecideStep) if s.judgement}  # the sentence about the field
    small = walk(
        result.graph, {**case, "fields": {"short_units": 3}}, events={"warehouse.scanned": [0.01]}, answers=proceed
    )
    assert "jira.create_issue" not in small.ops() and "zendesk.add_note" in small.ops()
    assert "zendesk.add_tags" in small.ops() and not any(
        c["tags"] == ["claim-needed"] for c in small.calls("zendesk.add_tags")
    )


def test_approvers_are_named_as_the_text_names_them_and_an_unnamed_one_is_a_question():
    source = (
        "| Role | Who |\n|---|---|\n| Incident Commander (IC) | from the rota |\n\n"
        "Refunds:\n- Up to $250: the agent may approve on their own.\n"
        "- From $250 to $2,000: a Billing team lead must approve the refund.\n"
        "- Over $2,000: the Finance Director must approve.\n\n"
        "Then the IC signs off the review.\nThe change needs approval before it goes out.\n"
    )
    result = _compile(source)
    roles = sorted(a.role for a in _steps(result, ApproveStep))
    assert roles == ["Billing team leads", "Finance directors", "Incident commanders"]
    assert set(_conditions(result)) == {"case.amount <= 250.0", "case.amount > 250.0", "case.amount > 2000.0"}
    assert any(w.code == "not_understood" and "needs approval before" in w.excerpt for w in result.warnings)


def test_a_loyalty_tier_is_the_case_tier_and_an_email_subject_is_taken_from_the_text():
    result = _compile(
        "1. Customers on the Gold tier get a gift: tag the ticket gift.\n"
        '2. Let the account manager know by email with the subject "Renewal at risk".\n'
    )
    assert _conditions(result) == ['case.tier == "Gold"']
    [mail] = [s for s in _steps(result, ActStep) if s.operation == "email.send"]
    assert mail.params["subject"] == "Renewal at risk"


def test_decimal_numbered_steps_are_steps_and_telling_the_requester_is_a_reply():
    source = (
        "1.1 Set the ticket priority to urgent.\n"
        "1.2 Raise an Incident in Jira project SEC with priority Highest.\n"
        "1.3 Email privacy-legal@example.com with the Jira issue key and the ticket link.\n"
        "1.4 Reply to the customer confirming the refund and tell them it takes 5 to 10 days.\n"
    )
    result = _compile(source)
    ops = [s.operation for s in _steps(result, ActStep)]
    assert ops == ["zendesk.update_ticket", "jira.create_issue", "email.send", "zendesk.reply"]
    [mail] = [s for s in _steps(result, ActStep) if s.operation == "email.send"]
    assert "{{ jira.key }}" in mail.params["body"]
    assert not [w for w in result.warnings if w.code == "not_understood"]


def test_rough_notes_shorthand_and_a_rule_the_text_leaves_to_a_person():
    source = (
        "- pull acct from SF -> need plan + owner\n"
        '- risk flag set -> email acct owner, subj "Renewal at risk"\n'
        '- cust mentions a competitor / "switching" -> CSM judgement call, don\'t auto-anything\n'
    )
    result = _compile(source)
    [mail] = [s for s in _steps(result, ActStep) if s.operation == "email.send"]
    assert mail.params["subject"] == "Renewal at risk"
    assert not [c for c in _conditions(result) if "matches" in c]  # no keyword test where a person decides
    assert any("competitor" in s.instruction for s in _steps(result, DecideStep) if s.judgement)


def test_a_day_count_is_the_field_the_sop_names_for_it():
    named = _compile(
        "The ticket has the days since delivery (ticket field days_since_delivery).\n\n"
        "1. If it is within 30 days of delivery, tag the ticket return-approved.\n"
    )
    assert "case.fields.days_since_delivery <= 30" in _conditions(named)
    other = _compile(
        "The ticket has the field order_id.\n\n1. If the parcel is more than 10 days late, tag the ticket late.\n"
    )
    assert not [c for c in _conditions(other) if "_days" in c and "delay_days" not in c]


def test_a_leading_unless_keeps_the_condition_as_written_and_acts_on_the_otherwise_branch():
    result = _compile(
        "1. Tag the ticket new.\n2. Unless the requester is on Enterprise, reply to the customer that we are on it.\n"
    )
    assert _conditions(result) == ['account.plan == "Enterprise"']
    case = {"ticket_id": "1", "subject": "s", "url": "u", "requester_email": "a@b.c", "organization": "O"}
    pro = walk(result.graph, case, results={"account": {"plan": "Pro", "id": "1", "match_count": 1}})
    enterprise = walk(result.graph, case, results={"account": {"plan": "Enterprise", "id": "1", "match_count": 1}})
    assert "zendesk.reply" in pro.ops() and "zendesk.reply" not in enterprise.ops()


def test_criteria_read_on_fields_the_sop_names_and_on_an_earlier_read():
    source = (
        "The form gives the country of registration (ticket field country) and the expected monthly volume "
        "(ticket field monthly_volume).\n\n"
        "1. Look up the seller's account in Salesforce.\n"
        "2. Tag the ticket edd-required if any of the following is true:\n"
        "   - the Salesforce account has its risk flag set;\n"
        "   - the expected monthly volume is more than $50,000;\n"
        "   - the country of registration is one of KY, PA, VG or SC.\n"
    )
    [condition] = _conditions(_compile(source))
    assert "account.risk_flag == true" in condition
    assert "case.fields.monthly_volume > 50000.0" in condition  # not the case amount
    assert '(case.fields.country in ["KY", "PA", "VG", "SC"])' in condition


def test_vip_without_a_tag_is_not_a_tag_test():
    assert not _conditions(
        _compile("1. Tag the ticket new.\n2. If the customer is a VIP account, tag the ticket vip-care.\n")
    )
    assert _conditions(_compile("1. If the customer is tagged VIP, tag the ticket vip-care.\n")) == [
        '"vip" in case.tags'
    ]


def test_an_optional_step_is_the_persons_choice_and_the_procedure_goes_on_either_way():
    result = _compile(
        "1. Tag the ticket new.\n2. Optionally, add an internal note saying checked.\n3. Tag the ticket done.\n"
    )
    [choice] = [s for s in _steps(result, DecideStep) if s.judgement]
    case = {"ticket_id": "1", "subject": "s", "url": "u"}
    skipped = walk(result.graph, case, answers={choice.key: "none"})
    assert skipped.ops() == ["zendesk.add_tags", "zendesk.add_tags"]
    taken = walk(result.graph, case, answers={choice.key: choice.judgement.outcomes[0].key})
    assert taken.ops() == ["zendesk.add_tags", "zendesk.add_note", "zendesk.add_tags"]
