"""A priority said after the step it belongs to, with its own condition: "Priority High when the ticket tier is
gold, otherwise Medium." The last step that takes a priority gets a conditional priority when the condition is
one the compiler reads; when it is not, the sentence joins that step's sentence so the precision gates see a
priority the step does not take and ask a person — never a step that runs without the priority the text sets."""

from __future__ import annotations

import re

from connectors import registry
from procedures.compiler.rules import conditions
from procedures.compiler.rules.document import Segment

_LEVEL = r"(Highest|High|Medium|Low|Lowest|urgent|normal|high|low)"
_SAID = re.compile(
    rf"^(?:use\s+)?(?:the\s+)?priority\s+(?:is\s+)?{_LEVEL}\s+(?:when|if)\s+(.+?),?\s+(?:and\s+)?otherwise\s+"
    rf"(?:priority\s+)?{_LEVEL}[.!]?$",
    re.I,
)


_FOR = re.compile(
    rf"^(?:use\s+)?(?:the\s+)?priority\s*[:=]?\s*(?:is\s+)?{_LEVEL}\s+for\s+(.+?)(?:,\s*|\s+)(?:and\s+)?{_LEVEL}\s+for\s+"
    r"(?:everyone|everybody|everything|all|any|the)\s+(?:else|other\w*|rest)\b[^.]*[.!]?$",
    re.I,
)


def priority_after(w, seg: Segment) -> bool:
    """ "Priority High when the amount is over $500, otherwise Medium." / "Priority: High for Enterprise accounts,
    Medium for everyone else." after the step that takes it."""
    m = _SAID.match(seg.text.strip()) or _FOR.match(re.sub(r"\s+", " ", seg.text.strip()))
    if not m:
        return False
    target = next(
        (
            s
            for s in reversed(w.b.steps.values())
            if s["kind"] == "act" and "priority" in registry.get(s["operation"]).params
        ),
        None,
    )
    if target is None:
        return False
    first, when, other = m.group(1), m.group(2), m.group(3)
    if target["operation"] == "jira.create_issue":
        first, other = first.capitalize(), other.capitalize()
    else:
        first, other = first.lower(), other.lower()
    found = conditions.condition(when, w.b.known)
    if found and not all(w.b.known.has(need) for need in found.needs):
        found = None  # a fact read only after the step: the step cannot use it
    if found:
        target["params"]["priority"] = f'{{{{ {found.cel} ? "{first}" : "{other}" }}}}'
    else:
        target["params"].pop("priority", None)  # which one applies is a question: the gates ask a person
        w.b.warn(
            f"Which priority? It depends on {when.strip()!r}, which the rules compiler cannot check",
            seg,
            code="question",
        )
    target["span"]["end"] = max(target["span"]["end"], seg.end)
    target["instruction"] = w.b.source[target["span"]["start"] : target["span"]["end"]]
    w.understood += 1
    return True
