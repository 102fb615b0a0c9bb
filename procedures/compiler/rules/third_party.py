"""A list of verbs shares the subject its sentence opens with.

"They set it to pending, email the bank at ops@bank.example, and once the money lands they reply to the
customer and solve the ticket": the clauses after the first start with a verb and read like orders, but their
subject is "they" — another team, described. An action from a sentence that opens with someone else doing
something (a pronoun, or a team or role and a verb in the third person) is theirs, not a step of this run.
"""

from __future__ import annotations

import re

_FUNCTION = (
    r"(?i:if|for|when|whenever|once|unless|where|while|after|before|until|only|on|in|at|to|by|with|and|or|then)\b"
)
_PARTY = (
    r"(?:(?i:they|he|she)"
    rf"|(?:the\s+)?(?:(?!{_FUNCTION})[A-Za-z&-]+\s+){{0,2}}"
    r"(?:team|desk|department|group|lead|manager|engineer|officer|specialist)s?)"
)
_OPENS = re.compile(
    rf"^\W*(?:\d+[.)]\s*)?(?P<party>{_PARTY})\s+(?:then\s+|also\s+|usually\s+|normally\s+|typically\s+|later\s+)?"
    r"(?P<verb>[a-z]+)\b",
)
_NOT_DOING = re.compile(
    r"(?:is|are|was|were|has|have|had|does|do|did|can|could|may|might|must|should|shall|need|needs|gets?|means)$"
)
_THEN_US = re.compile(r"\b(?:then|after that|afterwards),?\s+(?:you\s+|we\s+)?(?!they\b|he\b|she\b)[a-z]+\b", re.I)


def someone_elses(instruction: str) -> str | None:
    """Why the actions of this sentence belong to the party it opens with, or None."""
    found = _OPENS.match(instruction)
    if not found:
        return None
    party, verb = found.group("party"), found.group("verb")
    pronoun = party.lower() in ("they", "he", "she")
    if _NOT_DOING.fullmatch(verb) or (not pronoun and not verb.endswith("s")) or verb.endswith("ss"):
        return None
    if _THEN_US.search(instruction[found.end() :]):
        return None  # "Billing approves it, then tag the ticket": the order after "then" is ours
    return f"the sentence says what {party!r} does ({found.group(0).strip()!r}), not a step for this run"
