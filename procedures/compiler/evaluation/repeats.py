"""Repeats of a matched automated step: right on a branch no run shares with it, a duplicate otherwise.

A SOP that says once "in all cases, solve the ticket" is honoured by a graph that
solves it at the end of each of three mutually exclusive branches: no run acts twice.
A repeat is the same operation with the same parameters, or an approval by the same
role, as a unit already matched to an item. It is right when neither step can be
reached from the other (every way out of a step counts, judgement, approval and wait
outcomes included) and it lies over the sentence of the matched unit or of an item
with the same expectation; otherwise it is a duplicate.
"""

from __future__ import annotations

from dataclasses import replace

from procedures.compiler.evaluation.expectations import Item
from procedures.compiler.evaluation.matching import Range, Unit, overlaps
from procedures.steps import Graph, successors


def same_act(one: Unit, other: Unit) -> bool:
    """The same automated thing: operation and parameters, or the approval role."""
    if one.kind != other.kind:
        return False
    if one.kind in ("gather", "act"):
        return one.step.operation == other.step.operation and one.step.params == other.step.params
    if one.kind == "approve":
        return one.step.role.strip().lower() == other.step.role.strip().lower()
    return False


def same_expectation(one: Item, other: Item) -> bool:
    """Two items that ask for the same thing (they differ only in id, quote and note)."""
    return replace(one, id="", text="", why="") == replace(other, id="", text="", why="")


def reachable(graph: Graph) -> dict[str, set[str]]:
    """Every step key → the keys a run can go on to from it (one step or more later)."""
    keys = {s.key for s in graph.steps}
    direct = {s.key: [k for k in successors(s) if k in keys] for s in graph.steps}
    found: dict[str, set[str]] = {}
    for key in keys:
        seen: set[str] = set()
        todo = list(direct[key])
        while todo:
            nxt = todo.pop()
            if nxt not in seen:
                seen.add(nxt)
                todo.extend(direct[nxt])
        found[key] = seen
    return found


def exclusive(reach: dict[str, set[str]], one: str, other: str) -> bool:
    """No run executes both steps: neither can be reached from the other."""
    return one != other and other not in reach.get(one, set()) and one not in reach.get(other, set())


def over_sentence(span: Range | None, sentences: list[Range]) -> bool:
    return any(overlaps(span, sentence) for sentence in sentences)
