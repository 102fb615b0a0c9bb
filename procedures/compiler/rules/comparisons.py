"""The comparisons a written condition turns into: CEL for a fact, an operator and a value (plain helpers)."""

from __future__ import annotations

import re
from dataclasses import dataclass

GT = r"(?:over|more than|above|greater than|exceeds?|exceeding|higher than|(?<![-=])>)"
GE = r"(?:at least|or more|and above|or above|>=|≥)"
LT = r"(?:under|less than|below|lower than|<)"
LE = r"(?:at most|up to|or less|and below|or below|<=|≤)"


@dataclass(frozen=True)
class Condition:
    cel: str
    label: str
    needs: tuple[str, ...] = ()  # save_as names the expression reads (to gather first)


def operator_of(text: str) -> str | None:
    for pattern, op in ((GE, ">="), (LE, "<="), (GT, ">"), (LT, "<")):
        if re.search(rf"(?<!\w){pattern}(?!\w)", text, re.I):
            return op
    return None


def literal(value: str) -> str:
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered
    if lowered in ("zero", "none"):
        return "0"
    if re.fullmatch(r"-?\d+(?:\.\d+)?", value):
        return value
    return '"' + value.replace('"', '\\"') + '"'
