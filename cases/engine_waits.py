"""How the engine core plans a wait step: a timer, an event, or both; and the re-check when its timer fires.

Pure functions, no database: the shell creates the timer a `StartTimer` asks for.
"""

from __future__ import annotations

import datetime as dt

from cases.engine_state import STOP, CallOperation, Effect, Goto, Hold, RunState, StartTimer
from cases.expressions import ExpressionError, evaluate, render
from connectors import registry
from procedures.steps import Duration, WaitStep


def plan_wait(step: WaitStep, state: RunState, case: dict, now: dt.datetime, resolution: dict | None) -> Effect:
    wake = state.pending("wake")
    if resolution and resolution.get("outcome") == "timeout":
        return Goto(step.key, step.next, decision={"woken_by": "timer", "recheck": "skipped by a reviewer"})
    if wake:
        if wake.get("by") == "event":
            return Goto(
                step.key, step.on_event or step.next, decision={"woken_by": "event", "event": wake.get("event")}
            )
        if step.recheck:
            return _recheck_call(step, state, case)
        return Goto(step.key, step.next, decision={"woken_by": "timer"})
    due_at = None
    if step.delay:
        base = now
        if step.anchor and step.anchor in state.times:
            base = dt.datetime.fromisoformat(state.times[step.anchor])
        due_at = add_duration(base, step.delay)
        if due_at <= now and not step.for_event:
            return Goto(step.key, step.next, decision={"woken_by": "already_due"})
    kind = "timeout" if step.for_event and step.delay else ("follow_up" if step.anchor else "delay")
    return StartTimer(step.key, due_at, step.for_event, kind)


def add_duration(start: dt.datetime, duration: Duration) -> dt.datetime:
    """`start` plus `duration`; business durations count weekdays only (no holiday calendar yet)."""
    if not duration.business:
        return start + dt.timedelta(seconds=duration.total_seconds())
    moment = start
    days = duration.days
    while days:
        moment += dt.timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    moment += dt.timedelta(hours=duration.hours, minutes=duration.minutes)
    while moment.weekday() >= 5:
        moment += dt.timedelta(days=1)
    return moment


def _recheck_call(step: WaitStep, state: RunState, case: dict) -> CallOperation | Hold:
    """The wait's timer fired: read the source of truth before taking the timeout exit."""
    recheck = step.recheck
    outcomes = recheck_outcomes(step)
    try:
        operation = registry.get(recheck.operation)
    except Exception as exc:  # an operation removed from the registry after the SOP was compiled
        return Hold(step.key, "unknown_value", f"{step.title}: cannot re-check: {exc}", {"error": str(exc)}, outcomes)
    if operation.writes:
        return Hold(
            step.key,
            "unknown_value",
            f"{step.title}: the re-check {recheck.operation} writes; a re-check may only read.",
            {"operation": recheck.operation},
            outcomes,
        )
    try:
        params = {name: render(template, state.names(case)) for name, template in recheck.params.items()}
    except ExpressionError as exc:
        return Hold(step.key, "missing_fact", f"{step.title}: cannot re-check: {exc}", {"error": str(exc)}, outcomes)
    params = {k: v for k, v in params.items() if v is not None}
    return CallOperation(step.key, operation.name, params, False, recheck.save_as)


def recheck_outcomes(step: WaitStep) -> list[dict]:
    return [
        {"key": "retry", "label": "Check again"},
        {"key": "timeout", "label": "Go on as if nothing changed (the timeout exit)", "next": step.next},
        STOP,
    ]


def recheck_done(step: WaitStep, state: RunState, case: dict, result: dict) -> Effect:
    recheck = step.recheck
    names = {**state.names(case), recheck.save_as: result}
    try:
        done = evaluate(recheck.until, names) is True
    except ExpressionError as exc:
        return Hold(
            step.key,
            "unknown_value",
            f"{step.title}: the re-check's answer cannot be read ({exc}).",
            {"error": str(exc), "found": result},
            recheck_outcomes(step),
        )
    decision = {"woken_by": "timer", "recheck": recheck.operation, "until": recheck.until, "holds": done}
    target = (step.on_event or step.next) if done else step.next
    return Goto(step.key, target, decision=decision, facts={recheck.save_as: result})
