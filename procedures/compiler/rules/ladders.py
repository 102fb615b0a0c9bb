"""Ladders and ranges ("$100–500 team lead, over $500 manager"): the most specific rung is tried first.

A decide step takes the first branch whose condition holds, so a wide rung
(">= 100") written before a narrow one ("> 500") would shadow it. Once the
graph is assembled, each decide's branches are put in an order where no
rung follows a rung that contains it; otherwise the written order is kept.
"""

from __future__ import annotations

import math
import re

from procedures.compiler.intervals import interval, most_specific_first


def order_ladders(steps: dict[str, dict]) -> None:
    for step in steps.values():
        branches = step.get("branches")
        if step.get("kind") != "decide" or not branches or len(branches) < 2:
            continue
        for branch in branches:
            branch["when"] = _after_touching_rung(branch["when"], [b["when"] for b in branches if b is not branch])
        for branch in branches:
            branch["when"] = _without_upper_rung(branch["when"], [b["when"] for b in branches if b is not branch])
        order = most_specific_first([b["when"] for b in branches])
        step["branches"] = [branches[i] for i in order]


def _after_touching_rung(when: str, others: list[str]) -> str:
    """ "Up to $250 …" then "From $250 to $2,000 …": $250 is the first rung's (it is written "up to"), so the
    second starts above it — each amount on exactly one rung."""
    own = interval(when)
    if own is None or own.low == -math.inf or own.low_open:
        return when
    for other in map(interval, others):
        touching = other is not None and other.fact == own.fact and other.high == own.low and not other.high_open
        if touching and other.low < own.low:
            return re.sub(rf"{re.escape(own.fact)}\s*>=\s*", f"{own.fact} > ", when, count=1)
        cents = other is not None and other.fact == own.fact and not other.high_open and other.low < own.low
        if cents and 0 < own.low - other.high <= 0.011:  # "€20 – €50" then "€50.01 – €300": above 50
            bound = f"{other.high:g}"
            return re.sub(rf"{re.escape(own.fact)}\s*>=\s*[\d.]+", f"{own.fact} > {bound}", when, count=1)
    return when


def _without_upper_rung(when: str, others: list[str]) -> str:
    """ "$100–500 team lead, over $500 manager": the range's upper bound is the next rung's lower bound, so
    the rung reads ">= 100" and the "> 500" rung goes first — one comparison per rung, as the ladder says."""
    own = interval(when)
    parts = [p.strip() for p in when.split("&&")]
    if own is None or len(parts) != 2 or own.low == -math.inf or own.high == math.inf:
        return when
    for other in map(interval, others):
        if other is None or other.fact != own.fact or other.high != math.inf:
            continue
        if other.low == own.high and other.low_open != own.high_open:  # "<= 500" next to "> 500"
            lower = next(p for p in parts if re.search(r">=?", p))
            return lower
    return when
