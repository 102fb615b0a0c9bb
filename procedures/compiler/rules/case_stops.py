"""Where a case that stops ends: "If none comes, close it as solved. Stop here." and "2. If the contract is not
signed, this is no deposit matter. Assign the ticket to Sales and stop here." stop that case, not the procedure."""

from __future__ import annotations

import re

from procedures.compiler.rules import shapes
from procedures.compiler.rules.document import Segment

_OWN_CASE = re.compile(r"\b(?:if|unless|when|whenever|otherwise|always|except|only)\b", re.I)
_STOPS = re.compile(r"\b(?:and |then )?stop(?: here| there| the procedure)?[.!]?$", re.I)
TERSE_END = re.compile(
    r"^(?:stop|stop here|stop there|done|end|that's it|nothing else(?: happens| to do| is needed)?|nothing more(?: to do| happens)?"
    r"|no further action(?: is (?:needed|required))?)[.!]?$",
    re.I,
)


def branch_stop(sents: list[Segment], i: int, cut: int, *, more_after: bool) -> int | None:
    """The index of the sentence that stops the case sentence `i` opens, when a later sentence of the item stops and
    steps follow the item (`more_after`): otherwise every later step could never run. None when it does not apply."""
    if not more_after or not shapes.SCOPE.match(sents[i].text) or i + 1 >= cut:
        return None
    stop = next((j for j in range(i + 1, cut) if _STOPS.search(sents[j].text)), None)
    if stop is None or (stop == i + 1 and TERSE_END.match(sents[stop].text)):
        return None  # a terse "Stop." right after the case is read by the walker's own rule
    if any(_OWN_CASE.search(s.text) for s in sents[i + 1 : stop + 1]):
        return None  # "Medical requests always go to the Panel: …, and stop there." is a case of its own
    return stop
