"""How the engine core plans each kind of step: gather, decide, act, approve; and the holds they raise.

Pure functions of (graph, step, state, case): no database, no I/O. `cases.engine.plan`
dispatches here; waits and re-checks are in `cases.engine_waits`.
"""

from __future__ import annotations

from typing import Any

from cases.engine_state import STOP, CallOperation, Effect, End, Goto, Hold, RunState
from cases.expressions import ExpressionError, MissingFact, evaluate, render, scope
from connectors import registry
from procedures.steps import ActStep, ApproveStep, DecideStep, GatherStep, Graph, Step


def reads_unavailable(step: Step, state: RunState) -> dict[str, str]:
    if not state.unavailable or not isinstance(step, (GatherStep, ActStep, DecideStep)):
        return {}
    from cases.graphreads import step_roots

    return {name: state.unavailable[name] for name in sorted(step_roots(step)) if name in state.unavailable}


def plan_without(step: GatherStep | ActStep | DecideStep, state: RunState, lost: dict[str, str]) -> Effect:
    """A step that reads what a skipped step never produced: skip it too, or (a decision) hold and say why."""
    why = "; ".join(f"it reads {name}, which does not exist because {reason}" for name, reason in lost.items())
    if isinstance(step, DecideStep):
        return Hold(
            step.key,
            "missing_fact",
            f"{step.title}: cannot decide: {why}. Choose the way on, or stop the run.",
            {"missing": sorted(lost), "skipped_steps": dict(state.skipped)},
            decide_outcomes(step),
        )
    return Goto(step.key, step.next, decision={"skipped": why}, skipped=f"{step.title!r} was skipped: {why}")


def _not_a_number(exc: MissingFact, case: dict) -> str:
    """ "amount must be a number, got 'lots'" when the missing fact is one the case has, but not as a number."""
    invalid = case.get("invalid") or {}
    for key, value in invalid.items():
        if key.rsplit(".", 1)[-1] == exc.fact and f"case.{key}" in exc.expression:
            return f"{exc.fact} must be a number, got {value!r}"
    return ""


def _missing(
    step: Step,
    exc: MissingFact,
    *,
    outcomes: list | None = None,
    proposal: dict | None = None,
    case: dict | None = None,
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
            outcomes = [{"key": "retry", "label": "Try again (after fixing the fact)"}, skip_outcome(step), STOP]
            return _missing(step, exc, outcomes=outcomes, proposal=skip_details(graph, step), case=case)
        outcomes = [{"key": "continue", "label": "Continue with these facts", "params": ["facts"]}, STOP]
        return _missing(step, exc, outcomes=outcomes, proposal=ask_details(graph, step), case=case)
    except ExpressionError as exc:
        return Hold(step.key, "unknown_value", f"{step.title}: {exc}", {"error": str(exc)}, [STOP])
    params = {k: v for k, v in params.items() if v is not None}
    return CallOperation(step.key, operation.name, params, operation.writes, step.save_as)


def skip_outcome(step: ActStep) -> dict:
    return {"key": "skip", "label": "Skip this step (steps that need its result are skipped too)", "next": step.next}


def skip_details(graph: Graph, step: ActStep) -> dict:
    """What skipping `step` would also skip, so the reviewer sees it before choosing."""
    from cases.graphreads import dependents

    later = dependents(graph, step.key)
    return {"skip_also": {graph.step(k).title: why for k, why in later.items()}} if later else {}


def ask_details(graph: Graph, step: GatherStep) -> dict:
    """Every fact the rest of the run reads from this gather, typed, with the values conditions compare to."""
    from cases.graphreads import facts_to_ask

    return {"ask": facts_to_ask(graph, step.key), "facts_key": step.save_as}


def plan_gather(graph: Graph, step: GatherStep, state: RunState, case: dict, resolution: dict | None) -> Effect:
    if resolution and resolution.get("outcome") == "continue":
        provided = resolution.get("params") or {}
        facts = {**(state.facts.get(step.save_as) or {}), **provided.get("facts", provided)}
        return gather_done(graph, step, state, case, facts, decision={"resolved_by": "reviewer"})
    if step.operation:
        return _call(graph, step, state, case)
    return gather_done(graph, step, state, case, {})


def gather_done(
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
            step, exc, outcomes=gather_outcomes(), proposal={"found": facts, **ask_details(graph, step)}, case=case
        )
    missing = [path for path in step.required if _lookup(facts, path, step.save_as) in (None, "", [])]
    if missing:
        return Hold(
            step.key,
            "missing_fact",
            f"{step.title}: {', '.join(missing)} missing from what was found.",
            {"missing": missing, "found": facts, **ask_details(graph, step)},
            gather_outcomes(),
        )
    return Goto(step.key, step.next, decision=decision, facts={step.save_as: facts})


def gather_outcomes() -> list[dict]:
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


def plan_decide(step: DecideStep, state: RunState, case: dict, resolution: dict | None) -> Effect:
    outcomes = decide_outcomes(step)
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


def decide_outcomes(step: DecideStep) -> list[dict]:
    if step.judgement:
        return [{"key": o.key, "label": o.label, "next": o.next} for o in step.judgement.outcomes] + [STOP]
    outcomes = [{"key": f"branch_{i}", "label": b.label or b.when, "next": b.next} for i, b in enumerate(step.branches)]
    if step.otherwise:
        outcomes.append({"key": "otherwise", "label": "Otherwise", "next": step.otherwise})
    return outcomes + [STOP]


def plan_act(graph: Graph, step: ActStep, state: RunState, case: dict, resolution: dict | None) -> Effect:
    if resolution and resolution.get("outcome") == "skip":
        by = resolution.get("by") or "a reviewer"
        return Goto(
            step.key,
            step.next,
            decision={"outcome": "skip", "resolved_by": "reviewer", **skip_details(graph, step)},
            skipped=f"{by} skipped {step.title!r}",
        )
    return _call(graph, step, state, case)


def plan_approve(step: ApproveStep, state: RunState, case: dict, resolution: dict | None) -> Effect:
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
