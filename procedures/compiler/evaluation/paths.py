"""Walk a compiled graph with given facts, as FORMAT.md says, to see which steps a case can reach.

`given` sets facts by fragment: `{"amount": 750}` binds every fact path an
atom reads that contains `amount`. At a decide step the first branch whose
condition is true wins, else `otherwise`. Each comparison is evaluated by the
real CEL library on the bound facts; a comparison that reads a fact `given`
does not set is false (so a shadowed rung of a ladder is never taken). A
judgement, an approval and a wait explore every way out.
"""

from __future__ import annotations

from dataclasses import dataclass

import cel

from procedures.compiler.evaluation.conditions import And, Atom, ConditionSyntaxError, Not, Opaque, Or, condition_tree
from procedures.steps import DecideStep, EndStep, Graph, successors


@dataclass(frozen=True)
class Walk:
    visited: frozenset[str]  # step keys
    taken: frozenset[tuple[str, int]]  # (decide step key, branch index) taken


def _bind(paths: tuple[str, ...], given: dict) -> dict | None:
    """Nested names for CEL, or None when a path is set by no fragment of `given`."""
    names: dict = {}
    for path in paths:
        fragments = [f for f in given if f.lower() in path.lower()]
        if not fragments:
            return None
        value = given[max(fragments, key=len)]
        *parents, leaf = path.split(".")
        node = names
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                return None
            node = child
        node[leaf] = value
    return names


def _holds(tree, given: dict) -> bool:
    match tree:
        case Or():
            return any(_holds(part, given) for part in tree.parts)
        case And():
            return all(_holds(part, given) for part in tree.parts)
        case Not():
            return not _holds(tree.inner, given)
        case Atom() | Opaque():
            names = _bind(tree.paths, given)
            if names is None:
                return False
            try:
                return cel.evaluate(tree.text, names) is True
            except (RuntimeError, ValueError, TypeError, KeyError):
                return False
    return False


def condition_holds(expression: str, given: dict) -> bool:
    try:
        tree = condition_tree(expression)
    except ConditionSyntaxError:
        return False
    return _holds(tree, given)


def graph_walk(graph: Graph, given: dict) -> Walk:
    keys = {s.key for s in graph.steps}
    visited: set[str] = set()
    taken: set[tuple[str, int]] = set()
    todo = [graph.start]
    while todo:
        key = todo.pop()
        if key in visited or key not in keys:
            continue
        visited.add(key)
        step = graph.step(key)
        if isinstance(step, EndStep):
            continue
        if isinstance(step, DecideStep) and step.branches:
            for index, branch in enumerate(step.branches):
                if condition_holds(branch.when, given):
                    taken.add((key, index))
                    todo.append(branch.next)
                    break
            else:
                if step.otherwise:
                    todo.append(step.otherwise)
            continue
        todo.extend(successors(step))
    return Walk(frozenset(visited), frozenset(taken))
