"""Waits as written: "wait 3 business days for the customer to reply", "give them 48 hours to respond",
"allow 5 business days", "hold off for 2 days". A wait ends on the event it names, or on its delay; a wait for
something sopdesk cannot read ("for the induction to be booked") is a question."""

from __future__ import annotations

import re

from procedures.compiler.rules import quantities, vocabulary
from procedures.compiler.rules.candidates import Wait

_GIVE_TIME = re.compile(
    rf"(?:and\s+)?(?:give|allow)\s+(?:them|him|her|the\s+[\w ]+?)\s+({quantities.NUMBER}\s*(?:business\s+|working\s+)?"
    r"(?:hours?|hrs?|days?|weeks?))\s+to\s+(?:respond|reply|answer|come back|get back)\b",
    re.I,
)


# "allow 5 business days for the customer to respond", "hold off for 48 hours": the same wait said otherwise
_ALLOW_TIME = re.compile(
    rf"(?:and\s+)?(?:allow|give\s+it|hold\s+off(?:\s+for)?|sit\s+tight(?:\s+for)?)\s+({quantities.NUMBER}\s*"
    r"(?:business\s+|working\s+)?(?:hours?|hrs?|days?|weeks?))"
    r"(?:\s+for\s+(?:the\s+)?(?:customer|requester|them|him|her)\s+to\s+(?:respond|reply|answer|come back|get back))?$",
    re.I,
)


def wait(text: str) -> Wait | None:
    text = re.sub(r"\b(\d+)\s?h\b", r"\1 hours", text)  # rough notes: "wait 24h", "give them 48h to reply"
    lowered = text.lower()
    given = _GIVE_TIME.match(text) or _ALLOW_TIME.match(text.strip(" ."))
    if given:  # "give them 48 hours to respond": a wait whose end nobody signals here
        delay = quantities.duration(given.group(1))
        return Wait(text.strip(" ."), delay, None) if delay else None
    if not re.match(r"(?:and\s+)?wait\b", lowered):
        return None
    delay = quantities.duration(text)
    someone_else = re.search(r"\b(?!their\b)\w+'s (?:answer|reply|response|decision)", lowered) and not re.search(
        r"\bfor (?:the |a )?(?:customer|requester|user|caller|client)s? to (?:reply|answer|respond)", lowered
    )  # "for the customer to reply with the clinic's answer": the requester's reply ends it
    event = None if someone_else else vocabulary.event_for(lowered)
    if event is None and not someone_else and re.search(r"answer|reply|yes/no|their", lowered):
        event = "customer.replied"
    if event is None and re.search(
        r"\bfor (?:the|their|a|an)\s+(?:signed\s+|missing\s+|corrected\s+)?(?:form|document|photos?|file|receipt|"
        r"confirmation|details|information|consent|invoice number|order number)\b",
        lowered,
    ):
        event = "customer.replied"  # waiting for something the requester sends
    if delay is None and event is None:
        return None
    if event is None and _awaited_unread(lowered):
        return None  # "wait 2 days for the induction to be booked": what ends it is said, not read; a person asks
    return Wait(text.strip(" ."), delay, event)


_AWAITED = re.compile(r"\bfor\s+(?:the|an?|his|her|its|our)\s+((?:[\w-]+\s+){0,2}?)to\s+(?:be\s+)?[a-z]+")
_REQUESTER = r"\b(?:customer|requester|user|caller|client|sender)s?\s*$"


def _awaited_unread(lowered: str) -> bool:
    """Whether the wait names an event it waits for ("for the induction to be booked", "for the lab to send the
    report") — other than the requester's, whose answer is the usual end of a wait."""
    found = _AWAITED.search(lowered)
    return bool(found) and not re.search(_REQUESTER, found.group(1))
