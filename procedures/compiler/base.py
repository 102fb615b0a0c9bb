"""The interface both compilers share, and the dispatcher in front of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from procedures.steps import Graph, Span

CompilerName = Literal["rules", "llm"]


@dataclass(frozen=True)
class CompileIssue:
    """A warning or error that points at the sentence (span) and/or step it is about."""

    message: str
    code: str = "warning"
    step_key: str | None = None
    span: Span | None = None
    excerpt: str = ""

    def to_json(self) -> dict:
        data = {"message": self.message, "code": self.code}
        if self.step_key:
            data["step_key"] = self.step_key
        if self.span:
            data["span"] = {"start": self.span.start, "end": self.span.end}
        if self.excerpt:
            data["excerpt"] = self.excerpt
        return data


@dataclass(frozen=True)
class CompileResult:
    graph: Graph
    compiler: str  # "rules" or the model name
    compiler_version: str
    warnings: list[CompileIssue] = field(default_factory=list)
    usage: dict = field(default_factory=dict)  # tokens, latency_ms, cached


class CompileError(Exception):
    """The SOP could not be compiled into a valid graph. `errors` says where and why."""

    code = "compile_failed"

    def __init__(self, message: str, errors: list[CompileIssue] | None = None, usage: dict | None = None):
        super().__init__(message)
        self.errors = errors or []
        self.usage = usage or {}


def default_compiler() -> CompilerName:
    """The model compiler when a key is configured, else the rules compiler."""
    from django.conf import settings

    return "llm" if settings.OPENAI_API_KEY else "rules"


def compile_source(source: str, *, compiler: CompilerName | None = None) -> CompileResult:
    """Compile SOP text with the named compiler (default: `default_compiler()`), validated.

    Raises CompileError for empty, oversized or binary input, and for any graph
    that does not pass `procedures.compiler.validate`.
    """
    raise NotImplementedError("filled in by the compiler implementation")
