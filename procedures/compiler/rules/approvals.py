"""An approval the text says again: "A claim in the 25 to 36 month band must be approved by the team lead" after
a table whose row already asks the team lead. When every way to this point may already have passed an approval
by the same role, the sentence restates it: the run asks nobody twice (a second gate would ask the same person
for the same thing). When only some ways here passed one, whether it is needed again is a question for a person.
An approval by the same role on another branch (a ladder's rungs) is not a restatement."""

from __future__ import annotations

import re
from collections import defaultdict

from procedures.compiler.rules.builder import _targets
from procedures.compiler.rules.candidates import Approve
from procedures.compiler.rules.document import Segment

_CONDITIONAL = re.compile(r"\b(?:if|when|whenever|unless|only|otherwise)\b|->|→", re.I)


def _role(name: str) -> str:
    return name.lower().strip().rstrip("s")


def restated(w, spec: Approve, clause: Segment) -> bool:
    if len(spec.roles) != 1 or spec.evidence or not w.b.exits:
        return False
    if _CONDITIONAL.search(w.b.sentence_of(clause).text):
        return False  # "If the customer is on Free, get approval from the finance lead": a gate of its own
    role = _role(spec.roles[0])
    same = {k for k, s in w.b.steps.items() if s.get("kind") == "approve" and _role(s.get("role", "")) == role}
    if not same:
        return False
    before: dict[str, set[str]] = defaultdict(set)
    for key, step in w.b.steps.items():
        for target in _targets(step):
            before[target].add(key)
    frontier, seen, passed, around = [key for key, _ in w.b.exits], set(), None, False
    while frontier:  # backwards from here: does a way back meet such an approval, and does every way?
        key = frontier.pop()
        if key in seen:
            continue
        seen.add(key)
        if key in same:
            passed = key
            continue
        if key == w.b.start or not before[key]:
            around = True  # a way here that asked nobody
            continue
        frontier.extend(before[key])
    if passed is None:
        return False
    if around:  # asked on some ways here only: whether this is the same approval, a person says
        w._not_understood(clause)
        w.b.warn(
            f"Is this the approval by {spec.roles[0].lower()} asked for earlier (step {passed})? It is asked on "
            "some paths to here only: a person decides whether it is needed again",
            clause,
            code="question",
        )
        return True
    w.b.warn(
        f"Read as the approval by {spec.roles[0].lower()} asked for earlier (step {passed}): it is not asked twice",
        clause,
        code="check_step",
        step_key=passed,
    )
    return True
