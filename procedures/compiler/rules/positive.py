"""A one-way check states the case its sentence names, not its negation.

"Customers on the Free plan never get a raise" or "If the ticket is not tagged `ip-report`, stop" compiles to
one branch whose condition is a negation (`account.plan != "Free"`, `!("ip-report" in case.tags)`). The same
decision reads plainer, and reads the same as the SOP's other checks of that fact, as the positive test with
the two ways out swapped: `account.plan == "Free"` → what the sentence says for Free customers, otherwise → the
rest. For every value the fact can take the run goes the same way.
"""

from __future__ import annotations

import re

_NOT_EQUAL = re.compile(r'^([a-z_][\w.]*)\s*!=\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false)$')
_NOT = re.compile(r"^!\s*\((.*)\)$")
_NEGATION_WORDS = re.compile(
    r"\b(?:is|are|was|has|have|does|do)\s+not\b|\b(?:isn't|aren't|hasn't|haven't|doesn't|don't|not|other than)\b", re.I
)


def _positive(when: str, label: str) -> str | None:
    """`a != v` → `a == v` when the sentence names the positive case (“is not Enterprise” stays `!=`, as written);
    `!(x)` → `x` (a negated membership or call reads plainer as the test itself); else None."""
    when = when.strip()
    if (found := _NOT_EQUAL.match(when)) and not _NEGATION_WORDS.search(label):
        return f"{found.group(1)} == {found.group(2)}"
    if (found := _NOT.match(when)) and _balanced(found.group(1)) and "&&" not in found.group(1):
        inner = found.group(1).strip()
        return inner[1:-1] if inner.startswith("(") and inner.endswith(")") and _balanced(inner[1:-1]) else inner
    return None


def _balanced(text: str) -> bool:
    depth, quoted = 0, False
    for i, char in enumerate(text):
        if char == '"' and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth < 0:
                return False
    return depth == 0 and not quoted


_LABEL_NOT = re.compile(r"\b(is|are|was|has|have|does|do)\s+not\b|\b(is|are|has|have|does|do)n't\b", re.I)


def _positive_label(label: str) -> str:
    """ "the ticket is not tagged `x`" → "the ticket is tagged `x`"; a label without a negation stays."""
    return _LABEL_NOT.sub(lambda m: m.group(1) or m.group(2), label, count=1)


def state_positive(steps: dict[str, dict]) -> None:
    """Every decide with one negated branch and an `otherwise` tests the positive case instead, ways out swapped."""
    for step in steps.values():
        branches, otherwise = step.get("branches"), step.get("otherwise")
        if step["kind"] != "decide" or not branches or len(branches) != 1 or not otherwise:
            continue
        branch = branches[0]
        positive = _positive(branch["when"], branch.get("label", ""))
        if positive is None:
            continue
        swapped = {"when": positive, "next": otherwise}
        if branch.get("label"):
            swapped["label"] = _positive_label(branch["label"])
        step["branches"], step["otherwise"] = [swapped], branch["next"]
