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

The shell (`cases.services`) owns persistence, locking, idempotency keys and
the clock; it applies an effect with `apply_goto` and re-plans. A person's
decision on a hold, a fired timer and a delivered event reach the core as
`state.resolution` / `state.wake` for the current visit of the current step.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from cases.expressions import ExpressionError, MissingFact, evaluate, render, scope
from connectors import registry
from connectors.base import Ambiguous, ConnectorError, NotFound
from procedures.steps import (
    ActStep,
    ApproveStep,
    DecideStep,
    Duration,
    EndStep,
    GatherStep,
    Graph,
    Step,
    WaitStep,
)

STOP = {"key": "stop", "label": "Stop the run here"}


# --- State --------------------------------------------------------------------------


@dataclass
class RunState:
    """What a run carries between steps; stored as JSON in `Run.state`."""

    cursor: str
    visits: dict[str, int] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    times: dict[str, str] = field(default_factory=dict)
    event: dict[str, Any] = field(default_factory=dict)
    resolution: dict[str, Any] | None = None
    wake: dict[str, Any] | None = None
    retries: dict[str, int] = field(default_factory=dict)
    # The latest moment this run has observed (a timer's firing time); its clock never runs backwards.
    now_floor: str | None = None
    # After a retryable connector failure: not before this moment (ISO).
    retry_at: str | None = None

    @classmethod
    def start(cls, graph: Graph, *, event: dict | None = None) -> RunState:
        return cls(cursor=graph.start, visits={graph.start: 1}, event=event or {})

    @classmethod
    def from_json(cls, data: dict) -> RunState:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def to_json(self) -> dict:
        return asdict(self)

    @property
    def visit(self) -> int:
        return self.visits.get(self.cursor, 1)

    def names(self, case: dict) -> dict[str, Any]:
        """Everything an expression may read: earlier facts, then `case` and `event`."""
        return {**self.facts, "case": case, "event": self.event}

    def pending(self, kind: str) -> dict | None:
        """The resolution or wake meant for the current visit of the current step, if any."""
        value = self.resolution if kind == "resolution" else self.wake
        if value and value.get("step") == self.cursor and value.get("visit") == self.visit:
            return value
        return None


# --- Effects ------------------------------------------------------------------------


@dataclass(frozen=True)
class Goto:
    step_key: str
    next: str | None
    decision: dict | None = None
    facts: dict | None = None


@dataclass(frozen=True)
class CallOperation:
    step_key: str
    operation: str
    params: dict
    writes: bool
    save_as: str | None = None


@dataclass(frozen=True)
class StartTimer:
    step_key: str
    due_at: dt.datetime | None
    for_event: str | None
    kind: str = "delay"


@dataclass(frozen=True)
class Hold:
    step_key: str
    reason: str
    summary: str
    proposal: dict = field(default_factory=dict)
    allowed_outcomes: list = field(default_factory=list)
    role: str = ""


@dataclass(frozen=True)
class End:
    step_key: str
    outcome: str
    case_status: str | None = None
    handoff_role: str | None = None


Effect = Goto | CallOperation | StartTimer | Hold | End


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
    match step:
        case GatherStep():
            return _plan_gather(step, state, case, resolution)
        case DecideStep():
            return _plan_decide(step, state, case, resolution)
        case ActStep():
            return _plan_act(step, state, case, resolution)
        case WaitStep():
            return _plan_wait(step, state, now)
        case ApproveStep():
            return _plan_approve(step, state, case, resolution)
        case EndStep():
            return End(step.key, step.outcome, step.case_status, step.handoff_role)
    raise TypeError(f"unknown step kind {step!r}")


def _missing(step: Step, exc: MissingFact, *, outcomes: list | None = None, proposal: dict | None = None) -> Hold:
    return Hold(
        step.key,
        "missing_fact",
        f"{step.title}: the fact {exc.fact!r} is missing, so the SOP cannot decide ({exc}).",
        {"missing": exc.fact, "expression": exc.expression, **(proposal or {})},
        outcomes or [STOP],
    )


def _call(step: GatherStep | ActStep, state: RunState, case: dict) -> CallOperation | Hold:
    operation = registry.get(step.operation)
    try:
        names = scope(state.names(case))  # one CEL context for all of the step's parameters
        params = {name: render(template, names) for name, template in step.params.items()}
    except MissingFact as exc:
        outcomes = [{"key": "continue", "label": "Continue with these facts", "params": ["facts"]}, STOP]
        if isinstance(step, ActStep):
            outcomes = [{"key": "retry", "label": "Try again (after fixing the fact)"}, _skip(step), STOP]
        return _missing(step, exc, outcomes=outcomes)
    except ExpressionError as exc:
        return Hold(step.key, "unknown_value", f"{step.title}: {exc}", {"error": str(exc)}, [STOP])
    params = {k: v for k, v in params.items() if v is not None}
    return CallOperation(step.key, operation.name, params, operation.writes, step.save_as)


