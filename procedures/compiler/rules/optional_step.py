"""Optional steps: "Optionally, add a note …", "If needed, reply …" — a person says whether the step runs, and the
procedure goes on either way."""

from __future__ import annotations

import re

from procedures.compiler.rules import shapes
from procedures.compiler.rules.document import Segment, sub
from procedures.compiler.rules.state import Walk

_OPTIONAL = re.compile(
    r"^(optionally|if (?:needed|necessary|appropriate|useful|in doubt)|where (?:needed|necessary|appropriate)"
    r"|when (?:needed|necessary|appropriate)|as needed|at your discretion),?\s+(?=\S)",
    re.I,
)


def optional(w: Walk, seg: Segment) -> bool:
    """ "Optionally, add a note …" / "If needed, reply …": a person says whether; the step runs only if they do,
    and the procedure goes on either way."""
    m = _OPTIONAL.match(seg.text)
    if not m:
        return False
    w.pending = None
    shapes.conditional_text(
        w, seg, f"{m.group(1).capitalize()}: {seg.text[m.end() :].strip(' .')}", [sub(seg, m.end(), len(seg.text))]
    )
    w.pending = None
    return True
