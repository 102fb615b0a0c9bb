"""A step led in by a statement and a colon: "the Legal team takes over: assign the ticket to the Legal group".

People often say why (or in which situation) before what: "that is our fault, not theirs: credit the customer",
"we let it go the first time: tag the ticket courtesy". What follows the colon is the step; the lead-in is not a
step, and whether it holds is not something the compiler can check, so a person confirms it ("Does this
apply: …?") before the step runs. A prohibition as lead-in ("do not refund: move the ticket to …") says what the
step replaces; the step after the colon is what to do. An instruction as lead-in that the compiler does not
understand ("decline politely: reply to the player") is a step of its own for a person, then the step after
it. A colon after a step the compiler reads ("reply with the macro: …", "add a note: …") introduces the words
of that step, not a new step, and is left alone.
"""

from __future__ import annotations

import re

from procedures.compiler.rules import actions
from procedures.compiler.rules.clauses import VERBS
from procedures.compiler.rules.document import Segment, sub

_LEAD = re.compile(
    r"^\s*(?P<lead>[^:()\"“”`\[\]]{3,100}?)\s*:\s+(?=(?:just\s+|then\s+|also\s+|simply\s+)?(?P<verb>[A-Za-z]+)\b)"
)
_PROHIBITION = re.compile(r"(?:do not|don't|dont|never|not)\b", re.I)
_LABEL = re.compile(r"(?:step|stage|phase|part|day|note|tip|action|next)\b[\w .-]*$", re.I)


def split_lead(segment: Segment) -> tuple[str, Segment] | None:
    """(lead-in, the step after the colon) when the segment opens with a statement, a colon and an action verb."""
    m = _LEAD.match(segment.text)
    if not m or m.group("verb").lower() not in VERBS:
        return None
    lead = m.group("lead").strip()
    first = re.match(r"[A-Za-z]+", lead)
    if not first or len(lead.split()) > 16:
        return None
    return lead, sub(segment, m.end(), len(segment.text))


def colon_lead_in(w, segments: list[Segment]) -> bool:
    """Steps whose first clause is led in by "<statement>: <action> …"; False when the shape does not apply."""
    found = split_lead(segments[0]) if segments else None
    if not found:
        return False
    lead, rest = found
    body = [rest] + segments[1:]
    if lead.split()[0].lower() in VERBS:
        if actions.recognise(lead, w.b.known) is not None:
            return False  # "reply with the macro: …", "add internal note: …": the colon introduces that step's words
        # "decline politely: reply to the player": an instruction of its own (a person does it), then the step
        colon = segments[0].text.rfind(":", 0, rest.start - segments[0].start)
        w.body([sub(segments[0], 0, colon)] + body)
        return True
    if _PROHIBITION.match(lead) or _LABEL.fullmatch(lead):
        w.body(body)  # "do not refund: …" / "Step 2: …": the step after the colon is what to do
        return True
    from procedures.compiler.rules.shapes import outcome_key

    said = sub(segments[0], 0, rest.start - segments[0].start)
    key = w.b.judgement(f"Does this apply: {lead}?", said, [(outcome_key(lead), lead), ("none", "No / not here")])
    w.b.warn(
        f"A person confirms {lead!r} before the step after it runs: the rules compiler cannot check it",
        said,
        code="condition_not_understood",
        step_key=key,
    )
    w.b.exits = [(key, ("judgement", "outcomes", 0, "next"))]
    snapshot = dict(w.b.known.results)
    w.body(body)
    w.b.known.results = snapshot
    w.b.exits = w.b.exits + [(key, ("judgement", "outcomes", -1, "next"))]
    w.understood += 1
    return True
