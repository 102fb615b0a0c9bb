"""A remark after an instruction in rough notes: "set tkt solved. not worth chasing", "solve. done.", "tag
freeze-medical. no fee".

In notes people write a full stop and go on in lower case with a comment on the step just written. The comment is
not part of the instruction (it names no operation or parameter), so the instruction is read without it. A
"comment" that restricts the step ("… . unless they paid", ". only for VIPs", ". not for Enterprise") is not a
remark: the clause is a question.
"""

from __future__ import annotations

import re

from procedures.compiler.rules.clauses import VERBS

# a short comment in plain words: no figures, fields or arrows ("travel_rule_status = confirmed -> …" is a step)
_REMARK = re.compile(r"^(?P<instruction>[^.\"“”]{3,}?)\.\s+(?P<remark>[a-z][a-z' ,-]*?(?:\s+[a-z][a-z' ,-]*){0,7})\.?$")
_RESTRICTS = re.compile(
    r"(?:if|unless|when|whenever|once|only|except|but|until|before|after|never|don't|do not|dont|for|not\s+(?:for|if|"
    r"when|on|unless|until|before|after|in|to))\b",
    re.I,
)


def split_remark(text: str) -> tuple[str, str] | None:
    """(the instruction, the lower-case remark after its full stop), or None when there is no such remark. The
    caller checks the remark asks for nothing ("home visits need OK from the clinic manager" is a step)."""
    m = _REMARK.match(text.strip())
    if not m:
        return None
    first = re.match(r"[a-z']+", m.group("remark"))
    if not first or first.group(0) in VERBS or first.group(0) in ("then", "also", "and", "or"):
        return None  # "… . then email the lead": a step of its own
    return m.group("instruction"), m.group("remark")


def restricts(remark: str) -> bool:
    """Whether the words after the full stop narrow the instruction ("unless they paid", "not for Enterprise")."""
    return bool(_RESTRICTS.match(remark))
