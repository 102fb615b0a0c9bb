"""Sentences that amend other steps: parameters of the last action, constraints, deadlines.

"The summary is the ticket subject." / "Priority in Jira follows the plan: …"
set parameters; "All replies to the reporter are private" applies to every
reply; "… must be acknowledged within 1 hour" is a reply with a deadline.
"""

from __future__ import annotations

import re

from connectors import registry
from procedures.compiler.rules import actions, priority_rules, quantities, vocabulary
from procedures.compiler.rules.document import Segment
from procedures.compiler.rules.state import Walk

MODIFIER = re.compile(
    r"^(?:the\s+)?(summary|description|priority|subject|title|body|message|labels?|assignee)\b(?:\s+in\s+\w+)?\s+"
    r"(is|are|holds|contains|includes|follows|should be|says|reads)\s+(.+)$",
    re.I,
)
PRIVATE = re.compile(
    r"\b(?:all\s+)?(?:replies|responses|answers|comments)\b[^.]*\b(?:are|must be|should be|stay|remain)\s+(private|internal)|"
    r"^never discuss\b[^:]*\bpublic\b",
    re.I,
)
DEADLINE = re.compile(
    r"^(?:a|an|the|every|each|any)?\s*(.+?)\s+must be\s+(acknowledged|answered|responded to|replied to|completed|resolved|closed|handled)"
    r"\s+within\s+(.+)$",
    re.I,
)


def modifier(w: Walk, seg: Segment) -> bool:
    """ "The summary is the ticket subject." / "Priority in Jira follows the plan: …" set the last action's params."""
    m = MODIFIER.match(seg.text.strip())
    if not m:
        return priority_rules.priority_after(w, seg)
    param, verb, value = m.group(1).lower(), m.group(2).lower(), m.group(3).strip(" .")
    target = next(
        (
            s
            for s in reversed(w.b.steps.values())
            if s["kind"] == "act" and param in registry.get(s["operation"]).params
        ),
        None,
    )
    if target is None:
        return False
    mapping = re.match(r"(?:the\s+)?([\w ]+?):\s*(.+)$", value)
    if verb == "follows" and mapping:
        fact = vocabulary.fact(mapping.group(1), w.b.known)
        pairs = re.findall(r"(\w+)\s+(?:is|gets|->|→|=)\s+(\w+)", mapping.group(2))
        if not fact or not pairs:
            return False
        expr = f'"{pairs[-1][1]}"'
        for when, then in reversed(pairs[:-1]):
            expr = f'{fact} == "{when}" ? "{then}" : {expr}'
        target["params"][param] = "{{ " + expr + " }}"
    else:
        target["params"][param] = _listing(w, value)
    target["span"]["end"] = max(target["span"]["end"], seg.end)
    target["instruction"] = w.b.source[target["span"]["start"] : target["span"]["end"]]
    w.understood += 1
    return True


def _listing(w: Walk, value: str) -> str:
    pieces = [p for p in re.split(r",\s*(?:and\s+)?|\s+and\s+", value) if p.strip()]
    lines = []
    for i, piece in enumerate(pieces):
        fact = vocabulary.fact(piece, w.b.known)
        if fact is None:
            lines.append(piece)
        elif len(pieces) == 1:
            lines.append("{{ " + fact + " }}")
        elif i == 0 and fact.startswith("case.description"):
            lines.append("{{ " + fact + " }}\n")
        else:
            lines.append(f"{vocabulary.normalise(piece).capitalize()}: {{{{ {fact} }}}}")
    return "\n".join(lines)


def constraint(w: Walk, seg: Segment) -> bool:
    """ "All replies to the reporter are private" applies to every reply step."""
    if not PRIVATE.search(seg.text):
        return False
    w.private_replies = True
    w.understood += 1
    w.b.warn(
        "Constraint applied: every reply in this procedure is private (an internal comment)", seg, code="constraint"
    )
    return True


def deadline(w: Walk, seg: Segment) -> bool:
    """ "A report … must be acknowledged within 1 hour" → a reply with a deadline; "completed within" → an SLA note."""
    m = DEADLINE.match(seg.text.strip(" ."))
    if not m or quantities.duration(m.group(3)) is None:
        return False
    w.understood += 1
    limit = quantities.duration(m.group(3))
    if m.group(2).lower() in ("completed", "resolved", "closed", "handled"):
        w.b.warn(
            f"Deadline for the whole procedure ({limit.describe()}): set it as the queue's SLA resolution target",
            seg,
            code="sla_policy",
        )
        return True
    spec = actions.Act(
        "zendesk.reply",
        {"ticket_id": actions.TICKET, "body": "Thank you: we have received this and are looking into it."},
        f"Acknowledge within {limit.describe()}",
        deadline=limit,
    )
    w.emit(spec, seg)
    return True
