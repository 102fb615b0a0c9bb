"""What the rules-compiler tests ask of a compiled SOP: the graph's steps of a kind, its actions and its branch
conditions."""

from __future__ import annotations

from procedures.compiler import compile_source
from procedures.steps import ActStep, DecideStep


def compile_rules(source: str):
    return compile_source(source, compiler="rules")


def steps_of(result, kind) -> list:
    return [s for s in result.graph.steps if isinstance(s, kind)]


def ops_of(result) -> list[str]:
    return [s.operation for s in steps_of(result, ActStep)]


def conditions_of(result) -> list[str]:
    return [b.when for s in steps_of(result, DecideStep) for b in s.branches]
