"""A reply the SOP says may only follow a sign-off: "Removals need sign-off from the billing lead before you
promise anything." A table row that says "reply to the customer with the renewal date" in the same case is read
before the approval; sent there, it promises what the lead has not approved. Each reply that leads into such an
approval (nothing but reads, checks and actions between) goes to a person.
"""

from __future__ import annotations

import re

from procedures.compiler.rules.links import parents

_FIRST = re.compile(
    r"\bbefore\s+(?:you\s+|we\s+|the\s+agent\s+|anyone\s+|agents\s+)?(?:can\s+)?"
    r"(?:promis|repl|respond|tell|confirm|commit|say|answer|get\s+back|write\s+to|contact)\w*",
    re.I,
)
_MESSAGES = ("zendesk.reply",)


def replies_too_early(steps: dict[str, dict]) -> list[tuple[str, str]]:
    """(key, why) for each reply on the way into an approval whose sentence says it comes before any reply."""
    up = parents(steps)
    found = []
    for key, step in steps.items():
        if step["kind"] != "approve" or not (said := _FIRST.search(step.get("instruction", ""))):
            continue
        seen, todo = {key}, list(up.get(key, []))
        while todo:
            current = todo.pop()
            if current in seen or current not in steps:
                continue
            seen.add(current)
            before = steps[current]
            if before["kind"] in ("wait", "approve"):
                continue
            if before["kind"] == "act" and before.get("operation") in _MESSAGES:
                why = f"it comes before the approval by {step['role']}, and the SOP says {said.group(0)!r}"
                found.append((current, why))
            todo += up.get(current, [])
    return found
