"""What a request to a configured endpoint carries, as the sentence says it: "send a POST to the billing endpoint at
/fees with the amount 40" → {"amount": 40}; "… with the order number" → {"order_number": <the fact>}. A "with …"
the compiler cannot read leaves no body (the precision gates then see words the step does not use)."""

from __future__ import annotations

import re

from procedures.compiler.rules import vocabulary
from procedures.compiler.rules.candidates import lit
from procedures.compiler.rules.vocabulary import Known

_AMOUNT = re.compile(
    r"\b(?:with|for)\s+(?:the\s+|an?\s+)?(?:amount|sum|fee|credit|charge|refund)(?:\s+of)?\s+[$€£]?(\d+(?:\.\d{1,2})?)\b"
    r"|\b(?:with|for)\s+(?:the\s+|an?\s+)?[$€£](\d+(?:\.\d{1,2})?)\b",
    re.I,
)
_WITH_FACT = re.compile(
    r"\bwith\s+(?:the\s+|their\s+|its\s+)([\w' ]{3,40}?)(?=\s*(?:[,.;)]|$|\s+(?:and|so|to|then)\b))", re.I
)


def body_said(text: str, known: Known) -> str | None:
    if m := _AMOUNT.search(text):
        return "{{ {" + lit("amount") + ": " + (m.group(1) or m.group(2)) + "} }}"
    if m := _WITH_FACT.search(text):
        fact = vocabulary.fact(m.group(1), known)
        if fact:
            return "{{ {" + lit(vocabulary.snake(m.group(1))) + ": " + fact + "} }}"
    return None


_WITH_PARTS = re.compile(
    r"\bwith\s+((?:the|their|its|our)\s+[\w' ,]{3,80}?)(?=\s*(?:[.;)]|$|,\s*(?!and\b|the\b)))", re.I
)
_LINK = re.compile(
    r"^(?:[\w-]+\s+){0,2}(?:link|url)s?$|^ticket$|^(?:subject|next|same|usual|standard|help|aim)\b", re.I
)


def parts_said(text: str, known: Known) -> list[tuple[str, str | None]]:
    """ "with the amount and the ticket link" → [("Amount", "case.amount")] (the link every mail carries is left
    out); a part that names no fact the compiler knows comes with None (never a made-up fact)."""
    found = _WITH_PARTS.search(text)
    if not found:
        return []
    parts = []
    for part in re.split(r"\s*(?:,|\band\b)\s*", found.group(1)):
        part = re.sub(r"^(?:the|their|its|our)\s+", "", part.strip(), flags=re.I)
        if not part or _LINK.match(part):
            continue
        parts.append((part[0].upper() + part[1:], vocabulary.fact(part, known)))
    return parts
