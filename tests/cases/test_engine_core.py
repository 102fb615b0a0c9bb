"""The engine's functional core: no database, a frozen clock, hand-written graphs."""

from __future__ import annotations

import datetime as dt

from cases import engine
from cases.engine import CallOperation, End, Goto, Hold, RunState, StartTimer
from cases.expressions import MissingFact, evaluate, render
from connectors.base import Ambiguous, NotFound, PermanentError
from procedures.steps import Duration
from tests.cases.graphs import claim, escalation

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
CASE = {
    "subject": "Export crashes",
    "description": "It crashes.",
    "requester_email": "alice@acme.example",
    "ticket_id": "1",
    "url": "http://zd/tickets/1",
    "tags": ["product-bug"],
    "fields": {},
    "attachments": [],
}


def advance(graph, state, effect):
    assert isinstance(effect, Goto), effect
    return engine.apply_goto(graph, state, effect, NOW)


def test_template_with_one_placeholder_keeps_the_type():
    assert render("{{ a + 1 }}", {"a": 41}) == 42
    assert render("n={{ a }}!", {"a": 4.0}) == "n=4!"
    assert render("{{ math.least(a + 10, 100) }}", {"a": 95}) == 100


def test_missing_fact_is_named():
    try:
        evaluate("account.plan == 'Free'", {"account": {}})
    except MissingFact as exc:
        assert exc.fact == "plan"
    else:
        raise AssertionError("expected MissingFact")


def test_enterprise_path_renders_the_jira_request():
    graph = escalation()
    state = RunState.start(graph)
    effect = engine.plan(graph, state, CASE, NOW)
    assert effect == CallOperation(
        "find_account", "salesforce.query_account", {"email": "alice@acme.example"}, writes=False, save_as="account"
    )
    effect = engine.on_result(graph, state, CASE, "find_account", {"name": "Acme Corp", "plan": "Enterprise"})
    state = advance(graph, state, effect)
    effect = engine.plan(graph, state, CASE, NOW)
    assert effect.next == "open_bug" and effect.decision == {"branch": "otherwise"}
    state = advance(graph, state, effect)
    call = engine.plan(graph, state, CASE, NOW)
    assert call.writes and call.params["priority"] == "Highest"
    assert call.params["description"] == "It crashes. (Acme Corp, Enterprise) http://zd/tickets/1"
    state = advance(graph, state, engine.on_result(graph, state, CASE, "open_bug", {"key": "ENG-1"}))
    note = engine.plan(graph, state, CASE, NOW)
    assert note.params["body"] == "Jira: ENG-1"


def test_free_plan_takes_the_first_branch():
    graph = escalation()
    state = RunState.start(graph)
    state = advance(graph, state, engine.on_result(graph, state, CASE, "find_account", {"plan": "Free"}))
    effect = engine.plan(graph, state, CASE, NOW)
    assert effect.next == "reply_free" and effect.decision["branch"] == 0


def test_missing_required_fact_holds_with_outcomes():
    graph = escalation()
    state = RunState.start(graph)
    hold = engine.on_result(graph, state, CASE, "find_account", {"name": "Nobody"})
    assert isinstance(hold, Hold) and hold.reason == "missing_fact"
    assert [o["key"] for o in hold.allowed_outcomes] == ["continue", "retry", "stop"]


def test_not_found_and_ambiguous_are_holds():
    graph = escalation()
    assert engine.on_error(graph, "find_account", NotFound("no account")).reason == "missing_fact"
    hold = engine.on_error(graph, "find_account", Ambiguous("two", candidates=[{"id": "1"}, {"id": "2"}]))
    assert hold.reason == "conflicting_fact" and len(hold.proposal["candidates"]) == 2
    assert engine.on_error(graph, "open_bug", PermanentError("400")).reason == "action_failed"


def test_reviewer_continue_supplies_the_facts():
    graph = escalation()
    state = RunState.start(graph)
    state.resolution = {
        "step": "find_account",
        "visit": 1,
        "outcome": "continue",
        "params": {"facts": {"plan": "Pro", "name": "Globex"}},
    }
    effect = engine.plan(graph, state, CASE, NOW)
    assert isinstance(effect, Goto) and effect.facts == {"account": {"plan": "Pro", "name": "Globex"}}


def test_stop_outcome_ends_the_run():
    graph = escalation()
    state = RunState.start(graph)
    state.resolution = {"step": "find_account", "visit": 1, "outcome": "stop"}
    assert engine.plan(graph, state, CASE, NOW) == End("find_account", "stopped")


def test_condition_on_missing_fact_holds():
    graph = escalation()
    state = RunState(cursor="is_free", visits={"is_free": 1}, facts={"account": {}})
    hold = engine.plan(graph, state, CASE, NOW)
    assert isinstance(hold, Hold) and hold.reason == "missing_fact"


def test_claim_over_threshold_without_photo_asks_for_one():
    graph = claim()
    case = {**CASE, "amount": 8400}
    state = RunState.start(graph)
    state = advance(graph, state, engine.plan(graph, state, case, NOW))
    effect = engine.plan(graph, state, case, NOW)
    assert effect.next == "ask_photo"


def test_claim_with_photo_waits_for_the_role():
    graph = claim()
    case = {**CASE, "amount": 8400, "attachments": [{"kind": "photo", "name": "a.jpg"}]}
    state = RunState.start(graph)
    state = advance(graph, state, engine.plan(graph, state, case, NOW))
    hold = engine.plan(graph, state, case, NOW)
    assert hold.reason == "approval" and hold.role == "claims manager"
    state.resolution = {"step": "approval", "visit": 1, "outcome": "approve"}
    assert engine.plan(graph, state, case, NOW).next == "file"


def test_wait_counts_from_its_anchor_and_wakes():
    graph = claim()
    filed = NOW - dt.timedelta(days=2)
    state = RunState(cursor="wait_7", visits={"wait_7": 1}, times={"file": filed.isoformat()})
    timer = engine.plan(graph, state, CASE, NOW)
    assert timer == StartTimer("wait_7", filed + dt.timedelta(days=7), "claim.settled", "timeout")
    state.wake = {"step": "wait_7", "visit": 1, "by": "event", "event": {"type": "claim.settled"}}
    assert engine.plan(graph, state, CASE, NOW).decision["woken_by"] == "event"


def test_business_days_skip_weekends():
    friday = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
    assert engine.add_duration(friday, Duration(days=1, business=True)).weekday() == 0
    assert engine.add_duration(friday, Duration(days=5)).weekday() == 2
