"""The same read or action made again on one run path: keep the first.

"Look up the account in Salesforce … If the requester is not an admin contact, let the account manager know by
email": the email needs the account, and the compiler reads it again before the email. "Tag the ticket vip" in the
steps and again in a summary list tags it twice. When every path to the second step has already passed the same
step (same operation and parameters) with no wait between, the second is dropped: a read returns what the first
one did, an action would only be done twice. A sentence that asks for it again ("check the account again", "the
latest status") keeps it.
"""

from __future__ import annotations

import json
import re

from procedures.compiler.rules.links import parents, redirect, targets

_AGAIN = re.compile(r"\b(?:again|re-?(?:check|read|query|fetch)|refresh|once more|latest|still)\b", re.I)


def _signature(step: dict) -> str | None:
    if step["kind"] == "approve":  # a table row and the prose under it asking the same role to approve
        return json.dumps(["approve", step["role"].lower()])
    if step["kind"] not in ("gather", "act") or not step.get("operation"):
        return None
    return json.dumps([step["operation"], step.get("params", {}), step.get("save_as")], sort_keys=True)


def _after(step: dict) -> str | None:
    return step.get("on_approved") if step["kind"] == "approve" else step.get("next")


def drop(steps: dict[str, dict], start: str) -> None:
    """Drop every read, action or approval that the same one has already made on every path to it (no wait
    between)."""
    _read_on_the_ways_around(steps, start)
    signatures = {key: sig for key, step in steps.items() if (sig := _signature(step))}
    counts: dict[str, int] = {}
    for sig in signatures.values():
        counts[sig] = counts.get(sig, 0) + 1
    up = parents(steps)
    repeats = []
    for sig in (s for s, n in counts.items() if n > 1):
        read = _read_on_every_path(steps, up, start, sig, signatures)
        repeats += [
            key
            for key, other in signatures.items()
            if other == sig
            and read(key)
            and _after(steps[key])
            and not _AGAIN.search(steps[key].get("instruction", ""))
        ]
    for key in repeats:
        dropped = steps.pop(key)
        if dropped.get("evidence"):  # the approval asked first needs what the restatement asked for
            for other in steps.values():
                if _signature(other) == signatures[key] and not other.get("evidence") and _reaches(steps, other, key):
                    other["evidence"] = dropped["evidence"]
        redirect(steps, key, _after(dropped))


def _reaches(steps: dict[str, dict], step: dict, key: str) -> bool:
    seen, todo = set(), [t for t in targets(step) if t != step.get("on_rejected")]
    while todo:
        current = todo.pop()
        if current == key:
            return True
        if current in seen or current not in steps:
            continue
        seen.add(current)
        todo += targets(steps[current])
    return False


def _read_on_every_path(steps, up, start, sig, signatures):
    """A test: has every path from the start to a step made the read `sig`, with no wait after it? A "must"
    analysis over the graph: a step's answer only turns from yes to no, so the walk ends after each way in is
    looked at a few times."""
    after = dict.fromkeys(steps, True)  # every path up to and through the step has read it

    def before(key: str) -> bool:
        ways_in = [p for p in up.get(key, []) if p in steps]
        return key != start and bool(ways_in) and all(after[p] and not _rejected(steps[p], key) for p in ways_in)

    def _rejected(parent: dict, key: str) -> bool:  # the way out of a rejected approval has approved nothing
        return signatures.get(parent["key"]) == sig and parent.get("on_rejected") == key != parent.get("on_approved")

    _settle(steps, sig, signatures, after, before)
    return before


_ROOTS = re.compile(r"\{\{(.*?)\}\}", re.S)


def _case_only(step: dict) -> bool:
    """A read whose parameters come from the case alone, so it can run anywhere on the run."""
    used = " ".join(_ROOTS.findall(json.dumps(step.get("params", {}))))
    return all(root == "case" for root in re.findall(r"(?<![\w.])([a-z_][a-z0-9_]*)\.", used))


def _read_on_the_ways_around(steps: dict[str, dict], start: str) -> None:
    """For a read repeated after the same read on some paths only: copy the first read onto every way into
    the repeat's region that has not read it, when there are few such ways (the repeat then goes in `drop`)."""
    for key in [k for k, s in steps.items() if s["kind"] == "gather" and _signature(s)]:
        if key not in steps or _AGAIN.search(steps[key].get("instruction", "")) or not _case_only(steps[key]):
            continue
        sig = _signature(steps[key])
        signatures = {k: sig for k, s in steps.items() if _signature(s) == sig}
        up = parents(steps)
        some = _read_on_some_path(steps, up, sig, signatures)
        every = _read_on_every_path(steps, up, start, sig, signatures)
        if every(key) or not any(some[p] for p in up.get(key, []) if p in steps):
            continue
        region = _region(steps, up, key, signatures, some, every)
        ways = [(p, q) for q in region for p in up.get(q, []) if p in steps and not some[p]]
        first = next((k for k in signatures if k != key and _reaches(steps, steps[k], key)), None)
        if not first or not ways or len(ways) > 3:
            continue
        for parent, target in ways:
            copy = dict(steps[first], key=_free_key(steps, f"{first}_around"), next=target)
            steps[copy["key"]] = copy
            _point(steps[parent], target, copy["key"])


def _region(steps, up, key, signatures, some, every) -> set[str]:
    """The steps on the way back from the repeat that some, not all, paths reach having read."""
    region, todo = set(), [key]
    while todo:
        current = todo.pop()
        if current in region or (current in signatures and current != key) or steps[current]["kind"] == "wait":
            continue
        if every(current) or not any(some[p] for p in up.get(current, []) if p in steps):
            continue
        region.add(current)
        todo += [p for p in up.get(current, []) if p in steps]
    return region


def _read_on_some_path(steps, up, sig, signatures) -> dict[str, bool]:
    """For each step: has some path up to and through it made the read `sig`, with no wait after it?"""
    after = dict.fromkeys(steps, False)
    _settle(steps, sig, signatures, after, lambda key: any(after.get(p, False) for p in up.get(key, [])))
    return after


def _settle(steps, sig, signatures, after: dict[str, bool], through) -> None:
    """Walk `after` (has the read `sig` been made up to and through each step) to its fixed point: the read
    itself sets it, a wait clears it, any other step takes `through(key)` from its ways in."""
    todo = list(steps)
    while todo:
        key = todo.pop()
        if signatures.get(key) == sig:
            now = True
        elif steps[key]["kind"] == "wait":
            now = False
        else:
            now = through(key)
        if now != after[key]:
            after[key] = now
            todo += [t for t in targets(steps[key]) if t in steps]


def _point(step: dict, old: str, new: str) -> None:
    """This step's ways into `old` go to `new` instead."""
    redirect({step["key"]: step}, old, new)


def _free_key(steps: dict, base: str) -> str:
    key, n = base, 2
    while key in steps:
        key, n = f"{base}_{n}", n + 1
    return key
