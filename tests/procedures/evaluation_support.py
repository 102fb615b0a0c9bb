"""Small builders for the evaluation tests: graphs, results and expectations written by hand."""

from __future__ import annotations

from procedures.compiler.base import CompileResult
from procedures.steps import EndStep, Graph, Span


def span(source: str, quote: str) -> Span:
    start = source.index(quote)
    return Span(start=start, end=start + len(quote))


def result(*steps, warnings=(), coverage=()) -> CompileResult:
    graph = Graph(start=steps[0].key, steps=list(steps))
    return CompileResult(graph, "rules", "test", warnings=list(warnings), coverage=list(coverage))


def expectation(items, **rest) -> dict:
    return {"version": 2, "items": items, **rest}


def end(key="done", outcome="resolved") -> EndStep:
    return EndStep(key=key, title="Done", outcome=outcome)
