"""An instruction that names its means: "loop in Legal by adding the tag legal-review", "flag the ticket to the
fraud desk by tagging it fraud-review", "escalate to the lead by assigning the ticket to the Leads group".

The words before "by" say why (who should hear of it, what it is for); the words after it name the operation and
its parameters. So the step is the means, said as an instruction ("add the tag legal-review"), and it is read like
any other clause: when the means is not an operation sopdesk knows, the clause stays a question. Only an
instruction is read this way (the clause opens with its verb); "Legal is looped in by adding a tag" describes.
"""

from __future__ import annotations

import re

from procedures.compiler.rules.clauses import verb_of_gerund

# Verbs that say why rather than what: "loop in", "flag", "escalate", "notify" … (an instruction's purpose)
_PURPOSE = re.compile(
    r"(?:loop|bring|pull|keep|flag|escalate|notify|alert|warn|involve|signal|tell|let|inform|hand|pass|refer|route"
    r"|record|log|note|mark|register|report|book|cancel|close|release|block|request|ask|remind|chase|nudge)\b",
    re.I,
)
# "…; the SIU decides what happens next": what follows a semicolon says what others do, not part of the means
_BY = re.compile(r"^(?P<purpose>[^.;:]*?)\s*,?\s+by\s+(?P<gerund>[a-z]+ing)\b(?P<rest>[^;]*)(?:;.*)?$", re.I)

_POINTS_BACK = re.compile(r"\b(?:there|accordingly|to (?:that|this|the same) (?:group|queue|team))\s*[.!]?\s*$", re.I)


def means_of(text: str) -> str | None:
    """The means as an instruction ("add the tag legal-review") when the clause is "<purpose> by <doing the
    means>", else None."""
    if not _PURPOSE.match(text):
        return None
    m = _BY.match(text)
    if not m:
        return None
    verb = verb_of_gerund(m.group("gerund"))
    if verb is None or _POINTS_BACK.search(m.group("rest")):
        return None  # "escalate to the Fraud group by assigning the ticket there": the purpose names the target
    return f"{verb}{m.group('rest')}"
