"""A table row that asks for no action: reference tables (contacts, SLAs, price lists) are read, not done.

"| Team | Contact | SLA |" then "| Billing | billing@example.com | 1 business day |": the row names the Billing
team, but nothing in the row or its column heads asks to assign, tag, reply or send. An action the compiler made
from such a row is a guess; a person decides. A decision table says what to do in a column ("Route to", "Group",
"Action", "Tag") or in the cell ("Assign to Billing").
"""

from __future__ import annotations

import re

_ASKED = {  # words in a row or its column heads that ask for each operation
    "zendesk.update_ticket": r"assign|route|rout|move|escalat|transfer|group|queue|owner|status|priority|solve|close|set",
    "zendesk.add_tags": r"tag|label",
    "zendesk.add_note": r"note|comment",
    "zendesk.reply": r"repl|respon|answer|tell|macro|message|template|wording|say|send",
    "email.send": r"e-?mail|mail|send|notify",
    "jira.create_issue": r"jira|issue|open|create|raise|file|log|escalat",
    "http.request": r"call|post|request|endpoint|api|page|notify|issue|apply|refund|credit",
}
_ACTION_HEAD = re.compile(
    r"\b(?:action|what (?:we|to) do|do|next step|steps?|handling|outcome|response|remedy)\b", re.I
)


def _table_lines(source: str, start: int) -> tuple[str, str] | None:
    """The row at `start` and the table's header line, if `start` lies in a markdown table row."""
    line_start = source.rfind("\n", 0, start) + 1
    line_end = source.find("\n", start)
    row = source[line_start : line_end if line_end >= 0 else len(source)]
    if not row.lstrip().startswith("|"):
        return None
    lines = source[:line_start].rstrip("\n").split("\n")
    header = ""
    for line in reversed(lines):
        if not line.lstrip().startswith("|"):
            break
        if not re.fullmatch(r"[\s|:-]+", line):
            header = line
    return row, header


def unasked(operation: str, source: str, span: dict | None) -> str | None:
    """The step comes from a table row in which no cell or column head asks for its operation."""
    asked = _ASKED.get(operation)
    if not asked or not span or not source:
        return None
    found = _table_lines(source, span.get("start", 0))
    if not found:
        return None
    row, header = found
    if _ACTION_HEAD.search(header) or re.search(rf"\b(?:{asked})", row + " " + header, re.I):
        return None
    return "it comes from a table row that asks for no action (a reference table: contacts, times, prices)"
