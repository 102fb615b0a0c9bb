"""A rule elsewhere in the SOP about when a ticket may be closed: "Remember: close the ticket only after the
customer confirms." A step that solves or closes the ticket from another sentence does not wait for that; a
person decides whether the condition holds. A line of response-time targets by class ("urgent within 1 hour,
high within 4 hours") is not an acknowledgement to send on every ticket.
"""

from __future__ import annotations

import re

_ONLY = re.compile(
    r"\b(?:close|solve|resolve)\w*\s+(?:the\s+|a\s+|any\s+)?(?:ticket|case|it|them|tickets|cases)\s+only\s+"
    r"(?:after|once|when|if)\b[^.;\n]{3,100}"
    r"|\b(?:never|do\s+not|don['’]t)\s+(?:close|solve|resolve)\w*\s+(?:the\s+|a\s+|any\s+)?(?:ticket|case|it|them)\s+"
    r"(?:before|until|unless)\b[^.;\n]{3,100}",
    re.I,
)


_EXCEPT = re.compile(r"\b(?:except|unless|other than|apart from)\b", re.I)  # the exceptions need a reader


def closing_rule(params: dict, instruction: str, source: str) -> str | None:
    """The step solves or closes the ticket, and another sentence limits when that may be done."""
    if str(params.get("status", "")).lower() not in ("solved", "closed"):
        return None
    for found in _ONLY.finditer(source or ""):
        if found.group(0) not in instruction and not _EXCEPT.search(found.group(0)):
            return f"the SOP says {found.group(0).strip()!r}"
    return None


_WITHIN = re.compile(
    r"\bwithin\s+(?:\d+|an?|one|two|three|four)\s+(?:business\s+|working\s+)?(?:minute|hour|day)s?\b", re.I
)


def targets_by_class(operation: str, has_deadline: bool, instruction: str) -> str | None:
    """ "Urgent tickets must be answered within 1 hour, high within 4 hours": a line of response targets by
    class, not one acknowledgement to send on every ticket."""
    if operation != "zendesk.reply" or not has_deadline or len(_WITHIN.findall(instruction)) < 2:
        return None
    return "the sentence lists response-time targets for several kinds of ticket, not one reply to send"
