"""The rules compiler on the shapes teams write: steps, conditions, thresholds, durations, schedules, ends."""

from __future__ import annotations

from pathlib import Path

import pytest

from procedures.compiler import compile_source
from procedures.steps import ActStep, ApproveStep, DecideStep, EndStep, GatherStep, WaitStep
from tests.procedures.graph_walk import walk

EVAL_DIR = Path(__file__).parent / "compiler_eval"


def _compile(source: str):
    return compile_source(source, compiler="rules")


def _steps(result, kind):
    return [s for s in result.graph.steps if isinstance(s, kind)]


def _conditions(result) -> list[str]:
    return [b.when for s in _steps(result, DecideStep) for b in s.branches]


@pytest.mark.parametrize("sop", sorted(EVAL_DIR.glob("[0-9]*.md")), ids=lambda p: p.stem)
def test_every_evaluation_sop_compiles_and_each_step_quotes_its_exact_source_span(sop):
    source = sop.read_text()
    result = _compile(source)
    for step in result.graph.steps:
        if step.span is not None:
            assert source[step.span.start : step.span.end] == step.instruction, step.key
    for warning in result.warnings:
        if warning.span is not None:
            assert source[warning.span.start : warning.span.end] == warning.excerpt


def test_numbered_steps_run_in_order():
    result = _compile("1. Reply to the customer that we are on it.\n2. Tag the ticket triaged.\n3. Close the ticket.\n")
    trace = walk(result.graph, {"ticket_id": "1"})
    assert trace.ops() == ["zendesk.reply", "zendesk.add_tags"]
    assert trace.calls("zendesk.add_tags")[0]["tags"] == ["triaged"]
    assert trace.outcome == "closed"


def test_bullets_with_if_then_otherwise_branch_on_a_money_threshold():
    source = (
        "- If the refund is over $5,000, email the finance team at finance@example.com.\n"
        "- Otherwise reply to the customer that the refund is approved.\n"
    )
    result = _compile(source)
    assert "case.amount > 5000.0" in _conditions(result)
    case = {"ticket_id": "1", "subject": "Refund", "url": "https://t/1", "requester_email": "c@x.com"}
    big = walk(result.graph, {**case, "amount": 7500.0})
    small = walk(result.graph, {**case, "amount": 20.0})
    assert big.ops() == ["email.send"]
    assert small.ops() == ["zendesk.reply"]


def test_a_bare_number_compared_with_the_amount_is_a_money_threshold():
    result = _compile("1. If the amount is over 500, hand the case to Finance.\n2. Otherwise close the ticket.\n")
    assert _conditions(result) == ["case.amount > 500.0"]
    assert walk(result.graph, {"amount": 800.0}).outcome == "handed_off"
    assert walk(result.graph, {"amount": 80.0, "ticket_id": "1"}).outcome == "closed"


def test_for_plan_customers_gathers_the_account_first():
    result = _compile("For Enterprise customers, tag the ticket priority-support.\n")
    first = result.graph.step(result.graph.start)
    assert isinstance(first, GatherStep) and first.operation == "salesforce.query_account"
    assert 'account.plan == "Enterprise"' in _conditions(result)


def test_unless_exempts_the_named_case():
    result = _compile("1. Tag the ticket fee-charged unless the customer is Enterprise.\n")
    case = {"ticket_id": "1", "requester_email": "a@b.c", "organization": "B"}
    exempt = walk(result.graph, case, results={"account": {"plan": "Enterprise"}})
    charged = walk(result.graph, case, results={"account": {"plan": "Pro"}})
    assert "zendesk.add_tags" not in exempt.ops()
    assert charged.calls("zendesk.add_tags")[0]["tags"] == ["fee-charged"]


def test_tagged_customers_become_a_tag_membership_condition():
    result = _compile("- Customers tagged VIP: assign the ticket to the VIP Care group.\n")
    assert '"vip" in case.tags' in _conditions(result)
    [update] = [s for s in _steps(result, ActStep) if s.operation == "zendesk.update_ticket"]
    assert update.params["group"] == "VIP Care"


def test_business_durations_and_waits_for_a_reply_with_a_timeout():
    source = (
        "1. Ask the customer for the invoice number and wait up to 3 business days; after that, close the ticket.\n"
    )
    result = _compile(source)
    [wait] = _steps(result, WaitStep)
    assert (wait.delay.days, wait.delay.business, wait.for_event) == (3, True, "customer.replied")
    assert isinstance(result.graph.step(wait.next), EndStep)


def test_schedule_at_7_14_and_30_days_chains_waits_anchored_to_the_first_action():
    source = (
        "Email the employee the return instructions. If the laptop has not been scanned at the warehouse 7 days later, "
        "send them a reminder. At 14 days, tell their former manager. At 30 days, notify finance.\n"
    )
    result = _compile(source)
    waits = _steps(result, WaitStep)
    assert [w.delay.days for w in waits] == [7, 14, 30]
    assert {w.anchor for w in waits} == {"send"}
    assert {w.for_event for w in waits} == {"warehouse.scanned"}
    scanned_on_day_9 = walk(
        result.graph, {"requester_email": "e@x.com", "subject": "Leaving"}, events={"warehouse.scanned": [9]}
    )
    assert len(scanned_on_day_9.calls("email.send")) == 2


