"""Numeric ranges of simple CEL conditions, to order ladders and find branches that can never be taken.

`interval(cel)` reads conditions made only of comparisons of one fact with
numbers joined by `&&` ("case.amount >= 100.0 && case.amount <= 500.0") as
a range; anything else is None (unknown, never reordered or flagged).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_COMPARISON = re.compile(r"^\(?\s*([a-z_][\w.]*)\s*(<=|>=|<|>|==)\s*(-?\d+(?:\.\d+)?)\s*\)?$")


@dataclass(frozen=True)
class Range:
    fact: str
    low: float = -math.inf
    low_open: bool = True
    high: float = math.inf
    high_open: bool = True

    def within(self, other: Range) -> bool:
        """Every value in this range is also in `other`."""
        if self.fact != other.fact:
            return False
        low_ok = self.low > other.low or (self.low == other.low and (self.low_open or not other.low_open))
        high_ok = self.high < other.high or (self.high == other.high and (self.high_open or not other.high_open))
        return low_ok and high_ok


def interval(cel: str) -> Range | None:
    parts = [p.strip() for p in cel.split("&&")]
    if "||" in cel or "!" in cel.replace("!=", ""):
        return None
    result: Range | None = None
    for part in parts:
        m = _COMPARISON.match(part)
        if not m:
            return None
        fact, op, value = m.group(1), m.group(2), float(m.group(3))
        current = result or Range(fact)
        if current.fact != fact:
            return None
        low, low_open, high, high_open = current.low, current.low_open, current.high, current.high_open
        if op in (">", ">=", "==") and (value > low or (value == low and op == ">")):
            low, low_open = value, op == ">"
        if op in ("<", "<=", "==") and (value < high or (value == high and op == "<")):
            high, high_open = value, op == "<"
        result = Range(fact, low, low_open, high, high_open)
    return result


def most_specific_first(conditions: list[str]) -> list[int]:
    """An order of the branches (indices) in which no rung comes after a wider rung that contains it."""
    order = list(range(len(conditions)))
    ranges = [interval(c) for c in conditions]
    for i in range(len(conditions)):
        if ranges[i] is None:
            continue
        position = order.index(i)
        for j in order[:position]:
            if ranges[j] is not None and ranges[i].within(ranges[j]) and not ranges[j].within(ranges[i]):
                order.remove(i)
                order.insert(order.index(j), i)
                break
    return order


def shadowed(conditions: list[str]) -> list[int]:
    """Indices of branches that an earlier branch always takes first (the first-true-wins rule)."""
    ranges = [interval(c) for c in conditions]
    found = []
    for i, current in enumerate(ranges):
        if current is None:
            continue
        if any(r is not None and current.within(r) for r in ranges[:i]) or conditions[i] in conditions[:i]:
            found.append(i)
    return found