def _skip(step: ActStep) -> dict:
    return {"key": "skip", "label": "Treat as done and go on", "next": step.next}


def _plan_gather(step: GatherStep, state: RunState, case: dict, resolution: dict | None) -> Effect:
    if resolution and resolution.get("outcome") == "continue":
        provided = resolution.get("params") or {}
        facts = {**(state.facts.get(step.save_as) or {}), **provided.get("facts", provided)}
        return _gather_done(step, state, case, facts, decision={"resolved_by": "reviewer"})
    if step.operation:
        return _call(step, state, case)
    return _gather_done(step, state, case, {})


def _gather_done(step: GatherStep, state: RunState, case: dict, result: dict, decision: dict | None = None) -> Effect:
    facts = dict(result or {})
    names = {**state.names(case), step.save_as: facts}
    try:
        for name, template in step.compute.items():
            facts[name] = render(template, names)
            names[step.save_as] = facts
    except MissingFact as exc:
        return _missing(step, exc, outcomes=_gather_outcomes(), proposal={"found": facts})
    missing = [path for path in step.required if _lookup(facts, path, step.save_as) in (None, "", [])]
    if missing:
        return Hold(
            step.key,
            "missing_fact",
            f"{step.title}: {', '.join(missing)} missing from what was found.",
            {"missing": missing, "found": facts, "facts_key": step.save_as},
            _gather_outcomes(),
        )
    return Goto(step.key, step.next, decision=decision, facts={step.save_as: facts})


def _gather_outcomes() -> list[dict]:
    return [
        {"key": "continue", "label": "Continue with these facts", "params": ["facts"]},
        {"key": "retry", "label": "Look it up again"},
        STOP,
    ]


def _lookup(facts: dict, path: str, save_as: str) -> Any:
    parts = path.split(".")
    if parts and parts[0] == save_as:
        parts = parts[1:]
    value: Any = facts
    for part in parts:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _plan_decide(step: DecideStep, state: RunState, case: dict, resolution: dict | None) -> Effect:
    outcomes = _decide_outcomes(step)
    if resolution:
        chosen = next((o for o in outcomes if o["key"] == resolution.get("outcome")), None)
        if chosen:
            return Goto(step.key, chosen.get("next"), decision={"outcome": chosen["key"], "resolved_by": "reviewer"})
    if step.judgement:
        return Hold(
            step.key,
            "judgement",
            f"{step.title}: {step.judgement.question}",
            {"question": step.judgement.question, "facts": step.judgement.facts},
            outcomes,
            role="",
        )
    names = scope(state.names(case))  # one CEL context for all branches
    for index, branch in enumerate(step.branches):
        try:
            holds = evaluate(branch.when, names)
        except MissingFact as exc:
            return _missing(step, exc, outcomes=outcomes)
        except ExpressionError as exc:
            return Hold(step.key, "unknown_value", f"{step.title}: {exc}", {"error": str(exc)}, outcomes)
        if holds is True:
            return Goto(step.key, branch.next, decision={"branch": index, "when": branch.when, "label": branch.label})
    if step.otherwise:
        return Goto(step.key, step.otherwise, decision={"branch": "otherwise"})
    return Hold(
        step.key,
        "unknown_value",
        f"{step.title}: none of the SOP's conditions holds for this case.",
        {"conditions": [b.when for b in step.branches]},
        outcomes,
    )


def _decide_outcomes(step: DecideStep) -> list[dict]:
    if step.judgement:
        return [{"key": o.key, "label": o.label, "next": o.next} for o in step.judgement.outcomes] + [STOP]
    outcomes = [{"key": f"branch_{i}", "label": b.label or b.when, "next": b.next} for i, b in enumerate(step.branches)]
    if step.otherwise:
        outcomes.append({"key": "otherwise", "label": "Otherwise", "next": step.otherwise})
    return outcomes + [STOP]


def _plan_act(step: ActStep, state: RunState, case: dict, resolution: dict | None) -> Effect:
    if resolution and resolution.get("outcome") == "skip":
        return Goto(step.key, step.next, decision={"outcome": "skip", "resolved_by": "reviewer"})
    return _call(step, state, case)


