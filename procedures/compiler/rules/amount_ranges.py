"""Ranges of the case amount as written: "$100–500", "between $100 and $500", "more than 12 and up to 24"."""

from __future__ import annotations

import re

from procedures.compiler.rules import quantities
from procedures.compiler.rules.comparisons import Condition

AMOUNT_WORDS = r"\b(?:amount|value|total|price|cost|sum|refund|invoice|claim|order)\b"


def _bare_amount_range(text: str, end: int) -> bool:
    """A range without a currency sign is the amount only if the text says "amount" and no unit follows it."""
    return (
        bool(re.search(AMOUNT_WORDS, text, re.I)) and not quantities.duration(text) and not text[end:].strip(" .,;:)")
    )


_NUM = r"\d[\d,]*(?:\.\d+)?"
_RANGE = re.compile(
    rf"(?:(?:between|from)\s+|(?P<over>over|above|more than|greater than)\s+)?(?P<cur>[$€£])?\s?(?P<a>{_NUM})(?P<ak>k)?"
    r"\s*(?:–|—|-|,?\s*(?:and |but )?(?:up to(?: and including)?|no more than|not more than|at most)|to|and)\s*"
    rf"(?P<bcur>[$€£])?\s?(?P<b>{_NUM})(?P<bk>k)?(?![\w.%])",
    re.I,
)
# two numbers joined as a range ("12 kg and up to 24 kg"): never read as one bound
RANGE_SHAPE = re.compile(
    rf"{_NUM}\D*?\b(?:up to|no more than|not more than|at most|to|and)\b\D*?{_NUM}|{_NUM}\s*[–—-]\s*[$€£]?{_NUM}", re.I
)


def amount_range(text: str) -> Condition | None:
    """ "$100–500", "between $100 and $500", "more than 12 and up to 24" → both bounds ("between" inclusive)."""
    m = _RANGE.search(text)
    if not m:
        return None
    if not (m.group("cur") or m.group("bcur")) and not _bare_amount_range(text, m.end()):
        return None
    low = float(m.group("a").replace(",", "")) * (1000 if m.group("ak") else 1)
    high = float(m.group("b").replace(",", "")) * (1000 if m.group("bk") else 1)
    if high <= low:
        return None
    low_op = ">" if m.group("over") else ">="  # "Over £150 and up to £1,000"
    return Condition(f"case.amount {low_op} {low:.1f} && case.amount <= {high:.1f}", text)
