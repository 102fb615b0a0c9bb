"""Writes on runs: start, advance, wake, resolve a hold, recover. The engine's thin shell.

`run_advance` alternates locked passes (`cases.run_pass`: every step up to the
next connector call in one transaction, trace rows inserted in bulk, one
UPDATE of the run) with connector calls made OUTSIDE any transaction
(`cases.run_calls`). A write is made between two trace writes:

1. in a transaction: write a STARTED StepExecution holding the rendered request
   and the idempotency key `sopdesk-run<run>-<step>-<visit>`; commit;
2. call the connector with that key;
3. in a transaction: lock the run again, complete the execution (SUCCEEDED /
   FAILED) and move the run on.

A worker killed between 1 and 3 leaves a STARTED execution. Whoever advances
the run next re-performs exactly that request with the same key once its lease
(`SOPDESK_STEP_LEASE_SECONDS`) has passed; the connectors turn a repeated key
into a replay of the earlier write, not a second one. `runs_recover` (a
django-q2 schedule) re-enqueues runs left like that. A read has no side effect:
it is made between two passes and recorded, once answered, by the second.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from cases import clock, conf, engine, graphcache
from cases.models import Case, ReviewItem, Run, StepExecution, Timer
from cases.run_calls import Read, read_perform, write_perform
from cases.run_case import case_status, end_case_status
from cases.run_pass import ACTIVE, Budget, Outcome, idempotency_key, pass_run, write_complete
from procedures.models import ProcedureVersion
from procedures.steps import Graph

__all__ = [
    "ACTIVE",
    "MAX_STEPS_PER_ADVANCE",
    "RunError",
    "case_event_deliver",
    "case_status_set",
    "end_case_status",
    "hold_resolve",
    "idempotency_key",
    "run_advance",
    "run_start",
    "run_wake",
    "runs_recover",
]

MAX_STEPS_PER_ADVANCE = 200


class RunError(Exception):
    code = "run_error"


def _graph(version: ProcedureVersion) -> Graph:
    return graphcache.version_graph(version)


def _enqueue(run_id: int) -> None:
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task("cases.tasks.run_advance_task", run_id, group="run_advance", save=False))


# --- Start ----------------------------------------------------------------------


def run_start(
    *, case: Case, version: ProcedureVersion, mode: str = Run.Mode.LIVE, event: dict | None = None, enqueue: bool = True
) -> Run | None:
    """Start a run of `version` on `case`, unless this procedure already ran on it in this mode.

    The (case, procedure, mode) uniqueness is a database constraint, so two
    deliveries of one webhook racing each other still start one run.
    """
    graph = _graph(version)
    trigger_key = f"{version.procedure_id}:{mode}"
    state = engine.RunState.start(graph, event=event)
    try:  # get_or_create inserts in its own savepoint, so a lost race leaves the caller's transaction usable
        run, created = Run.objects.get_or_create(
            case=case,
            trigger_key=trigger_key,
            defaults={
                "version": version,
                "mode": mode,
                "status": Run.Status.PENDING,
                "current_step": graph.start,
                "state": state.to_json(),
            },
        )
    except IntegrityError:  # a concurrent start: that one wins
        return None
    if not created:
        return None
    if enqueue:
        _enqueue(run.id)
    return run


# --- Advance -------------------------------------------------------------------


def run_advance(*, run_id: int, max_steps: int = MAX_STEPS_PER_ADVANCE) -> Run:
    """Advance a run until it waits, is held, ends, or hands a retry to the queue. Safe to call twice.

    `max_steps` bounds the steps taken in this call (a run left RUNNING is picked up by `runs_recover`).
    """
    budget = Budget(max_steps)
    outcome = pass_run(run_id, budget)
    while outcome.next is not None:
        outcome = _call_then_pass(run_id, outcome.next, budget)
    return _as_saved(outcome.run)


def _as_saved(run: Run) -> Run:
    """The run as the last pass saved it; its case and version are read afresh when asked for."""
    for name in ("case", "version"):
        relation = Run._meta.get_field(name)
        if relation.is_cached(run):
            relation.delete_cached_value(run)
    return run


def _call_then_pass(run_id: int, call: Read | StepExecution, budget: Budget) -> Outcome:
    """Make the call a pass stopped before (no transaction open), then the pass that records it and goes on."""
    if isinstance(call, Read):
        return pass_run(run_id, budget, answer=read_perform(call))
    result, error = write_perform(call)
    return write_complete(run_id, call, result, error, budget=budget)


def _advance_once(run_id: int) -> StepExecution | None:
    """Advance up to the next write: the STARTED execution whose call must be performed next, or None.

    With `_perform`, `run_advance` one write at a time (a test stops a run between a write and its completion).
    """
    budget = Budget(MAX_STEPS_PER_ADVANCE)
    after = pass_run(run_id, budget).next
    while isinstance(after, Read):
        after = pass_run(run_id, budget, answer=read_perform(after)).next
    return after


def _perform(run_id: int, execution: StepExecution) -> bool:
    """Perform a STARTED execution's write, record it and take the steps after it, stopping before the next call.

    False when the run must not go on in this task (held, a retry scheduled, or completed by someone else).
    """
    result, error = write_perform(execution)
    budget = Budget(MAX_STEPS_PER_ADVANCE)
    return write_complete(run_id, execution, result, error, budget=budget, start_calls=False).went_on


def _save_state(run: Run, state: engine.RunState, status: str) -> None:
    run.state = state.to_json()
    run.current_step = state.cursor
    run.status = status
    run.save(update_fields=["state", "current_step", "status", "updated_at"])


def case_status_set(*, case: Case, status: str, now: dt.datetime | None = None) -> Case:
    """A person (admin) or an integration (API) sets a case's status: SLA clocks follow in the same transaction."""
    if status not in Case.Status.values:
        raise RunError(f"unknown case status {status!r}; use one of {', '.join(Case.Status.values)}")
    with transaction.atomic():
        case_status(case.id, status, now or clock.now(), by_run=False)
    return Case.objects.get(id=case.id)


