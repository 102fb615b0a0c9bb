"""A message to the requester read from a bare "them": "loop in the account owner: let them know by email".

The pronoun means whoever the sentence last named. When the sentence names a person or team other than the
customer (an owner, a manager, a lead, a team, a desk …) and never the customer, the requester is a guess:
a person picks the recipient.
"""

from __future__ import annotations

import re

_TO_REQUESTER = ("{{ [case.requester_email] }}", "{{ case.requester_email }}")
_PRONOUN = re.compile(r"\b(?:them|him|her|they)\b", re.I)
_CUSTOMER = re.compile(
    r"\b(?:customers?|requesters?|claimants?|reporters?|callers?|applicants?|users?|clients?|tenants?|members?"
    r"|candidates?|patients?|guests?|buyers?|sellers?|riders?|drivers?|donors?|students?|end users?)\b",
    re.I,
)
_SOMEONE_ELSE = re.compile(
    r"\b(?:the|an?|our|their|your)\s+(?:[\w&/-]+\s+){0,3}?"
    r"(?:owner|manager|lead|director|officer|head|counsel|supervisor|team|desk|group|department|engineer|agent|rep"
    r"|controller|coordinator|administrator|admin|partner|vendor|carrier|courier|insurer|bank|landlord)s?\b",
    re.I,
)


def someone_else_meant(operation: str, params: dict, instruction: str) -> str | None:
    """Why the requester is not sure as the recipient of this message, or None."""
    if operation != "email.send" or params.get("to") not in _TO_REQUESTER:
        return None
    if not _PRONOUN.search(instruction) or _CUSTOMER.search(instruction):
        return None
    named = _SOMEONE_ELSE.search(instruction)
    if not named:
        return None
    return f"the message goes to “them”, and the sentence names {named.group(0)!r}, not the customer: who is told?"
