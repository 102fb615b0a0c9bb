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
    # Steps that did not happen (a reviewer skipped them, or they read what a skipped step never produced): key → why.
    skipped: dict[str, str] = field(default_factory=dict)
    # `save_as` names a skipped step never produced: name → why. Steps reading them are skipped too.
    unavailable: dict[str, str] = field(default_factory=dict)

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
    # Set when the step did not happen: why (recorded on the trace and in `RunState.skipped`).
    skipped: str | None = None


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
    lost = _reads_unavailable(step, state)
    if lost and not resolution:
        return _without(step, state, lost)
    match step:
        case GatherStep():
            return _plan_gather(graph, step, state, case, resolution)
        case DecideStep():
            return _plan_decide(step, state, case, resolution)
        case ActStep():
            return _plan_act(graph, step, state, case, resolution)
        case WaitStep():
            return _plan_wait(step, state, case, now, resolution)
        case ApproveStep():
            return _plan_approve(step, state, case, resolution)
        case EndStep():
            return End(step.key, step.outcome, step.case_status, step.handoff_role)
    raise TypeError(f"unknown step kind {step!r}")


def _reads_unavailable(step: Step, state: RunState) -> dict[str, str]:
    if not state.unavailable or not isinstance(step, (GatherStep, ActStep, DecideStep)):
        return {}
    from cases.graphreads import step_roots

    return {name: state.unavailable[name] for name in sorted(step_roots(step)) if name in state.unavailable}


def _without(step: GatherStep | ActStep | DecideStep, state: RunState, lost: dict[str, str]) -> Effect:
    """A step that reads what a skipped step never produced: skip it too, or (a decision) hold and say why."""
    why = "; ".join(f"it reads {name}, which does not exist because {reason}" for name, reason in lost.items())
    if isinstance(step, DecideStep):
        return Hold(
            step.key,
            "missing_fact",
            f"{step.title}: cannot decide: {why}. Choose the way on, or stop the run.",
            {"missing": sorted(lost), "skipped_steps": dict(state.skipped)},
            _decide_outcomes(step),
        )
    return Goto(step.key, step.next, decision={"skipped": why}, skipped=f"{step.title!r} was skipped: {why}")


def _not_a_number(exc: MissingFact, case: dict) -> str:
    """"amount must be a number, got 'lots'" when the missing fact is one the case has, but not as a number."""
    invalid = case.get("invalid") or {}
    for key, value in invalid.items():
        if key.rsplit(".", 1)[-1] == exc.fact and f"case.{key}" in exc.expression:
            return f"{exc.fact} must be a number, got {value!r}"
    return ""


def _missing(
    step: Step, exc: MissingFact, *, outcomes: list | None = None, proposal: dict | None = None, case: dict | None = None
) -> Hold:
    wrong = _not_a_number(exc, case or {})
    if wrong:
        return Hold(
            step.key,
            "unknown_value",
            f"{step.title}: {wrong}. Correct it on the case, then try again.",
            {"invalid": exc.fact, "expression": exc.expression, "error": wrong, **(proposal or {})},
            outcomes or [STOP],
        )
    return Hold(
        step.key,
        "missing_fact",
        f"{step.title}: the fact {exc.fact!r} is missing, so the SOP cannot decide ({exc}).",
        {"missing": exc.fact, "expression": exc.expression, **(proposal or {})},
        outcomes or [STOP],
    )


def _call(graph: Graph, step: GatherStep | ActStep, state: RunState, case: dict) -> CallOperation | Hold:
    operation = registry.get(step.operation)
    try:
        names = scope(state.names(case))  # one CEL context for all of the step's parameters
        params = {name: render(template, names) for name, template in step.params.items()}
    except MissingFact as exc:
        if isinstance(step, ActStep):
            outcomes = [{"key": "retry", "label": "Try again (after fixing the fact)"}, _skip(step), STOP]
            return _missing(step, exc, outcomes=outcomes, proposal=_skip_details(graph, step), case=case)
        outcomes = [{"key": "continue", "label": "Continue with these facts", "params": ["facts"]}, STOP]
        return _missing(step, exc, outcomes=outcomes, proposal=_ask(graph, step), case=case)
    except ExpressionError as exc:
        return Hold(step.key, "unknown_value", f"{step.title}: {exc}", {"error": str(exc)}, [STOP])
    params = {k: v for k, v in params.items() if v is not None}
    return CallOperation(step.key, operation.name, params, operation.writes, step.save_as)


def _skip(step: ActStep) -> dict:
    return {"key": "skip", "label": "Skip this step (steps that need its result are skipped too)", "next": step.next}