# --- Waking, resolving, recovering ------------------------------------------------------


def run_wake(
    *, run: Run, by: str, step_key: str, visit: int, event: dict | None = None, at: dt.datetime | None = None
) -> bool:
    """End a wait (timer fired or event arrived) if the run still waits on that visit of that step.

    `at` is when the timer fired (the sweep's clock): the run's own clock is never earlier afterwards,
    so a delay after a fired timer counts from the timer, also when a test moves the sweep's time.
    """
    with transaction.atomic():
        run = Run.objects.select_for_update().get(id=run.id)
        state = engine.RunState.from_json(run.state)
        if run.status != Run.Status.WAITING or state.cursor != step_key or state.visit != visit:
            return False
        state.wake = {"step": step_key, "visit": visit, "by": by, "event": event}
        if at is not None:
            state.now_floor = engine.run_now(state, at).isoformat()
        if event is not None:
            state.event = event
        Timer.objects.filter(run=run, step_key=step_key, fired_at__isnull=True, cancelled_at__isnull=True).update(
            cancelled_at=clock.now()
        )
        _save_state(run, state, Run.Status.RUNNING)
        _enqueue(run.id)
    return True


def case_event_deliver(*, case: Case, event_type: str, event: dict) -> list[int]:
    """Wake every run of `case` waiting for `event_type`. Returns the ids of the runs woken."""
    woken = []
    for run in case.runs.filter(status=Run.Status.WAITING):
        state = engine.RunState.from_json(run.state)
        step = _graph(run.version).step(state.cursor)
        if getattr(step, "for_event", None) == event_type and run_wake(
            run=run, by="event", step_key=state.cursor, visit=state.visit, event={"type": event_type, **event}
        ):
            woken.append(run.id)
    return woken


def hold_resolve(
    *, item: ReviewItem, outcome: str, params: dict | None = None, user=None, note: str = ""
) -> ReviewItem:
    """Record a person's decision on a hold and resume the run from the held step.

    `outcome` must be one of the item's allowed outcome keys. The run resumes
    through the queue (`run_advance`), never in the caller's request.
    """
    allowed = [o["key"] if isinstance(o, dict) else o for o in item.allowed_outcomes]
    if allowed and outcome not in allowed:
        raise RunError(f"outcome {outcome!r} is not allowed here; choose one of {', '.join(allowed)}")
    now = clock.now()
    with transaction.atomic():
        run = Run.objects.select_for_update().get(id=item.run_id)
        item = ReviewItem.objects.select_for_update().get(id=item.id)
        if item.status != ReviewItem.Status.OPEN:
            raise RunError("this review item has already been decided")
        item.status = ReviewItem.Status.DECIDED
        item.outcome = outcome
        item.decision_params = params or {}
        item.note = note
        item.decided_by = user
        item.decided_at = now
        item.save()
        state = engine.RunState.from_json(run.state)
        if run.status == Run.Status.HELD and state.cursor == item.step_key:
            state.resolution = {
                "step": item.step_key,
                "visit": item.proposal.get("visit", state.visit),
                "outcome": outcome,
                "params": params or {},
                "by": getattr(user, "username", None),
            }
            state.retries.pop(f"{item.step_key}-{state.visit}", None)
            state.retry_at = None
            _save_state(run, state, Run.Status.RUNNING)
            if run.mode == Run.Mode.LIVE and Case.objects.filter(id=run.case_id, status=Case.Status.HELD).exists():
                case_status(run.case_id, Case.Status.OPEN, now)
            _enqueue(run.id)
    return item


def runs_recover(*, older_than_seconds: int | None = None, now: dt.datetime | None = None) -> list[int]:
    """Re-enqueue runs a dead worker left behind: a STARTED execution, or RUNNING with nothing queued, past the lease."""
    from django_q.tasks import async_task

    now = now or clock.now()
    cutoff = now - dt.timedelta(seconds=conf.step_lease_seconds() if older_than_seconds is None else older_than_seconds)
    stuck = set(
        StepExecution.objects.filter(status=StepExecution.Status.STARTED, started_at__lt=cutoff).values_list(
            "run_id", flat=True
        )
    )
    stuck |= set(Run.objects.filter(status__in=ACTIVE, updated_at__lt=cutoff).values_list("id", flat=True))
    for run_id in sorted(stuck):
        async_task("cases.tasks.run_advance_task", run_id, group="run_advance", save=False)
    return sorted(stuck)
