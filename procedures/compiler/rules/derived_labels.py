"""Labels an SOP assigns itself ("an outage for all customers is critical", a table "| Symptom | Priority |" whose
rows map conditions to P1/P2) and then tests as if a system stored them ("If the severity is critical, …").

No system holds such a label unless the SOP says the case carries it ("the alert arrives with these fields:
severity, …"): a condition on it goes to a person with a question naming what assigns it — never a test of a field
nobody fills in. (Reading it as the assigning conditions themselves is left to a later stage: the gates check a
branch against its own words, which name the label, not the conditions.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LABEL_WORDS = r"priority|severity|sev|tier|level|category|class|classification|grade|band|risk|rating|segment|urgency"


@dataclass(frozen=True)
class Derived:
    """One label the SOP assigns: the field word it is a value of, the label, and the conditions written for it."""

    word: str  # "severity"
    label: str  # "critical"
    conditions: tuple[str, ...]  # "an outage for all customers"


_TICKET_PRIORITIES = ("low", "normal", "high", "urgent")  # what a priority column sets on a Zendesk ticket
_LABEL = re.compile(r"[A-Za-z][\w-]*(?: [\w-]+){0,2}")
_OUTCOME = re.compile(r"\b(?:what to do|action|then|next step|outcome|response|route|routing)\b", re.I)


def _word(text: str) -> str | None:
    found = re.search(rf"\b({LABEL_WORDS})(?:\s+levels?)?\s*$", text.strip(" *_`:#").lower())
    return found.group(1) if found else None


def _table_rows(source: str) -> list[Derived]:
    """ "| Symptom | Users affected | Priority |" rows: the other cells are the conditions of the label cell."""
    found: list[Derived] = []
    lines = source.splitlines()
    for i, line in enumerate(lines):
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.strip().startswith("|") else []
        if len(cells) < 2 or (i and lines[i - 1].strip().startswith("|")):
            continue
        columns = [n for n, cell in enumerate(cells) if _word(cell)]
        if len(columns) != 1 or columns[0] != len(cells) - 1 or any(_OUTCOME.search(c) for c in cells):
            continue  # the label is what the row gives (its last column), not one of its conditions
        column, word = columns[0], _word(cells[columns[0]])
        for row in lines[i + 1 :]:
            if not row.strip().startswith("|"):
                break
            values = [c.strip() for c in row.strip().strip("|").split("|")]
            if len(values) != len(cells) or all(re.fullmatch(r"[-:= ]*", v) for v in values):
                continue
            label = values[column].strip(" *`")
            if not _LABEL.fullmatch(label):
                continue  # "up to £150", "1–2": a bound, not a name
            if word == "priority" and label.lower() in _TICKET_PRIORITIES:
                continue  # the table sets the ticket's priority (a step writes it), so the ticket holds it
            said = tuple(_phrase(cells[n], v) for n, v in enumerate(values) if n != column and v.strip(" -–—"))
            found.append(Derived(word, label, said))
    return found


def _phrase(header: str, cell: str) -> str:
    """A table cell as a condition: a bare value takes its column's name ("Plan" + "Enterprise")."""
    if re.search(r"\b(?:is|are|has|have|over|under|more|less|at least|at most|above|below)\b|[<>$€£]", cell, re.I):
        return cell
    return f"{header} {cell}".strip()


_LEAD = re.compile(
    rf"(?im)^[#*\s]*(?:the\s+)?(?:[a-z]+\s+)?({LABEL_WORDS})\b[^\n]{{0,60}}?(?:as follows|levels?|:)\s*[*]*\s*$"
)
_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+\**([A-Za-z0-9][\w -]{0,20}?)\**\s*(?::|=|–|—| - )\s*(.+?)\s*$")


def _definition_lists(source: str) -> list[Derived]:
    """ "Severity levels:" then "- **SEV1**: the product is down …": each item is a label and its conditions."""
    found: list[Derived] = []
    lines = source.splitlines()
    for lead in _LEAD.finditer(source):
        word = lead.group(1).lower()
        start = source.count("\n", 0, lead.end()) + 1
        for line in lines[start:]:
            if not line.strip():
                if found and found[-1].word == word:
                    break
                continue
            item = _ITEM.match(line)
            if not item:
                break
            if _LABEL.fullmatch(item.group(1).strip()):
                found.append(Derived(word, item.group(1).strip(), (item.group(2).strip(" ."),)))
    return found


_PROSE = re.compile(
    rf"\b(?:the\s+)?({LABEL_WORDS})\s+is\s+(?:decided|assigned|set|determined|worked out|chosen)\s+as\s+follows\s*:"
    r"\s*([^\n]+)",
    re.I,
)


def _prose(source: str) -> list[Derived]:
    """ "Severity is decided as follows: an outage for all customers is critical; a broken feature is high." """
    found: list[Derived] = []
    for m in _PROSE.finditer(source):
        body = re.split(r"(?<=[.!?])\s+(?=[A-Z])", m.group(2))[0]
        for part in re.split(r"\s*;\s*|\s*,\s*(?:and\s+)?(?=an?\s|the\s)", body.strip(" .")):
            said = re.match(r"(.+?)\s+(?:is|are)\s+([\w-]+(?:\s+[\w-]+)?)$", part.strip(" ."), re.I)
            if said:
                found.append(Derived(m.group(1).lower(), said.group(2), (said.group(1),)))
    return found


def carried(word: str, source: str) -> bool:
    """The SOP says the case (ticket, alert, form) brings this label with it, or writes it as a field."""
    return bool(
        re.search(rf"\bfields?\b[^.\n]{{0,80}}\b{word}\b", source, re.I)
        or re.search(rf"\b{word}\b[^.\n]{{0,20}}\b(?:field|on the (?:case|ticket|alert|form))\b", source, re.I)
        or re.search(rf"\bread the {word}\b", source, re.I)
        or re.search(rf"`{word}`", source, re.I)
    )


def derived_labels(source: str) -> tuple[Derived, ...]:
    """Every label the SOP assigns itself and does not say the case carries."""
    found = _table_rows(source) + _definition_lists(source) + _prose(source)
    return tuple(d for d in found if not carried(d.word, source))


def label_in(cel: str, derived: tuple[Derived, ...]) -> list[Derived]:
    """The assignments of every label a condition compares (==, !=, in) a fact named by the label's word with."""
    hits: list[Derived] = []
    for fact, values in re.findall(r'([a-z_][\w.]*)\s*(?:==|!=|\bin\b)\s*(\[[^\]]*\]|"(?:[^"\\]|\\.)*")', cel):
        name = fact.rsplit(".", 1)[-1]
        for value in re.findall(r'"((?:[^"\\]|\\.)*)"', values):
            hits += [d for d in derived if d.label.lower() == value.lower() and d.word[:3] in name]
    return hits
