"""The ways out of a step in the graph's JSON form, and pointing them elsewhere (for the gates that drop steps)."""

from __future__ import annotations

_WAYS = ("next", "otherwise", "on_event", "on_missing_evidence", "on_approved", "on_rejected")


def targets(step: dict) -> list[str]:
    """Every step key this step can go on to."""
    found = [step.get(name) for name in _WAYS]
    found += [b.get("next") for b in step.get("branches", [])]
    found += [o.get("next") for o in step.get("judgement", {}).get("outcomes", [])]
    return [t for t in found if t]


def redirect(steps: dict[str, dict], old: str, new: str | None) -> None:
    """Every way into `old` goes to `new` instead."""
    for step in steps.values():
        for name in _WAYS:
            if step.get(name) == old:
                step[name] = new
        for branch in step.get("branches", []):
            if branch.get("next") == old:
                branch["next"] = new
        for outcome in step.get("judgement", {}).get("outcomes", []):
            if outcome.get("next") == old:
                outcome["next"] = new


def parents(steps: dict[str, dict]) -> dict[str, list[str]]:
    """For each step key, the keys of the steps that can go to it."""
    found: dict[str, list[str]] = {}
    for key, step in steps.items():
        for target in targets(step):
            found.setdefault(target, []).append(key)
    return found
