"""Conditions read from what the ticket says and who holds it: "angry or mentions a lawyer", "the ticket is
unassigned"."""

from __future__ import annotations

import re

from procedures.compiler.rules import quantities
from procedures.compiler.rules.comparisons import Condition

_MENTIONS = re.compile(
    r"\b(?:asks? about|mentions?|mentioning|is about|talks about|refers to|asks for|threatens?|says?)\s+(?:a|an|the)?\s*(.+)$",
    re.I,
)
_MOODS = r"angry|upset|furious|frustrated|abusive|threatening|rude|hostile|unhappy|dissatisfied"


def mentions(text: str) -> Condition | None:
    """ "angry or mentions a lawyer / chargeback" → the ticket text mentions any of: angry, lawyer, chargeback."""
    m = _MENTIONS.search(text)
    if not m or quantities.money(text) is not None:
        return None
    before = text[: m.start()]
    words = re.findall(_MOODS, before, re.I) if re.search(r"\bor\s*$", before.strip(), re.I) else []
    if (
        before.strip()
        and not words
        and not re.fullmatch(
            r"(?:the\s+)?(?:customer|requester|ticket|message|email|request|caller|user|they|it)?\s*",
            before.strip(),
            re.I,
        )
    ):
        return None
    alternatives = [a.strip(" .'\"") for a in re.split(r"\s*(?:/|,|\bor\b|\band\b)\s*", m.group(1))]
    alternatives = [re.sub(r"^(?:a|an|the)\s+", "", a, flags=re.I) for a in alternatives if a.strip(" .'\"")]
    terms = [w.lower() for w in words] + [a.lower() for a in alternatives]
    if not terms or any(len(t.split()) > 3 for t in terms):
        return None
    pattern = "(?i)" + "|".join(re.escape(t).replace("\\ ", " ") for t in terms)
    return Condition(f'case.subject.matches("{pattern}") || case.description.matches("{pattern}")', text)


_UNASSIGNED = re.compile(r"\bno assignee\b|\bunassigned\b|\bnot (?:yet )?assigned\b", re.I)
_TICKET_WORDS = r"tickets?|cases?|requests?|conversations?|issues?"
_FILLER = r"if|when|where|while|the|this|that|a|an|is|are|was|were|has|have|still|yet|it|there|and|with|any|so|far"


def ticket_unassigned(text: str) -> bool:
    """ "the ticket is unassigned", "no assignee yet": the ticket's assignee is tested only when the text speaks of
    the ticket itself; "the asset is not assigned to that student" is about another thing and another person."""
    match = _UNASSIGNED.search(text)
    if not match or re.search(r"\bassigned\s+(?:to|for)\b(?!\s+(?:anyone|anybody|an agent|an owner)\b)", text, re.I):
        return False
    before = re.findall(r"[a-z']+", text[: match.start()].lower())
    after = re.match(r"\s*([a-z]+)", text[match.end() :].lower())
    if any(not re.fullmatch(f"{_TICKET_WORDS}|{_FILLER}", w) for w in before):
        return False
    return not after or bool(re.fullmatch(f"{_TICKET_WORDS}|{_FILLER}|yet|now|to", after.group(1)))
