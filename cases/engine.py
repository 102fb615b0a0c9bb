"""The engine's functional core: one step in, one effect out. No database, no I/O.

`plan(graph, state, case, now)` interprets the step under `state.cursor` and
returns what must happen next:

- `Goto`        move on (a decision was made, facts were computed, a wait ended);
- `CallOperation` call a connector operation with rendered parameters; the
                shell performs it and feeds the answer back through
                `on_result` / `on_error`, which return a Goto or a Hold;
- `StartTimer`  wait until `due_at` and/or an event;
- `Hold`        stop for a person (missing or conflicting fact, unknown value,
                failed action, approval, evidence, judgement);
- `End`         the run is over.

The shell (`cases.services`, `cases.run_pass`) owns persistence, locking,
idempotency keys and the clock; it applies an effect with `apply_goto` and
re-plans. A person's decision on a hold, a fired timer and a delivered event
reach the core as `state.resolution` / `state.wake` for the current visit of
the current step.

The state and effect types live in `cases.engine_state`, how each kind of step
is planned in `cases.engine_steps` and `cases.engine_waits`; this module is the
core's interface and re-exports them.
"""

from __future__ import annotations

import datetime as dt

from cases.engine_state import STOP, CallOperation, Effect, End, Goto, Hold, RunState, StartTimer
from cases.engine_steps import (
    ask_details,
    gather_done,
    gather_outcomes,
    plan_act,
    plan_approve,
    plan_decide,
    plan_gather,
    plan_without,
    reads_unavailable,
    skip_details,
    skip_outcome,
)
from cases.engine_waits import add_duration, plan_wait, recheck_done, recheck_outcomes
from connectors import registry
from connectors.base import Ambiguous, ConnectorError, NotFound
from procedures.steps import ActStep, ApproveStep, DecideStep, EndStep, GatherStep, Graph, WaitStep

__all__ = [
    "STOP",
    "CallOperation",
    "Effect",
    "End",
    "Goto",
    "Hold",
    "RunState",
    "StartTimer",
    "add_duration",
    "apply_goto",
    "dry_run_result",
    "on_error",
    "on_result",
    "plan",
    "run_now",
]


# --- Planning -----------------------------------------------------------------------


def run_now(state: RunState, now: dt.datetime) -> dt.datetime:
    """The run's clock: the wall clock, or the last timer it observed if that is later."""
    if state.now_floor:
        floor = dt.datetime.fromisoformat(state.now_floor)
        return max(now, floor)
    return now


def plan(graph: Graph, state: RunState, case: dict, now: dt.datetime) -> Effect:
    step = graph.step(state.cursor)
    resolution = state.pending("resolution")
    if resolution and resolution.get("outcome") == "stop":
        return End(step.key, "stopped")
    lost = reads_unavailable(step, state)
    if lost and not resolution:
        return plan_without(step, state, lost)
    match step:
        case GatherStep():
            return plan_gather(graph, step, state, case, resolution)
        case DecideStep():
            return plan_decide(step, state, case, resolution)
        case ActStep():
            return plan_act(graph, step, state, case, resolution)
        case WaitStep():
            return plan_wait(step, state, case, now, resolution)
        case ApproveStep():
            return plan_approve(step, state, case, resolution)
        case EndStep():
            return End(step.key, step.outcome, step.case_status, step.handoff_role)
    raise TypeError(f"unknown step kind {step!r}")


def on_result(graph: Graph, state: RunState, case: dict, step_key: str, result: dict) -> Effect:
    step = graph.step(step_key)
    if isinstance(step, GatherStep):
        return gather_done(graph, step, state, case, result)
    if isinstance(step, WaitStep):
        return recheck_done(step, state, case, result)
    assert isinstance(step, ActStep)
    return Goto(step.key, step.next, facts={step.save_as: result} if step.save_as else None)


def on_error(graph: Graph, step_key: str, error: ConnectorError) -> Hold:
    """A permanent connector failure (retryable ones are the shell's business)."""
    step = graph.step(step_key)
    detail = {"error": str(error), "code": error.code, "remote_message": error.remote_message}
    if isinstance(step, GatherStep):
        outcomes = gather_outcomes()
        if isinstance(error, Ambiguous):
            return Hold(
                step.key,
                "conflicting_fact",
                f"{step.title}: several records match ({error}); which one is meant?",
                {**detail, "candidates": error.candidates, **ask_details(graph, step)},
                outcomes,
            )
        if isinstance(error, NotFound):
            return Hold(
                step.key,
                "missing_fact",
                f"{step.title}: nothing found ({error}).",
                {**detail, **ask_details(graph, step)},
                outcomes,
            )
    if isinstance(step, WaitStep):
        return Hold(
            step.key, "action_failed", f"{step.title}: the re-check failed: {error}", detail, recheck_outcomes(step)
        )
    outcomes = [{"key": "retry", "label": "Try the action again"}, STOP]
    if isinstance(step, ActStep):
        outcomes.insert(1, skip_outcome(step))
        detail.update(skip_details(graph, step))
    return Hold(step.key, "action_failed", f"{step.title}: the action failed permanently: {error}", detail, outcomes)


def apply_goto(graph: Graph, state: RunState, effect: Goto, now: dt.datetime) -> RunState:
    """The state after a Goto: facts merged, the step's time noted, the next step's visit counted."""
    facts = {**state.facts, **(effect.facts or {})}
    times = {**state.times, effect.step_key: now.isoformat()}
    visits = dict(state.visits)
    cursor = effect.next or state.cursor
    if effect.next:
        visits[effect.next] = visits.get(effect.next, 0) + 1
    skipped, unavailable = dict(state.skipped), dict(state.unavailable)
    for name in effect.facts or {}:  # produced after all (a loop came back and the step ran)
        unavailable.pop(name, None)
    if effect.skipped:
        skipped[effect.step_key] = effect.skipped
        save_as = getattr(graph.step(effect.step_key), "save_as", None)
        if save_as and not isinstance(graph.step(effect.step_key), DecideStep):
            unavailable[save_as] = f"{graph.step(effect.step_key).title!r} was skipped"
    return RunState(
        cursor=cursor,
        visits=visits,
        facts=facts,
        times=times,
        event=state.event,
        resolution=None,
        wake=None,
        retries=state.retries,
        now_floor=state.now_floor,
        skipped=skipped,
        unavailable=unavailable,
    )


def dry_run_result(operation: str) -> dict:
    """What a skipped write 'returns' in dry run and shadow mode, so later steps can render."""
    op = registry.get(operation)
    return {name: f"(dry run: {operation}.{name})" for name in op.returns} | {"dry_run": True}
