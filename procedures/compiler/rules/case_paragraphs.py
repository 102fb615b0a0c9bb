"""A paragraph per case: "For a legal hold, counsel approves first. Once approved, place the hold …".

When a paragraph opens with "For <one of the values the SOP lists for a field>," (or with such a value as a bold
label, "**scim_401.** The token …") the whole paragraph is that case's branch — its later sentences ("Once
approved, …", "If …, … . Otherwise …") belong to the case, not to every case after the decision.
"""

from __future__ import annotations

import re

from procedures.compiler.rules import conditions, shapes
from procedures.compiler.rules.document import Item, Segment, section_kind
from procedures.compiler.rules.state import Walk


def case_paragraph(w: Walk, item: Item, sents: list[Segment]) -> bool:
    if item.marked or len(sents) < 2:
        return False
    bold = re.fullmatch(r"\*\*([^*]{1,60}?)[.:]?\*\*[.:]?", sents[0].text.strip())
    if bold and (kind := section_kind(bold.group(1))):
        with w.b.section(kind):  # "**Scope.** Tickets from … . Frozen goods are out of scope …": not steps
            w.item(item)
        return True
    if bold:  # "**scim_401.** The token has expired. Reply …": a bold label naming the case
        found = conditions.condition(bold.group(1), w.b.known)
        if found is None or not _on_listed_field(w, found.cel):
            return False
        shapes.conditional_text(w, sents[0], bold.group(1), sents[1:2], headed=True, condition=found, more=sents[2:])
        return True
    m = re.match(r"^for\s+(.+?),\s", sents[0].text, re.I)
    found = conditions.condition(m.group(1), w.b.known) if m else None
    if found is None or not _on_listed_field(w, found.cel):
        return False
    return shapes.conditional(w, sents[0], more=sents[1:], scoped=True)


def _on_listed_field(w: Walk, cel: str) -> bool:
    listed = [f"case.fields.{field}" for field in w.b.known.values]
    return any(re.match(rf"{re.escape(f)}\s*(?:==|in)\s", cel) for f in listed)
