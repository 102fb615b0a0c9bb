"""A reply in a sentence whose condition is a person reading the customer's message.

"If the customer mentions transactions they do not recognise, tell them a dispute will be opened": whether the
customer's message claims so is read by a person, and the answer to what it claims is that person's to write —
the case holds no fact the reply could be checked against. Moving or tagging the ticket stays automated. A
customer's act the engine sees ("if they accept", "should the customer ask why") is not such a claim.
"""

from __future__ import annotations

import re

_SPEAKER = r"(?:the\s+)?(?:customer|requester|caller|user|client|tenant|member|candidate|applicant|patient|reporter|they|he|she)s?"
_SAYS = (
    r"(?:mention|say|said|complain|claim|report|dispute|insist|threaten|describe|seem|sound|appear|indicate|suggest"
    r"|allege|hint|imply|impli)(?:s|es|ed)?"
)
_DECIDED = re.compile(
    rf"^\W*(?:\d+[.)]\s*)?(?:if|when|whenever|once|where|should|in case)\s+{_SPEAKER}\s+(?:also\s+|still\s+)?{_SAYS}\b",
    re.I,
)
_ANSWERS = ("zendesk.reply",)


def reply_to_a_judged_message(operation: str | None, instruction: str) -> str | None:
    """Why a reply (or a wait for the customer's answer) on this sentence is a person's to make, or None."""
    found = _DECIDED.search(instruction)
    if not found or operation not in _ANSWERS:
        return None
    return f"it answers what a person reads in the customer's message ({found.group(0).strip()!r})"
