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
    if step["kind"] not in ("gather", "act") or not step.get("operation"):
        return None
    return json.dumps([step["operation"], step.get("params", {}), step.get("save_as")], sort_keys=True)


def drop(steps: dict[str, dict], start: str) -> None:
    """Drop every read or action that the same one has already made on every path to it (no wait between)."""
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
            and steps[key].get("next")
            and not _AGAIN.search(steps[key].get("instruction", ""))
        ]
    for key in repeats:
        after = steps.pop(key)["next"]
        redirect(steps, key, after)


def _read_on_every_path(steps, up, start, sig, signatures):
    """A test: has every path from the start to a step made the read `sig`, with no wait after it? A "must"
    analysis over the graph: a step's answer only turns from yes to no, so the walk ends after each way in is
    looked at a few times."""
    after = dict.fromkeys(steps, True)  # every path up to and through the step has read it

    def before(key: str) -> bool:
        ways_in = [p for p in up.get(key, []) if p in steps]
        return key != start and bool(ways_in) and all(after[p] for p in ways_in)

    todo = list(steps)
    while todo:
        key = todo.pop()
        if signatures.get(key) == sig:
            now = True
        elif steps[key]["kind"] == "wait":
            now = False
        else:
            now = before(key)
        if now != after[key]:
            after[key] = now
            todo += [t for t in targets(steps[key]) if t in steps]
    return before
