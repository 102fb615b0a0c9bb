"""The same action, read or approval made twice from one sentence, one after the other on every path: one is
enough (a follow-up after a wait, "again at 14 and 30 days", is not a repeat)."""

from __future__ import annotations

from procedures.compiler.rules.links import redirect, targets
from procedures.steps import passes_through


def _signature(step: dict) -> tuple | None:
    if step["kind"] in ("act", "gather") and step.get("operation"):
        params = tuple(sorted(step.get("params", {}).items()))
        return (step["kind"], step["operation"], params, step.get("save_as"))
    if step["kind"] == "approve":
        return ("approve", step["role"].lower(), bool(step.get("evidence")))
    return None


def merge(steps: dict[str, dict], start: str) -> None:
    """The same action, read or approval made twice from one sentence, where the first has already happened
    on every path to the second (no wait between): drop the repeat, its predecessors go on to what follows."""
    by_signature: dict[tuple, list[str]] = {}
    for key, step in steps.items():
        if (signature := _signature(step)) is not None:
            span = step.get("span") or {}
            by_signature.setdefault((signature, span.get("start"), span.get("end")), []).append(key)
    for keys in by_signature.values():
        for later in keys[1:]:
            after = steps[later].get("next") or steps[later].get("on_approved")
            if not after or not any(
                k in steps and _dominates(steps, start, k, later) and not _wait_between(steps, k, later)
                for k in keys
                if k != later
            ):
                continue
            del steps[later]
            redirect(steps, later, after)


def _dominates(steps: dict[str, dict], start: str, first: str, later: str) -> bool:
    """Every path from the start to `later` passes through `first`."""

    def next_of(key: str) -> list[str]:
        return [t for t in targets(steps[key]) if t in steps or t == later]

    return later != start and passes_through(start, first, later, next_of)


def _wait_between(steps: dict[str, dict], first: str, later: str) -> bool:
    """A wait on some path from `first` to `later`: the repeat is a follow-up ("again at 14 and 30 days")."""
    ahead, todo = set(), [first]
    while todo:
        for target in targets(steps[todo.pop()]):
            if target in steps and target not in ahead and target != later:
                ahead.add(target)
                todo.append(target)
    behind, todo = set(), [later]
    parents: dict[str, list[str]] = {}
    for key, step in steps.items():
        for target in targets(step):
            parents.setdefault(target, []).append(key)
    while todo:
        for parent in parents.get(todo.pop(), []):
            if parent not in behind:
                behind.add(parent)
                todo.append(parent)
    return any(steps[k]["kind"] == "wait" for k in ahead & behind)
