"""A tiny pure-Python interpreter of compiled graphs, for tests only (the real engine lives in cases/).

It follows branches by evaluating CEL on given facts, renders parameter
templates, records every action it would take, and simulates time: a wait
ends on its event if one is scheduled before its due time, else on its delay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import cel

from procedures.steps import ActStep, ApproveStep, DecideStep, EndStep, GatherStep, Graph, WaitStep

_TEMPLATE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
DAY = 86400


def render(template: str, facts: dict):
    found = list(_TEMPLATE.finditer(template))
    if len(found) == 1 and found[0].group(0) == template.strip():
        return cel.evaluate(found[0].group(1).strip(), facts)
    return _TEMPLATE.sub(lambda m: str(cel.evaluate(m.group(1).strip(), facts)), template)


@dataclass
class Trace:
    actions: list[tuple[str, dict, int]] = field(default_factory=list)  # (operation, rendered params, day)
    visited: list[str] = field(default_factory=list)
    outcome: str = ""  # end outcome, or "held" / "waiting"
    end_step: EndStep | None = None

    def ops(self) -> list[str]:
        return [op for op, _, _ in self.actions]

    def calls(self, operation: str) -> list[dict]:
        return [params for op, params, _ in self.actions if op == operation]


def walk(
    graph: Graph,
    case: dict,
    *,
    results: dict | None = None,
    events: dict[str, list[float]] | None = None,
    approvals: dict[str, bool] | None = None,
    answers: dict[str, str] | None = None,
    max_steps: int = 200,
) -> Trace:
    """Run `graph` on `case`. `results`: save_as → what the operation returns (a list is consumed one per call).
    `events`: event name → the days (from the start) it arrives. `approvals`: role → approved?"""
    results = dict(results or {})
    events = {k: sorted(v) for k, v in (events or {}).items()}
    facts: dict = {"case": case, "event": {}}
    ran_at: dict[str, float] = {}
    now = 0.0
    trace = Trace()
    key: str | None = graph.start
    for _ in range(max_steps):
        if key is None:
            trace.outcome = "resolved"
            return trace
        step = graph.step(key)
        trace.visited.append(key)
        ran_at[key] = now
        match step:
            case GatherStep():
                params = {k: render(v, facts) for k, v in step.params.items()}
                facts[step.save_as] = _result(results, step.save_as)
                for name, template in step.compute.items():
                    facts[step.save_as][name] = render(template, facts)
                if any(_missing(facts[step.save_as], path) for path in step.required):
                    trace.outcome = "held"
                    return trace
                trace.actions.append((step.operation or "compute", params, int(now / DAY)))
                key = step.next
            case ActStep():
                params = {k: render(v, facts) for k, v in step.params.items()}
                trace.actions.append((step.operation, params, int(now / DAY)))
                if step.save_as:
                    facts[step.save_as] = _result(results, step.save_as)
                key = step.next
            case DecideStep() if step.judgement:
                chosen = (answers or {}).get(step.key)
                if chosen is None:
                    trace.outcome = "held"
                    return trace
                key = next(o.next for o in step.judgement.outcomes if o.key == chosen)
            case DecideStep():
                key = next((b.next for b in step.branches if cel.evaluate(b.when, facts) is True), step.otherwise)
            case WaitStep():
                start = ran_at.get(step.anchor, now) if step.anchor else now
                due = start + step.delay.total_seconds() if step.delay else None
                arrival = next((d * DAY for d in events.get(step.for_event or "", []) if d * DAY >= now), None)
                if arrival is not None and (due is None or arrival <= due):
                    events[step.for_event].remove(arrival / DAY)
                    now = arrival
                    key = step.on_event
                elif due is not None:
                    now = max(now, due)
                    key = step.next
                else:
                    trace.outcome = "waiting"
                    return trace
            case ApproveStep():
                attachments = case.get("attachments", [])
                if any(sum(a.get("kind") == rule.kind for a in attachments) < rule.min_count for rule in step.evidence):
                    key = step.on_missing_evidence
                    continue
                decided = (approvals or {}).get(step.role)
                if decided is None:
                    trace.outcome = "waiting"
                    return trace
                key = step.on_approved if decided else step.on_rejected
            case EndStep():
                trace.outcome = step.outcome
                trace.end_step = step
                return trace
    raise AssertionError(f"the graph did not end within {max_steps} steps: {trace.visited[-10:]}")


def _result(results: dict, save_as: str) -> dict:
    value = results.get(save_as, {})
    if isinstance(value, list):
        return dict(value.pop(0)) if value else {}
    return dict(value)


def _missing(data: dict, path: str) -> bool:
    for part in path.split("."):
        if not isinstance(data, dict) or data.get(part) in (None, ""):
            return True
        data = data[part]
    return False