def _skip_details(graph: Graph, step: ActStep) -> dict:
    """What skipping `step` would also skip, so the reviewer sees it before choosing."""
    from cases.graphreads import dependents

    later = dependents(graph, step.key)
    return {"skip_also": {graph.step(k).title: why for k, why in later.items()}} if later else {}


def _ask(graph: Graph, step: GatherStep) -> dict:
    """Every fact the rest of the run reads from this gather, typed, with the values conditions compare to."""
    from cases.graphreads import facts_to_ask

    return {"ask": facts_to_ask(graph, step.key), "facts_key": step.save_as}


def _plan_gather(graph: Graph, step: GatherStep, state: RunState, case: dict, resolution: dict | None) -> Effect:
    if resolution and resolution.get("outcome") == "continue":
        provided = resolution.get("params") or {}
        facts = {**(state.facts.get(step.save_as) or {}), **provided.get("facts", provided)}
        return _gather_done(graph, step, state, case, facts, decision={"resolved_by": "reviewer"})
    if step.operation:
        return _call(graph, step, state, case)
    return _gather_done(graph, step, state, case, {})


def _gather_done(
    graph: Graph, step: GatherStep, state: RunState, case: dict, result: dict, decision: dict | None = None
) -> Effect:
    facts = dict(result or {})
    names = {**state.names(case), step.save_as: facts}
    try:
        for name, template in step.compute.items():
            facts[name] = render(template, names)
            names[step.save_as] = facts
    except MissingFact as exc:
        return _missing(
            step, exc, outcomes=_gather_outcomes(), proposal={"found": facts, **_ask(graph, step)}, case=case
        )
    missing = [path for path in step.required if _lookup(facts, path, step.save_as) in (None, "", [])]
    if missing:
        return Hold(
            step.key,
            "missing_fact",
            f"{step.title}: {', '.join(missing)} missing from what was found.",
            {"missing": missing, "found": facts, **_ask(graph, step)},
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
            return _missing(step, exc, outcomes=outcomes, case=case)
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


def _plan_act(graph: Graph, step: ActStep, state: RunState, case: dict, resolution: dict | None) -> Effect:
    if resolution and resolution.get("outcome") == "skip":
        by = resolution.get("by") or "a reviewer"
        return Goto(
            step.key,
            step.next,
            decision={"outcome": "skip", "resolved_by": "reviewer", **_skip_details(graph, step)},
            skipped=f"{by} skipped {step.title!r}",
        )
    return _call(graph, step, state, case)


def _plan_wait(step: WaitStep, state: RunState, case: dict, now: dt.datetime, resolution: dict | None) -> Effect:
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


def _recheck_call(step: WaitStep, state: RunState, case: dict) -> CallOperation | Hold:
    """The wait's timer fired: read the source of truth before taking the timeout exit."""
    recheck = step.recheck
    outcomes = _recheck_outcomes(step)
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


def _recheck_outcomes(step: WaitStep) -> list[dict]:
    return [
        {"key": "retry", "label": "Check again"},
        {"key": "timeout", "label": "Go on as if nothing changed (the timeout exit)", "next": step.next},
        STOP,
    ]


def _recheck_done(step: WaitStep, state: RunState, case: dict, result: dict) -> Effect:
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
            _recheck_outcomes(step),
        )
    decision = {"woken_by": "timer", "recheck": recheck.operation, "until": recheck.until, "holds": done}
    target = (step.on_event or step.next) if done else step.next
    return Goto(step.key, target, decision=decision, facts={recheck.save_as: result})


def on_result(graph: Graph, state: RunState, case: dict, step_key: str, result: dict) -> Effect:
    step = graph.step(step_key)
    if isinstance(step, GatherStep):
        return _gather_done(graph, step, state, case, result)
    if isinstance(step, WaitStep):
        return _recheck_done(step, state, case, result)
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
                {**detail, "candidates": error.candidates, **_ask(graph, step)},
                outcomes,
            )
        if isinstance(error, NotFound):
            return Hold(
                step.key,
                "missing_fact",
                f"{step.title}: nothing found ({error}).",
                {**detail, **_ask(graph, step)},
                outcomes,
            )
    if isinstance(step, WaitStep):
        return Hold(
            step.key, "action_failed", f"{step.title}: the re-check failed: {error}", detail, _recheck_outcomes(step)
        )
    outcomes = [{"key": "retry", "label": "Try the action again"}, STOP]
    if isinstance(step, ActStep):
        outcomes.insert(1, _skip(step))
        detail.update(_skip_details(graph, step))
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
