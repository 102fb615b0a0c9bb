"""The engine's shell with the database: traces, holds, timers, events, dry runs. No connector is called."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cases.models import Case, ReviewItem, Run, StepExecution, Timer
from cases.services import case_event_deliver, hold_resolve, run_advance, run_start
from cases.timers import timers_sweep
from tests.factories import CaseFactory, ProcedureVersionFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)

GRAPH = {
    "title": "Claims (no connectors)",
    "start": "facts",
    "steps": [
        {
            "kind": "gather",
            "key": "facts",
            "title": "Read the claim",
            "instruction": "Read the claim amount.",
            "compute": {"amount": "{{ case.amount }}"},
            "save_as": "claim",
            "next": "big",
        },
        {
            "kind": "decide",
            "key": "big",
            "title": "Over $5,000?",
            "instruction": "Claims over $5,000 need approval.",
            "branches": [{"when": "claim.amount > 5000", "next": "approval"}],
            "otherwise": "wait_reply",
        },
        {
            "kind": "approve",
            "key": "approval",
            "title": "Approval",
            "role": "claims manager",
            "evidence": [{"kind": "photo"}],
            "on_missing_evidence": "wait_reply",
            "on_approved": "done",
            "on_rejected": "rejected",
        },
        {
            "kind": "wait",
            "key": "wait_reply",
            "title": "Wait for the reply",
            "delay": {"days": 5},
            "for_event": "customer.replied",
            "on_event": "done",
            "next": "abandon",
        },
        {"kind": "end", "key": "abandon", "title": "Abandon", "outcome": "abandoned"},
        {"kind": "end", "key": "rejected", "title": "Rejected", "outcome": "closed"},
        {"kind": "end", "key": "done", "title": "Done", "outcome": "resolved", "case_status": "resolved"},
    ],
}

ACT_GRAPH = {
    "title": "One write",
    "start": "note",
    "steps": [
        {
            "kind": "act",
            "key": "note",
            "title": "Note",
            "operation": "zendesk.add_note",
            "params": {"ticket_id": "{{ case.ticket_id }}", "body": "Hello {{ case.requester_email }}"},
            "save_as": "note",
            "next": "done",
        },
        {"kind": "end", "key": "done", "title": "Done"},
    ],
}


def start(graph=GRAPH, mode=Run.Mode.LIVE, **facts) -> Run:
    version = ProcedureVersionFactory(graph=graph, status="published")
    case = CaseFactory(facts=facts)
    return run_start(case=case, version=version, mode=mode, enqueue=False)


def statuses(run: Run) -> list[tuple[str, str]]:
    return list(run.executions.order_by("sequence").values_list("step_key", "status"))


def test_small_claim_waits_then_times_out_once():
    with time_machine.travel(START, tick=False):
        run = run_advance(run_id=start(amount=1200).id)
    assert run.status == Run.Status.WAITING
    timer = Timer.objects.get(run=run)
    assert timer.due_at == START + dt.timedelta(days=5)
    assert Case.objects.get(id=run.case_id).status == Case.Status.WAITING
    assert timers_sweep(now=START + dt.timedelta(days=4)) == []
    assert timers_sweep(now=START + dt.timedelta(days=5, minutes=1)) == [timer.id]
    assert timers_sweep(now=START + dt.timedelta(days=6)) == []
    run = run_advance(run_id=run.id)
    assert (run.status, run.outcome) == (Run.Status.COMPLETED, "abandoned")
    assert statuses(run)[-2:] == [("wait_reply", "succeeded"), ("abandon", "succeeded")]
    assert Case.objects.get(id=run.case_id).status == Case.Status.CLOSED


def test_reply_ends_the_wait_and_cancels_the_timer():
    run = run_advance(run_id=start(amount=1200).id)
    assert case_event_deliver(case=run.case, event_type="customer.replied", event={"body": "here"}) == [run.id]
    run = run_advance(run_id=run.id)
    assert run.outcome == "resolved"
    assert Timer.objects.get(run=run).cancelled_at is not None
    assert timers_sweep(now=START + dt.timedelta(days=30)) == []


def test_big_claim_with_photo_is_held_for_the_role_then_approved(reviewer):
    run = run_advance(run_id=start(amount=8400, attachments=[{"kind": "photo", "name": "a.jpg"}]).id)
    assert run.status == Run.Status.HELD
    item = ReviewItem.objects.get(run=run)
    assert (item.reason, item.required_role) == ("approval", "claims manager")
    hold_resolve(item=item, outcome="approve", user=reviewer)
    run = run_advance(run_id=run.id)
    assert (run.status, run.outcome) == (Run.Status.COMPLETED, "resolved")
    assert ReviewItem.objects.get(id=item.id).decided_by == reviewer


def test_big_claim_without_photo_goes_to_the_missing_evidence_branch():
    run = run_advance(run_id=start(amount=8400).id)
    assert run.status == Run.Status.WAITING and run.current_step == "wait_reply"
    assert not ReviewItem.objects.filter(run=run).exists()
    approval = run.executions.get(step_key="approval")
    assert approval.decision == {"evidence_missing": ["needs at least 1 photo (has 0)"]}


def test_condition_on_a_missing_fact_holds_and_a_reviewer_picks_the_branch(reviewer):
    run = run_advance(run_id=start().id)  # no amount at all
    item = ReviewItem.objects.get(run=run)
    assert item.reason == "missing_fact" and item.step_key in ("facts", "big")
    keys = [o["key"] for o in item.allowed_outcomes]
    assert "stop" in keys
    hold_resolve(item=item, outcome="stop", user=reviewer)
    run = run_advance(run_id=run.id)
    assert (run.status, run.outcome) == (Run.Status.COMPLETED, "stopped")


def test_a_second_start_of_the_same_procedure_on_a_case_is_refused():
    run = start(amount=1)
    assert run_start(case=run.case, version=run.version, enqueue=False) is None
    assert run_start(case=run.case, version=run.version, mode=Run.Mode.SHADOW, enqueue=False) is not None


def test_dry_run_records_the_rendered_write_without_calling_anything():
    run = run_advance(run_id=start(ACT_GRAPH, Run.Mode.DRY_RUN, ticket_id="42").id)
    assert run.status == Run.Status.COMPLETED
    note = run.executions.get(step_key="note")
    assert note.status == StepExecution.Status.SKIPPED
    assert note.request == {
        "operation": "zendesk.add_note",
        "params": {"ticket_id": "42", "body": "Hello customer@acme.example"},
        "writes": True,
    }


def test_advancing_a_finished_run_does_nothing():
    run = run_advance(run_id=start(ACT_GRAPH, Run.Mode.DRY_RUN, ticket_id="1").id)
    before = statuses(run)
    assert statuses(run_advance(run_id=run.id)) == before


@pytest.mark.parametrize("mode", [Run.Mode.DRY_RUN, Run.Mode.SHADOW])
def test_a_dry_or_shadow_run_that_reaches_a_wait_leaves_no_timer_and_touches_no_case_data(mode):
    run = run_advance(run_id=start(mode=mode, amount=1200).id)
    assert (run.status, run.current_step) == (Run.Status.WAITING, "wait_reply")
    assert run.executions.get(step_key="wait_reply").decision["due_at"]
    assert not Timer.objects.filter(run=run).exists()
    assert Case.objects.get(id=run.case_id).status == Case.Status.OPEN
