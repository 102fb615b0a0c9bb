"""The types both compilers share (results, issues, coverage) and the source checks; no compiler logic.

The dispatcher in front of the compilers is `procedures.compiler.dispatch`, so that
the compilers can import these types without importing each other.
"""

from __future__ import annotations

import re
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


CoverageStatus = Literal["automated", "person", "not_understood", "non_procedural"]
COVERAGE_STATUSES: tuple[CoverageStatus, ...] = ("automated", "person", "not_understood", "non_procedural")


@dataclass(frozen=True)
class SentenceCoverage:
    """What became of one sentence (or clause, or table row) of the source.

    automated       it became automated steps (gather/decide/act/wait/approve/end) listed in step_keys
    person          it became a judgement step or approval for a person (step_keys), on purpose
    not_understood  the compiler could not map it; it is a judgement step plus a question/warning
    non_procedural  heading, title, purpose, definition, example, note, input/output list, code:
                    `kind` says which; no step
    """

    span: Span
    text: str
    status: CoverageStatus
    kind: str = ""
    step_keys: tuple[str, ...] = ()
    reason: str = ""

    def to_json(self) -> dict:
        data = {"span": {"start": self.span.start, "end": self.span.end}, "text": self.text, "status": self.status}
        if self.kind:
            data["kind"] = self.kind
        if self.step_keys:
            data["step_keys"] = list(self.step_keys)
        if self.reason:
            data["reason"] = self.reason
        return data


def coverage_summary(coverage: list[SentenceCoverage]) -> dict[str, int]:
    """Counts by status, every status present (0 when none): the figures shown above the editor."""
    counts = dict.fromkeys(COVERAGE_STATUSES, 0)
    for entry in coverage:
        counts[entry.status] += 1
    return counts


@dataclass(frozen=True)
class CompileResult:
    graph: Graph
    compiler: str  # "rules" or the model name
    compiler_version: str
    warnings: list[CompileIssue] = field(default_factory=list)
    usage: dict = field(default_factory=dict)  # tokens, latency_ms, cached
    coverage: list[SentenceCoverage] = field(default_factory=list)  # every sentence of the source, in order


class CompileError(Exception):
    """The SOP could not be compiled into a valid graph. `errors` says where and why."""

    code = "compile_failed"

    def __init__(self, message: str, errors: list[CompileIssue] | None = None, usage: dict | None = None):
        super().__init__(message)
        self.errors = errors or []
        self.usage = usage or {}


MAX_SOURCE_BYTES = 200_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


def check_source(source: str | bytes) -> str:
    """The SOP text, or CompileError saying why it cannot be an SOP (empty, too large, not text)."""
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError:
            raise CompileError(
                "The SOP is not text (it is not valid UTF-8): paste the procedure as plain text.",
                [CompileIssue("not valid UTF-8 text", code="source_not_text")],
            ) from None
    if not isinstance(source, str) or not source.strip():
        raise CompileError("The SOP is empty: paste the procedure text", [CompileIssue("no text", code="source_empty")])
    size = len(source.encode("utf-8"))
    if size > MAX_SOURCE_BYTES:
        raise CompileError(
            f"The SOP is {size // 1000} KB; the limit is {MAX_SOURCE_BYTES // 1000} KB. "
            "Split it into one procedure per process.",
            [CompileIssue(f"{size} bytes, limit {MAX_SOURCE_BYTES}", code="source_too_large")],
        )
    controls = len(_CONTROL.findall(source))
    if "\x00" in source or controls > max(3, len(source) // 100):
        raise CompileError(
            "The SOP contains binary data (control characters), not text: paste the procedure as plain text.",
            [CompileIssue(f"{controls} control characters", code="source_not_text")],
        )
    return source