def _plan_wait(step: WaitStep, state: RunState, now: dt.datetime) -> Effect:
    wake = state.pending("wake")
    if wake:
        if wake.get("by") == "event":
            return Goto(
                step.key, step.on_event or step.next, decision={"woken_by": "event", "event": wake.get("event")}
            )
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


def _plan_approve(step: ApproveStep, state: RunState, case: dict, resolution: dict | None) -> Effect:
    if resolution:
        outcome = resolution.get("outcome")
        if outcome == "approve":
            return Goto(step.key, step.on_approved, decision={"approved": True, "by": resolution.get("by")})
        if outcome == "reject":
            if step.on_rejected:
                return Goto(step.key, step.on_rejected, decision={"approved": False, "by": resolution.get("by")})
            return End(step.key, "stopped")
    missing = evidence_missing(step, case.get("attachments") or [])
    if missing:
        if step.on_missing_evidence:
            return Goto(step.key, step.on_missing_evidence, decision={"evidence_missing": missing})
        return Hold(
            step.key,
            "evidence",
            f"{step.title}: evidence missing ({'; '.join(missing)}).",
            {"missing": missing},
            [{"key": "approve", "label": "Approve anyway"}, {"key": "reject", "label": "Reject"}, STOP],
            role=step.role,
        )
    return Hold(
        step.key,
        "approval",
        f"{step.title}: waiting for approval by {step.role}.",
        {"evidence": [r.kind for r in step.evidence]},
        [{"key": "approve", "label": "Approve"}, {"key": "reject", "label": "Reject"}],
        role=step.role,
    )


_KIND_HINTS = {"photo": ("image/", ".jpg", ".jpeg", ".png", ".gif", ".heic", ".webp")}


def evidence_missing(step: ApproveStep, attachments: list[dict]) -> list[str]:
    """One line per evidence rule the case's attachments do not satisfy."""
    problems = []
    for rule in step.evidence:
        hints = _KIND_HINTS.get(rule.kind, ())
        count = sum(
            1
            for a in attachments
            if isinstance(a, dict)
            and (
                a.get("kind") == rule.kind
                or any(
                    h in str(a.get("content_type", "")).lower() or str(a.get("name", "")).lower().endswith(h)
                    for h in hints
                )
            )
        )
        if count < rule.min_count:
            problems.append(f"needs at least {rule.min_count} {rule.kind} (has {count})")
    return problems


# --- Feeding results back -------------------------------------------------------------


def on_result(graph: Graph, state: RunState, case: dict, step_key: str, result: dict) -> Effect:
    step = graph.step(step_key)
    if isinstance(step, GatherStep):
        return _gather_done(step, state, case, result)
    assert isinstance(step, ActStep)
    return Goto(step.key, step.next, facts={step.save_as: result} if step.save_as else None)


def on_error(graph: Graph, step_key: str, error: ConnectorError) -> Hold:
    """A permanent connector failure (retryable ones are the shell's business)."""
    step = graph.step(step_key)
    detail = {"error": str(error), "code": error.code, "remote_message": error.remote_message}
    if isinstance(step, GatherStep):
        outcomes = _gather_outcomes()
        if isinstance(error, Ambiguous):
            return Hold(
                step.key,
                "conflicting_fact",
                f"{step.title}: several records match ({error}); which one is meant?",
                {**detail, "candidates": error.candidates, "facts_key": step.save_as},
                outcomes,
            )
        if isinstance(error, NotFound):
            return Hold(
                step.key,
                "missing_fact",
                f"{step.title}: nothing found ({error}).",
                {**detail, "facts_key": step.save_as},
                outcomes,
            )
    outcomes = [{"key": "retry", "label": "Try the action again"}, STOP]
    if isinstance(step, ActStep):
        outcomes.insert(1, _skip(step))
    return Hold(step.key, "action_failed", f"{step.title}: the action failed permanently: {error}", detail, outcomes)


def apply_goto(graph: Graph, state: RunState, effect: Goto, now: dt.datetime) -> RunState:
    """The state after a Goto: facts merged, the step's time noted, the next step's visit counted."""
    facts = {**state.facts, **(effect.facts or {})}
    times = {**state.times, effect.step_key: now.isoformat()}
    visits = dict(state.visits)
    cursor = effect.next or state.cursor
    if effect.next:
        visits[effect.next] = visits.get(effect.next, 0) + 1
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
    )


def dry_run_result(operation: str) -> dict:
    """What a skipped write 'returns' in dry run and shadow mode, so later steps can render."""
    op = registry.get(operation)
    return {name: f"(dry run: {operation}.{name})" for name in op.returns} | {"dry_run": True}