def test_within_hours_for_an_event_that_does_not_come_sends_a_reminder():
    source = "1. Open a Jira task in project IT.\n2. If the IT task is not done within 24 hours, remind the IT queue by email at it-queue@example.com.\n"
    result = _compile(source)
    [wait] = _steps(result, WaitStep)
    assert (wait.delay.hours, wait.for_event) == (24, "issue.done")
    assert result.graph.step(wait.next).operation == "email.send"


def test_stop_and_close_become_end_steps():
    result = _compile("- If the plan is Free, stop.\n- Reply to the customer and close the ticket.\n")
    outcomes = {s.outcome for s in _steps(result, EndStep)}
    assert {"stopped", "closed"} <= outcomes


def test_approval_with_evidence_asks_for_the_missing_photo():
    result = _compile("Claims over $2,000 need at least two photos of the damage and a claims manager's approval.\n")
    [approval] = _steps(result, ApproveStep)
    assert approval.role == "Claims managers"
    assert [(e.kind, e.min_count) for e in approval.evidence] == [("photo", 2)]
    ask = result.graph.step(approval.on_missing_evidence)
    assert ask.operation == "zendesk.reply"


def test_arrow_notes_with_several_cases_become_one_decision():
    source = "shipment notes\nstatus lookup with the carrier\nin transit -> reply that it is on its way\ndelivered -> close ticket\n"
    result = _compile(source)
    decide = next(s for s in _steps(result, DecideStep) if s.branches)
    assert len(decide.branches) == 2


def test_a_condition_the_rules_do_not_understand_becomes_a_judgement_question_with_a_warning():
    source = "1. If the customer sounds upset, email the team lead.\n"
    result = _compile(source)
    judge = next(s for s in _steps(result, DecideStep) if s.judgement)
    assert "the customer sounds upset" in judge.judgement.question
    [warning] = [w for w in result.warnings if w.code == "condition_not_understood"]
    assert source[warning.span.start : warning.span.end] == warning.excerpt


def test_private_reply_constraint_applies_to_every_reply():
    source = "1. Reply to the reporter that we are investigating.\n2. All replies to the reporter are private.\n"
    result = _compile(source)
    [reply] = [s for s in _steps(result, ActStep) if s.operation == "zendesk.reply"]
    assert reply.params["public"] == "{{ false }}"


def test_a_clause_naming_a_system_whose_parameters_are_not_known_is_a_question_not_a_guess():
    result = _compile("1. Open a Bug in the Jira project ENG.\n2. Comment on the Jira issue with the outcome.\n")
    assert [s.operation for s in _steps(result, ActStep)] == ["jira.create_issue"]
    assert any(w.code == "not_understood" and "Comment on the Jira issue" in w.excerpt for w in result.warnings)


def test_requests_for_a_named_system_branch_with_otherwise():
    source = (
        "1. Requests for the billing database need approval from the security team.\n"
        "2. Any other system needs only the manager's approval.\n"
    )
    result = _compile(source)
    assert 'case.fields.system == "billing database"' in _conditions(result)
    assert {a.role for a in _steps(result, ApproveStep)} == {"Security team", "Managers"}


def test_sentences_after_the_procedure_has_ended_are_dropped_with_a_warning_quoting_them():
    source = "1. Reply to the customer that we are on it.\n2. Close the ticket.\n3. Tag the ticket reviewed.\n"
    result = _compile(source)
    assert [s.operation for s in _steps(result, ActStep)] == ["zendesk.reply"]
    [warning] = [w for w in result.warnings if w.code == "unreachable"]
    assert warning.excerpt == "Tag the ticket reviewed."


def test_indented_answers_under_a_wait_for_a_reply_become_a_judgement_with_the_timeout_on_no_answer():
    source = (
        "quote notes\n"
        "reply with the quote, wait for yes/no (5 days max)\n"
        "  yes -> tag rma-paid\n"
        "  no / no answer -> close ticket\n"
    )
    result = _compile(source)
    [wait] = _steps(result, WaitStep)
    answer = result.graph.step(wait.on_event)
    assert [o.key for o in answer.judgement.outcomes] == ["yes", "no_no_answer"]
    assert result.graph.step(wait.next).outcome == "closed"
    said_yes = walk(
        result.graph,
        {"ticket_id": "1", "subject": "Repair quote"},
        events={"customer.replied": [1]},
        answers={answer.key: "yes"},
    )
    assert said_yes.calls("zendesk.add_tags")[0]["tags"] == ["rma-paid"]


def test_out_of_x_after_in_x_is_the_other_branch_of_the_same_decision():
    source = (
        "Inputs: purchase_age_days (days since the purchase).\n\n"
        "in warranty (bought < 2 yrs ago) -> tag warranty\nout of warranty -> tag paid-repair\n"
    )
    result = _compile(source)
    [decide] = [s for s in _steps(result, DecideStep) if s.branches]
    assert decide.branches[0].when == "case.fields.purchase_age_days < 730"
    old = walk(result.graph, {"ticket_id": "1", "fields": {"purchase_age_days": 900}})
    assert old.calls("zendesk.add_tags")[0]["tags"] == ["paid-repair"]
