"""A paragraph per case: "For a legal hold, counsel approves first. Once approved, place the hold …".

When a paragraph opens with "For <one of the values the SOP lists for a field>," the whole paragraph is that
case's branch — its later sentences ("Once approved, …", "If …, … . Otherwise …") belong to the case, not to
every case after the decision.
"""

from __future__ import annotations

import re

from procedures.compiler.rules import conditions, shapes
from procedures.compiler.rules.document import Item, Segment
from procedures.compiler.rules.state import Walk


def case_paragraph(w: Walk, item: Item, sents: list[Segment]) -> bool:
    if item.marked or len(sents) < 2:
        return False
    m = re.match(r"^for\s+(.+?),\s", sents[0].text, re.I)
    found = conditions.condition(m.group(1), w.b.known) if m else None
    listed = [f"case.fields.{field}" for field in w.b.known.values]
    if found is None or not any(re.match(rf"{re.escape(f)}\s*(?:==|in)\s", found.cel) for f in listed):
        return False
    return shapes.conditional(w, sents[0], more=sents[1:], scoped=True)
