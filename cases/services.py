"""Writes on runs: start, advance, wake, resolve a hold, recover. The engine's thin shell.

`run_advance` performs the effects `cases.engine.plan` returns. Each pass locks
the Run row in its own transaction (`select_for_update`; on SQLite the
IMMEDIATE transaction mode serialises writers), so two workers never advance
one run. A connector call is made OUTSIDE any transaction, between two trace
writes:

1. in a transaction: write a STARTED StepExecution holding the rendered request
   and the idempotency key `sopdesk-run<run>-<step>-<visit>`; commit;
2. call the connector with that key;
3. in a transaction: lock the run again, complete the execution (SUCCEEDED /
   FAILED) and move the run on.

A worker killed between 1 and 3 leaves a STARTED execution. Whoever advances
the run next re-performs exactly that request with the same key once its lease
(`SOPDESK_STEP_LEASE_SECONDS`) has passed; the connectors turn a repeated key
into a replay of the earlier write, not a second one. `runs_recover` (a
django-q2 schedule) re-enqueues runs left like that.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import asdict
from typing import Any

from django.db import transaction

from cases import clock, conf, engine, graphcache
from cases.casefacts import case_names
from cases.models import Case, ReviewItem, Run, StepExecution, Timer
from cases.sla.clocks import sla_on_case_event, sla_status_change_matters
from connectors import registry
from connectors.base import ConnectorError, RetryableError
from procedures.models import ProcedureVersion
from procedures.steps import Graph

logger = logging.getLogger(__name__)

ACTIVE = (Run.Status.PENDING, Run.Status.RUNNING)
MAX_STEPS_PER_ADVANCE = 200


class RunError(Exception):
    code = "run_error"


def idempotency_key(*, run_id: int, step_key: str, visit: int) -> str:
    return f"sopdesk-run{run_id}-{step_key}-{visit}"


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
    except Exception as exc:  # IntegrityError from a concurrent start: that one wins
        from django.db import IntegrityError

        if not isinstance(exc, IntegrityError):
            raise
        return None
    if not created:
        return None
    if enqueue:
        _enqueue(run.id)
    return run


# --- Advance -------------------------------------------------------------------


def run_advance(*, run_id: int, max_steps: int = MAX_STEPS_PER_ADVANCE) -> Run:
    """Advance a run until it waits, is held, ends, or hands a retry to the queue. Safe to call twice."""
    for _ in range(max_steps):
        pending = _advance_once(run_id)
        if pending is None:
            break
        if pending == "again":
            continue
        if not _perform(run_id, pending):
            break
    return Run.objects.get(id=run_id)


def _advance_once(run_id: int) -> StepExecution | str | None:
    """One locked pass: plan and apply one effect. Returns a STARTED execution to perform, 'again', or None."""
    now = clock.now()
    with transaction.atomic():
        run = Run.objects.select_for_update().select_related("case", "version").get(id=run_id)
        if run.status not in ACTIVE:
            return None
        started = run.executions.filter(status=StepExecution.Status.STARTED).order_by("-sequence").first()
        if started:
            lease = dt.timedelta(seconds=conf.step_lease_seconds())
            if started.started_at > now - lease:
                return None  # another worker is performing it right now
            started.attempt += 1
            started.started_at = now
            started.save(update_fields=["attempt", "started_at"])
            return started
        graph = _graph(run.version)
        state = engine.RunState.from_json(run.state) if run.state else engine.RunState.start(graph)
        now = engine.run_now(state, now)
        if state.retry_at and now < dt.datetime.fromisoformat(state.retry_at):
            return None  # a retry is scheduled; it is not due yet
        case = case_names(run.case)
        effect = engine.plan(graph, state, case, now)
        if isinstance(effect, engine.CallOperation):
            # In a dry run a declared operation with a mock answers from it (reads and writes alike); shadow
            # runs read the real systems, because they are compared with what people did on real cases.
            mocked = run.mode == Run.Mode.DRY_RUN and registry.get(effect.operation).mock is not None
            if effect.writes and run.mode != Run.Mode.LIVE and not mocked:
                _record(run, effect.step_key, StepExecution.Status.SKIPPED, now, request=_request(effect))
                result = engine.dry_run_result(effect.operation)
                effect = engine.on_result(graph, state, case, effect.step_key, result)
                return _apply(run, graph, state, effect, now, recorded=True)
            retries = state.retries.get(f"{effect.step_key}-{state.visit}", 0)
            execution = _record(
                run,
                effect.step_key,
                StepExecution.Status.STARTED,
                now,
                request=_request(effect) | ({"mock": True} if mocked else {}),
                attempt=retries + 1,
                idempotency_key=idempotency_key(run_id=run.id, step_key=effect.step_key, visit=state.visit),
                finished=False,
            )
            if run.status != Run.Status.RUNNING:
                run.status = Run.Status.RUNNING
                run.save(update_fields=["status", "updated_at"])
            return execution
        return _apply(run, graph, state, effect, now)


def _request(effect: engine.CallOperation) -> dict:
    return {"operation": effect.operation, "params": effect.params, "writes": effect.writes}


def _record(
    run: Run,
    step_key: str,
    status: str,
    now: dt.datetime,
    *,
    request: dict | None = None,
    decision: dict | None = None,
    result: Any = None,
    error: str = "",
    attempt: int = 1,
    idempotency_key: str = "",
    finished: bool = True,
    inputs: dict | None = None,
) -> StepExecution:
    last = run.executions.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    return StepExecution.objects.create(
        run=run,
        sequence=last + 1,
        step_key=step_key,
        status=status,
        attempt=attempt,
        request=request,
        decision=decision,
        result=result,
        error=error,
        idempotency_key=idempotency_key,
        inputs=inputs or {},
        finished_at=now if finished else None,
    )


def _apply(
    run: Run, graph: Graph, state: engine.RunState, effect: engine.Effect, now: dt.datetime, *, recorded: bool = False
) -> str | None:
    """Apply a non-call effect inside the caller's transaction. Returns 'again' to keep going, None to stop.

    `recorded`: the step's execution row already exists (a connector call was traced).
    """
    match effect:
        case engine.Goto():
            if not recorded:
                _record(
                    run,
                    effect.step_key,
                    StepExecution.Status.SKIPPED if effect.skipped else StepExecution.Status.SUCCEEDED,
                    now,
                    decision={**(effect.decision or {}), "skipped": effect.skipped} if effect.skipped else effect.decision,
                    result=effect.facts,
                )
            new_state = engine.apply_goto(graph, state, effect, now)
            if effect.next is None:
                _finish(run, new_state, engine.End(effect.step_key, "resolved"), now)
                return None
            _save_state(run, new_state, Run.Status.RUNNING)
            return "again"
        case engine.End():
            _record(run, effect.step_key, StepExecution.Status.SUCCEEDED, now, decision={"end": effect.outcome})
            _finish(run, state, effect, now)
            return None
        case engine.StartTimer():
            _record(
                run,
                effect.step_key,
                StepExecution.Status.WAITING,
                now,
                decision={
                    "due_at": effect.due_at.isoformat() if effect.due_at else None,
                    "for_event": effect.for_event,
                },
            )
            # Dry and shadow runs record the wait and its due time; no timer of theirs ever fires later.
            if effect.due_at and run.mode == Run.Mode.LIVE:
                Timer.objects.create(
                    run=run,
                    step_key=effect.step_key,
                    kind=effect.kind,
                    due_at=effect.due_at,
                    payload={"visit": state.visit, "for_event": effect.for_event},
                )
            _save_state(run, state, Run.Status.WAITING)
            if run.mode == Run.Mode.LIVE and effect.for_event:
                _case_status(run.case_id, Case.Status.WAITING, now)
            return None
        case engine.Hold():
            _hold(run, state, effect, now)
            return None
    raise TypeError(f"cannot apply {effect!r}")


def _save_state(run: Run, state: engine.RunState, status: str) -> None:
    run.state = state.to_json()
    run.current_step = state.cursor
    run.status = status
    run.save(update_fields=["state", "current_step", "status", "updated_at"])


def _hold(run: Run, state: engine.RunState, hold: engine.Hold, now: dt.datetime) -> None:
    _record(run, hold.step_key, StepExecution.Status.HELD, now, decision=asdict(hold))
    _save_state(run, state, Run.Status.HELD)
    if run.mode != Run.Mode.LIVE:
        return  # dry runs and shadow runs record the edge; they do not fill the reviewers' inbox
    item = ReviewItem.objects.create(
        run=run,
        case=run.case,
        step_key=hold.step_key,
        reason=hold.reason,
        summary=hold.summary,
        proposal={**hold.proposal, "visit": state.visit},
        allowed_outcomes=hold.allowed_outcomes,
        required_role=hold.role,
    )
    _case_status(run.case_id, Case.Status.HELD, now)
    _consult(item.id)


def _consult(item_id: int) -> None:
    """Ask for a proposal on a new hold (precedents, then the model): `cases.judgements.hold_consult`."""
    from django_q.tasks import async_task

    transaction.on_commit(
        lambda: async_task("cases.judgements.hold_consult_task", item_id, group="hold_consult", save=False)
    )


END_CASE_STATUS = {"closed": Case.Status.CLOSED, "abandoned": Case.Status.CLOSED}


def end_case_status(end: engine.End) -> str | None:
    """What a run's end does to its case: the end step's `case_status`, else closed for closed/abandoned ends.

    An end that only says the SOP is done (`resolved`, `handed_off`, `stopped`,
    or running off the last step) leaves the case's status to people and the
    source system: an SOP that escalates has done its part, the case is not solved.
    """
    return end.case_status or END_CASE_STATUS.get(end.outcome)


def _finish(run: Run, state: engine.RunState, end: engine.End, now: dt.datetime) -> None:
    run.state = state.to_json()
    run.current_step = state.cursor
    run.status = Run.Status.COMPLETED
    run.outcome = end.outcome
    if state.skipped and end.outcome != "stopped":
        run.outcome = f"{end.outcome}, partially done"
        run.error = "Not done: " + "; ".join(state.skipped.values())
    run.finished_at = now
    run.save(update_fields=["state", "current_step", "status", "outcome", "error", "finished_at", "updated_at"])
    if run.mode != Run.Mode.LIVE:
        return
    case = run.case
    updates: dict[str, Any] = {}
    status = end_case_status(end)
    if status and status != Case.Status.OPEN:
        _case_status(case.id, status, now)
    elif case.status in (Case.Status.HELD, Case.Status.WAITING):
        _case_status(case.id, Case.Status.OPEN, now)
    if end.handoff_role:
        updates["queue"] = end.handoff_role
        ReviewItem.objects.create(
            run=run,
            case=case,
            step_key=end.step_key,
            reason=ReviewItem.Reason.JUDGEMENT,
            summary=f"The SOP hands this case to {end.handoff_role}.",
            proposal={"handoff": end.handoff_role},
            allowed_outcomes=[{"key": "done", "label": "Taken over"}],
            required_role=end.handoff_role,
        )
    if updates:
        Case.objects.filter(id=case.id).update(**updates)
        sla_on_case_event(case=Case.objects.get(id=case.id), event_kind="updated", now=now)  # the queue picks policies


DONE = (Case.Status.RESOLVED, Case.Status.CLOSED)


def _case_status(case_id: int, status: str, now: dt.datetime, *, by_run: bool = True) -> None:
    """Set a live case's status and bring its SLA clocks in line (stop, pause, resume, restart).

    `by_run`: a run holding or waiting never reopens a case someone already resolved or closed.
    """
    case = Case.objects.select_for_update().get(id=case_id)
    if case.status == status or (by_run and case.status in DONE and status not in DONE):
        return
    was = case.status
    case.status = status
    if status in (Case.Status.RESOLVED, Case.Status.CLOSED):
        case.resolved_at = case.resolved_at or now
    else:
        case.resolved_at = None
    case.save(update_fields=["status", "resolved_at", "updated_at"])
    if sla_status_change_matters(was, status):  # open ↔ held leaves the clocks running: two reads saved per hold
        sla_on_case_event(case=case, event_kind="status_changed", now=now)


def case_status_set(*, case: Case, status: str, now: dt.datetime | None = None) -> Case:
    """A person (admin) or an integration (API) sets a case's status: SLA clocks follow in the same transaction."""
    if status not in Case.Status.values:
        raise RunError(f"unknown case status {status!r}; use one of {', '.join(Case.Status.values)}")
    with transaction.atomic():
        _case_status(case.id, status, now or clock.now(), by_run=False)
    return Case.objects.get(id=case.id)


