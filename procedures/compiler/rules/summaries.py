"""A summary restates the steps: "Summary: refund eligible orders, tag them refunded and solve the ticket."

Read as steps, a summary line runs on every path after the ones it sums up (the solve after a fraud hand-off).
An action from a line that says it is a summary ("Summary:", "In short", "TL;DR", "Recap"), or from under a
heading that says so, goes to a person. So does an action from the answer of a "Q: … / A: …" pair.
"""

from __future__ import annotations

import re

_SUMMARY = r"(?:summary|in\s+summary|in\s+short|tl;?\s?dr|recap|to\s+sum\s+up|to\s+summari[sz]e|at\s+a\s+glance)"
_LEAD = re.compile(rf"^\W*{_SUMMARY}\b", re.I)
_HEADING = re.compile(r"(?m)^(?:#{1,6}\s+(.+)|([A-Z][^\n]{0,60})\n[=-]{3,})\s*$")


def restated(instruction: str, source: str, span: dict | None) -> str | None:
    """The step comes from a summary line or a summary section."""
    if _LEAD.match(instruction):
        return "it comes from a summary that restates the steps above it"
    if not span or not source:
        return None
    headings = list(_HEADING.finditer(source, 0, span.get("start", 0)))
    if headings and re.match(rf"\W*{_SUMMARY}\b", headings[-1].group(1) or headings[-1].group(2) or "", re.I):
        return "it comes from a summary section that restates the steps above it"
    return None


_ANSWER = re.compile(r"^\W*(?:A|Answer|Ans)\s*[:.)-]\s", re.I)
_QUESTION = re.compile(r"(?m)^\W*(?:Q|Question)\s*[:.)-]\s*(.+)$", re.I)


_FAQ_HEADING = re.compile(r"\W*(?:faqs?|frequently asked|common questions|questions\b|q\s*&\s*a)\b", re.I)
# "Anything with complaint_type other: add a note": the answer states the case it holds for, which is checked
_OWN_CONDITION = re.compile(
    r"\W*(?:if|when|whenever|for|unless|anything|any|all|only)\b|(?!(?:yes|no)\b)[^.?!]{3,60}:\s", re.I
)
_ASKED_ON_THE_LINE = re.compile(r"\?[*_”\"')\]]*\s*$")


def answers_a_question(instruction: str, source: str, span: dict | None) -> str | None:
    """ "Q: The card was stolen? / A: Tag the ticket … and assign it to Fraud": the answer holds only for the
    question's case, which no condition checks. So does an answer written after its question on the same line
    ("*Who handles chargebacks?* Assign the ticket to …") and anything under an FAQ heading."""
    if span and source:
        line_start = source.rfind("\n", 0, span.get("start", 0)) + 1
        before = source[line_start : span.get("start", 0)]
        if _ASKED_ON_THE_LINE.search(before) and not _OWN_CONDITION.match(instruction):
            return f"it answers the question {before.strip()!r}, which no condition before it checks"
        headings = list(_HEADING.finditer(source, 0, span.get("start", 0)))
        if headings and _FAQ_HEADING.match(headings[-1].group(1) or headings[-1].group(2) or ""):
            return "it answers a question of the FAQ, which no condition before it checks"
    if not _ANSWER.match(instruction):
        return None
    asked = list(_QUESTION.finditer(source, 0, (span or {}).get("start", 0))) if source else []
    question = asked[-1].group(1).strip() if asked else "the question before it"
    return f"it answers {question!r}, which no condition before it checks"
