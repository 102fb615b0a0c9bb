"""Ladders and ranges ("$100–500 team lead, over $500 manager"): the most specific rung is tried first.

A decide step takes the first branch whose condition holds, so a wide rung
(">= 100") written before a narrow one ("> 500") would shadow it. Once the
graph is assembled, each decide's branches are put in an order where no
rung follows a rung that contains it; otherwise the written order is kept.
"""

from __future__ import annotations

from procedures.compiler.intervals import most_specific_first


def order_ladders(steps: dict[str, dict]) -> None:
    for step in steps.values():
        branches = step.get("branches")
        if step.get("kind") != "decide" or not branches or len(branches) < 2:
            continue
        order = most_specific_first([b["when"] for b in branches])
        step["branches"] = [branches[i] for i in order]