def _perform(run_id: int, execution: StepExecution) -> bool:
    """Call the connector for a STARTED execution (no transaction open), then record what happened.

    Returns False when the run must not go on in this task (a retry is scheduled for later).
    """
    request = execution.request or {}
    operation = registry.get(request["operation"])
    error: Exception | None = None
    result: dict | None = None
    try:
        handler = operation.load_mock() if request.get("mock") else operation.load_handler()
        key = execution.idempotency_key if operation.writes else None
        result = handler(dict(request.get("params") or {}), idempotency_key=key)
    except ConnectorError as exc:
        error = exc
    except Exception as exc:  # a bug or misconfiguration in a handler must not wedge the run
        logger.exception("connector %s failed unexpectedly", operation.name)
        error = ConnectorError(f"{type(exc).__name__}: {exc}", system=operation.system)
    if conf.crash_after_write() == execution.step_key:
        logger.warning("SOPDESK_TEST_CRASH_AFTER_WRITE=%s: exiting after the write", execution.step_key)
        os._exit(1)
    return _complete(run_id, execution.id, result, error)


def _complete(run_id: int, execution_id: int, result: dict | None, error: Exception | None) -> bool:
    now = clock.now()
    with transaction.atomic():
        run = Run.objects.select_for_update().select_related("case", "version").get(id=run_id)
        execution = StepExecution.objects.get(id=execution_id)
        if execution.status != StepExecution.Status.STARTED:
            return False  # someone else completed it after our lease ran out
        graph = _graph(run.version)
        state = engine.RunState.from_json(run.state)
        now = engine.run_now(state, now)
        execution.finished_at = now
        if error is None:
            execution.status = StepExecution.Status.SUCCEEDED
            execution.result = result
            execution.save(update_fields=["status", "result", "finished_at"])
            if run.mode == Run.Mode.LIVE:  # dry runs and shadow runs never write case data or clocks
                _learn_tier(run.case, result or {}, now)
            effect = engine.on_result(graph, state, case_names(run.case), execution.step_key, result or {})
            _apply(run, graph, state, effect, now, recorded=True)
            return True
        execution.status = StepExecution.Status.FAILED
        execution.error = f"{getattr(error, 'code', 'error')}: {error}"
        execution.save(update_fields=["status", "error", "finished_at"])
        if isinstance(error, RetryableError):
            retry_key = f"{execution.step_key}-{state.visit}"
            state.retries[retry_key] = state.retries.get(retry_key, 0) + 1
            if state.retries[retry_key] < conf.retry_limit():
                delay = error.retry_after or min(300, 5 * 2 ** state.retries[retry_key])
                state.retry_at = (now + dt.timedelta(seconds=delay)).isoformat()
                _save_state(run, state, Run.Status.RUNNING)
                _schedule_retry(run.id, now + dt.timedelta(seconds=delay))
                return False
        _hold(run, state, engine.on_error(graph, execution.step_key, error), now)
        return False


def _learn_tier(case: Case, result: dict, now: dt.datetime) -> None:
    """A plan read from the CRM (e.g. Salesforce `plan`) is the case's tier, which picks its SLA policy."""
    plan = str(result.get("plan") or "").strip().lower()
    if plan and not (case.facts or {}).get("tier"):
        case.facts, case.updated_at = {**(case.facts or {}), "tier": plan}, clock.now()
        # An UPDATE, not save(): the case's history leaves facts out, so a history row would record nothing.
        Case.objects.filter(id=case.id).update(facts=case.facts, updated_at=case.updated_at)
        sla_on_case_event(case=case, event_kind="updated", now=now)


def _schedule_retry(run_id: int, when: dt.datetime) -> None:
    from django_q.models import Schedule

    Schedule.objects.create(
        name=f"retry run {run_id} at {when.isoformat()}",
        func="cases.tasks.run_advance_task",
        args=repr((run_id,)),
        schedule_type=Schedule.ONCE,
        repeats=1,
        next_run=when,
    )


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
                _case_status(run.case_id, Case.Status.OPEN, now)
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
