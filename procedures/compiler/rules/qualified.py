"""Sentences whose words limit a step in a way the step does not keep.

"Assign VIP tickets to the Senior Support group": the action is for VIP tickets only; with no condition before
it that checks "VIP", it would move every ticket. "Refund window: 14 days from purchase." defines a period; it
does not ask anyone to wait 14 days.
"""

from __future__ import annotations

import re

_GENERIC = frozenset(  # words that pick no kind of ticket ("linked tickets" are other tickets, not a kind)
    [
        "the",
        "this",
        "these",
        "those",
        "such",
        "their",
        "its",
        "all",
        "any",
        "every",
        "each",
        "new",
        "open",
        "other",
        "same",
        "remaining",
        "both",
        "linked",
        "related",
        "child",
        "merged",
        "affected",
    ]
)
_QUALIFIED = re.compile(
    r"\b(?:assign|tag|route|move|escalate|solve|close|transfer|forward|send|flag)\s+(?:all\s+|any\s+)?"
    r"([a-z][\w-]*)\s+(?:tickets|cases|requests|claims|orders|reports)\b",
    re.I,
)


def unchecked_kind(instruction: str, checked: str) -> str | None:
    """The action is for one kind of ticket ("VIP tickets") that no condition before it names."""
    for found in _QUALIFIED.finditer(instruction):
        kind = found.group(1).lower()
        if kind in _GENERIC or kind in checked.lower():
            continue
        return f"the sentence says {found.group(0)!r}, and no condition before this step checks {kind!r}"
    return None


_WAIT_WORDS = re.compile(
    r"\b(?:wait\w*|give|allow|hold|pause|after|until|till|then|later|follow\w*|remind\w*|chase|again|if|unless|"
    r"no\s+(?:reply|response|answer)|within|for\s+up\s+to|up\s+to|before|once|when|check\s+back|at|by|on|later|ago)\b",
    re.I,
)


def defined_period(instruction: str) -> str | None:
    """A wait made from a line that defines a period and asks nobody to wait ("Refund window: 14 days")."""
    if _WAIT_WORDS.search(instruction):
        return None
    return "the sentence defines a period; it does not ask to wait"
