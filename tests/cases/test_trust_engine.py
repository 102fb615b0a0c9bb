"""Trusting a run: skipped steps stay skipped, one question per stop, waits re-check, errors say what is wrong.

The engine's core without a database (a frozen clock, hand-written graphs), then the shell where it matters.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cases import engine
from cases.casefacts import case_names
from cases.engine import CallOperation, End, Goto, Hold, RunState
from cases.graphreads import ask_coerce, dependents, facts_to_ask
from cases.models import Case, ReviewItem, Run
from cases.services import hold_resolve, run_advance, run_start
from connectors.base import PermanentError
from procedures.steps import parse
from tests.factories import CaseFactory, ProcedureVersionFactory

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
CASE = {"subject": "Crash", "requester_email": "alice@acme.example", "ticket_id": "1", "tags": [], "fields": {}}

BUG = {
    "title": "Bug escalation",
    "start": "find_account",
    "steps": [
        {
            "kind": "gather",
            "key": "find_account",
            "title": "Find the account",
            "operation": "salesforce.query_account",
            "params": {"email": "{{ case.requester_email }}"},
            "save_as": "account",
            "required": ["plan"],
            "next": "check_plan",
        },
        {
            "kind": "decide",
            "key": "check_plan",
            "title": "Free plan?",
            "branches": [{"when": 'account.plan == "Free"', "next": "done"}],
            "otherwise": "open_bug",
        },
        {
            "kind": "act",
            "key": "open_bug",
            "title": "Open a Jira bug",
            "operation": "jira.create_issue",
            "params": {"project": "ENG", "summary": "{{ case.subject }} for {{ account.name }}"},
            "save_as": "jira",
            "next": "note",
        },
        {
            "kind": "act",
            "key": "note",
            "title": "Note the Jira key",
            "operation": "zendesk.add_note",
            "params": {"ticket_id": "{{ case.ticket_id }}", "body": "Jira {{ jira.key }}"},
            "save_as": "noted",
            "next": "tag",
        },
        {
            "kind": "act",
            "key": "tag",
            "title": "Tag jira-linked",
            "operation": "zendesk.add_tags",
            "params": {"ticket_id": "{{ case.ticket_id }}", "tags": '{{ ["jira-linked"] }}'},
            "next": "opportunity",
        },
        {
            "kind": "gather",
            "key": "opportunity",
            "title": "Find the opportunity",
            "operation": "salesforce.query_open_opportunity",
            "params": {"account_id": "{{ account.id }}"},
            "save_as": "opp",
            "next": "risk",
        },
        {
            "kind": "act",
            "key": "risk",
            "title": "Raise the risk score",
            "operation": "salesforce.update_record",
            "params": {
                "object": "Opportunity",
                "record_id": "{{ opp.id }}",
                "fields": '{{ {"Risk_Score__c": int(opp.risk_score) + 10} }}',
            },
            "next": "mail",
        },
        {
            "kind": "act",
            "key": "mail",
            "title": "Mail the account manager",
            "operation": "email.send",
            "params": {"to": "{{ [account.owner_email] }}", "subject": "Bug", "body": "See {{ noted.id }}"},
            "next": "done",
        },
        {"kind": "end", "key": "done", "title": "Done", "outcome": "resolved"},
    ],
}


def go(graph, state, effect):
    assert isinstance(effect, Goto), effect
    return engine.apply_goto(graph, state, effect, NOW)


# --- Skipping has consequences -------------------------------------------------------------


def test_dependents_follow_save_as_reads_transitively_and_ignore_string_literals():
    graph = parse(BUG)
    later = dependents(graph, "open_bug")
    assert list(later) == ["note", "mail"]  # mail reads noted, which note (skipped) never produced
    assert "tag" not in later  # "jira-linked" is a string, not a read of jira
    assert "jira" in later["note"] and "noted" in later["mail"]


def test_a_skipped_step_skips_the_steps_that_read_its_result():
    graph = parse(BUG)
    state = RunState(cursor="open_bug", visits={"open_bug": 1}, facts={"account": {"plan": "Pro", "name": "Acme"}})
    hold = engine.on_error(graph, "open_bug", PermanentError("Jira said no", system="jira"))
    assert isinstance(hold, Hold) and "skip" in [o["key"] for o in hold.allowed_outcomes]
    assert set(hold.proposal["skip_also"]) == {"Note the Jira key", "Mail the account manager"}
    state.resolution = {"step": "open_bug", "visit": 1, "outcome": "skip", "by": "rita"}
    effect = engine.plan(graph, state, CASE, NOW)
    assert effect.skipped and effect.skipped == "rita skipped 'Open a Jira bug'"
    state = go(graph, state, effect)
    assert state.unavailable == {"jira": "'Open a Jira bug' was skipped"}
    note = engine.plan(graph, state, CASE, NOW)
    assert isinstance(note, Goto) and note.next == "tag" and "jira" in note.skipped
    state = go(graph, state, note)
    tag = engine.plan(graph, state, CASE, NOW)
    assert isinstance(tag, CallOperation) and tag.operation == "zendesk.add_tags"


def test_a_decision_on_a_skipped_result_holds_and_says_why():
    graph = parse(
        {
            "title": "t",
            "start": "open_bug",
            "steps": [
                {
                    "kind": "act",
                    "key": "open_bug",
                    "title": "Open a Jira bug",
                    "operation": "jira.create_issue",
                    "params": {"project": "ENG", "summary": "x"},
                    "save_as": "jira",
                    "next": "check",
                },
                {
                    "kind": "decide",
                    "key": "check",
                    "title": "Created?",
                    "branches": [{"when": 'jira.key != ""', "next": "done"}],
                    "otherwise": "done",
                },
                {"kind": "end", "key": "done", "title": "Done"},
            ],
        }
    )
    state = RunState(
        cursor="open_bug", visits={"open_bug": 1}, resolution={"step": "open_bug", "visit": 1, "outcome": "skip"}
    )
    state = go(graph, state, engine.plan(graph, state, CASE, NOW))
    hold = engine.plan(graph, state, CASE, NOW)
    assert isinstance(hold, Hold) and hold.step_key == "check"
    assert "reads jira" in hold.summary and "'Open a Jira bug' was skipped" in hold.summary


@pytest.mark.django_db
def test_run_outcome_says_partially_done_after_a_skip_and_the_case_is_not_resolved(reviewer):
    graph = {
        "title": "Partial",
        "start": "open_bug",
        "steps": [
            {
                "kind": "act",
                "key": "open_bug",
                "title": "Open a Jira bug",
                "operation": "jira.create_issue",
                "params": {"project": "ENG", "summary": "{{ case.fields.component }}"},
                "save_as": "jira",
                "next": "summary",
            },
            {
                "kind": "gather",
                "key": "summary",
                "title": "Summarise",
                "compute": {"text": "Linked {{ jira.key }}"},
                "save_as": "summary",
                "next": "done",
            },
            {"kind": "end", "key": "done", "title": "Done", "outcome": "resolved"},
        ],
    }
    version = ProcedureVersionFactory(graph=graph, status="published")
    run = run_advance(run_id=run_start(case=CaseFactory(), version=version, enqueue=False).id)
    item = ReviewItem.objects.get(run=run)
    assert item.reason == "missing_fact" and "skip" in [o["key"] for o in item.allowed_outcomes]
    hold_resolve(item=item, outcome="skip", user=reviewer)
    run = run_advance(run_id=run.id)
    assert (run.status, run.outcome) == (Run.Status.COMPLETED, "resolved, partially done")
    assert "Open a Jira bug" in run.error and "Summarise" in run.error
    assert list(run.executions.filter(status="skipped").values_list("step_key", flat=True)) == ["open_bug", "summary"]
    assert Case.objects.get(id=run.case_id).status == Case.Status.OPEN  # the SOP did not say "close"


# --- One question per stop --------------------------------------------------------------------


def test_a_missing_fact_asks_for_every_fact_the_rest_of_the_run_reads_typed_with_choices():
    graph = parse(BUG)
    asked = {a["name"]: a for a in facts_to_ask(graph, "find_account")}
    assert set(asked) == {"plan", "name", "id", "owner_email"}
    assert asked["plan"]["type"] == "text" and asked["plan"]["choices"] == ["Free"]
    assert asked["plan"]["path"] == "account.plan"
    opp = {a["name"]: a for a in facts_to_ask(graph, "opportunity")}
    assert opp["risk_score"]["type"] == "number" and set(opp) == {"id", "risk_score"}


def test_the_gather_hold_carries_the_whole_question():
    graph = parse(BUG)
    state = RunState.start(graph)
    hold = engine.on_result(graph, state, CASE, "find_account", {"name": "Acme"})  # no plan
    assert isinstance(hold, Hold) and hold.reason == "missing_fact"
    assert {a["name"] for a in hold.proposal["ask"]} == {"plan", "name", "id", "owner_email"}


def test_typed_answers_are_checked():
    asked = [{"name": "risk_score", "type": "number"}, {"name": "plan", "type": "text"}]
    assert ask_coerce(asked, {"risk_score": "40", "plan": "Pro"}) == ({"risk_score": 40, "plan": "Pro"}, [])
    _, problems = ask_coerce(asked, {"risk_score": "lots"})
    assert problems == ["risk_score must be a number, got 'lots'"]


# --- Follow-ups look before they chase --------------------------------------------------------

RECHECK = {
    "title": "Claim follow-up",
    "start": "wait_7",
    "steps": [
        {
            "kind": "wait",
            "key": "wait_7",
            "title": "7 days",
            "delay": {"days": 7},
            "for_event": "claim.settled",
            "on_event": "record",
            "next": "follow_up",
            "recheck": {
                "operation": "carrier.claim_status",
                "params": {"carrier": "UPS", "claim_id": "{{ claim.claim_id }}"},
                "save_as": "settlement",
                "until": "settlement.settled",
            },
        },
        {
            "kind": "act",
            "key": "follow_up",
            "title": "Follow up",
            "operation": "carrier.send_follow_up",
            "params": {"carrier": "UPS", "claim_id": "{{ claim.claim_id }}"},
            "next": "done",
        },
        {
            "kind": "gather",
            "key": "record",
            "title": "Record the settled amount",
            "compute": {"amount": "{{ settlement.settled_amount }}"},
            "save_as": "settled",
            "next": "close",
        },
        {"kind": "end", "key": "close", "title": "Close", "outcome": "closed", "case_status": "closed"},
        {"kind": "end", "key": "done", "title": "Handed off", "outcome": "handed_off"},
    ],
}


def _fired(graph):
    state = RunState(cursor="wait_7", visits={"wait_7": 1}, facts={"claim": {"claim_id": "CLM-1"}})
    state.wake = {"step": "wait_7", "visit": 1, "by": "timer"}
    return state


def test_when_the_timer_fires_the_wait_reads_the_source_of_truth_first():
    graph = parse(RECHECK)
    state = _fired(graph)
    call = engine.plan(graph, state, CASE, NOW)
    assert call == CallOperation(
        "wait_7", "carrier.claim_status", {"carrier": "UPS", "claim_id": "CLM-1"}, writes=False, save_as="settlement"
    )
    settled = engine.on_result(graph, state, CASE, "wait_7", {"settled": True, "settled_amount": 1000.0})
    assert settled.next == "record" and settled.facts == {"settlement": {"settled": True, "settled_amount": 1000.0}}
    state = go(graph, state, settled)
    state = go(graph, state, engine.plan(graph, state, CASE, NOW))
    assert state.facts["settled"] == {"amount": 1000.0}
    assert engine.plan(graph, state, CASE, NOW) == End("close", "closed", "closed", None)


def test_an_unsettled_claim_takes_the_timeout_exit():
    graph = parse(RECHECK)
    state = _fired(graph)
    effect = engine.on_result(graph, state, CASE, "wait_7", {"settled": False, "settled_amount": 0.0})
    assert effect.next == "follow_up" and effect.decision["holds"] is False


def test_a_failed_recheck_holds_with_the_timeout_exit_as_a_choice():
    graph = parse(RECHECK)
    hold = engine.on_error(graph, "wait_7", PermanentError("portal down", system="carrier"))
    assert [o["key"] for o in hold.allowed_outcomes] == ["retry", "timeout", "stop"]


# --- Errors that say what is wrong ---------------------------------------------------------


def test_an_amount_that_is_not_a_number_is_named_as_such():
    graph = parse(
        {
            "title": "Claims",
            "start": "big",
            "steps": [
                {
                    "kind": "decide",
                    "key": "big",
                    "title": "Over $5,000?",
                    "branches": [{"when": "case.amount > 5000", "next": "done"}],
                    "otherwise": "done",
                },
                {"kind": "end", "key": "done", "title": "Done"},
            ],
        }
    )
    case = case_names(CaseFactory.build(facts={"fields": {"claim_amount": "lots"}}))
    hold = engine.plan(graph, RunState.start(graph), case, NOW)
    assert isinstance(hold, Hold) and "amount must be a number, got 'lots'" in hold.summary
    assert "missing" not in hold.summary


@pytest.mark.django_db
def test_the_events_api_refuses_an_amount_that_is_not_a_number(client, settings):
    settings.ENGINE = {**settings.ENGINE, "api_events_token": "t0ken"}
    body = {"event": "claim.submitted", "case": {"subject": "Claim", "amount": "lots"}}
    answer = client.post("/api/events/", body, content_type="application/json", HTTP_AUTHORIZATION="Bearer t0ken")
    assert answer.status_code == 400
    assert answer.json()["message"] == "amount must be a number, got 'lots'."
    assert not Case.objects.exists()


def test_skipping_the_jira_bug_in_the_compiled_escalation_sop_also_skips_the_jira_linked_tag():
    from pathlib import Path

    from procedures.compiler.rules import compile_rules

    source = (
        Path(__file__).resolve().parents[2] / "tests" / "procedures" / "compiler_eval" / "11-escalation.md"
    ).read_text()
    graph = compile_rules(source).graph
    [create] = [s for s in graph.steps if getattr(s, "operation", None) == "jira.create_issue"]
    [tag] = [
        s for s in graph.steps if getattr(s, "operation", None) == "zendesk.add_tags" and "jira-linked" in str(s.params)
    ]
    later = dependents(graph, create.key)
    assert tag.key in later and "same SOP instruction" in later[tag.key]
