"""Sections: a heading scopes what follows it ("## If the order is over $500", "For Enterprise customers:").

A heading that names a condition makes its section a branch of a decision;
"Otherwise" / "All other plans" makes it the else branch; a heading such as
"Purpose", "Inputs" or "Revision history" makes its whole section
non-procedural; any other heading is a plain heading and its section runs in
sequence.
"""

from __future__ import annotations

import re

from procedures.compiler.rules import conditions, shapes
from procedures.compiler.rules.document import Section, section_kind, sub
from procedures.compiler.rules.state import Pending, Walk
from procedures.compiler.rules.vocabulary import Known


def section(w: Walk, sec: Section) -> None:
    before = len(w.b.steps)
    _section(w, sec)
    w.b.anchor(
        re.sub(r"^(?:step\s+)?\d+(?:\.\d+)*[.):]?\s+", "", sec.heading.segment.text, flags=re.I).strip(" :#").lower(),
        before,
    )


def _section(w: Walk, sec: Section) -> None:
    w.pending, w.check, w.schedule = None, None, None
    seg = sec.heading.segment
    seg = sub(seg, 0, len(seg.text.rstrip(":")))
    text = re.sub(r"^(?:step\s+)?\d+(?:\.\d+)*[.):]?\s+", "", seg.text, flags=re.I)
    kind = w.b.section_kind or section_kind(text)
    blocks = list(sec.blocks)
    if kind:
        w.b.mark(sec.heading.segment, "heading")
        with w.b.section(kind):
            for block in blocks:
                w.item(block)
        return
    if shapes.OTHERWISE.match(text + " "):
        w.pending = _sections_decision(w)  # "## Any other code" after "## If the code is SHORT", "## If … STOCKOUT"
        shapes.otherwise(w, seg, more=blocks)
        return
    scoped = shapes.SCOPE.match(text)
    head = scoped.group(1) if scoped else text
    found = conditions.condition(head, w.b.known)
    if found is None and scoped and re.match(r"(?:when|once)", text, re.I):
        w.b.warn("Read as what starts the procedure: set the procedure's trigger to match", seg, code="trigger")
        scoped = None
    if scoped or found:
        shapes.conditional_text(w, seg, head, [], more=blocks, headed=True)
        return
    w.b.mark(sec.heading.segment, "heading")
    outer, w.b.known.subject = w.b.known.subject, ladder_subject(text, w.b.known)
    for block in blocks:
        w.item(block)
    w.b.known.subject = outer


def _sections_decision(w: Walk) -> Pending | None:
    """The decision earlier sections branched on, still open on its "otherwise" way out: what an "Any other …"
    section is the else of."""
    open_else = [e for e in w.b.exits if e[1] == ("otherwise",) and e[0] in w.decides.values()]
    if len(open_else) != 1:
        return None
    key = open_else[0][0]
    first = w.b.steps[key]["branches"][0]["when"]
    then = [e for e in w.b.exits if e != open_else[0]]
    return Pending(key, then, open_else, shapes.root(first), known_before=dict(w.b.known.results))


def ladder_subject(text: str, known: Known) -> str:
    """ "THE LADDER (repair_estimate)", "Credit by `missing_value`": the one number field a heading names, which the
    bare rungs under it ("below €20", "10 - 30") compare."""
    named = {n for n in re.findall(r"`?\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b`?", text) if n in known.identifiers}
    named |= {n.lower() for n in re.findall(r"`([A-Za-z]\w*)`", text) if n.lower() in known.identifiers}
    named -= set(known.values)  # a field with listed values is no quantity
    return named.pop() if len(named) == 1 else ""
