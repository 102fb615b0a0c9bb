"""SOP text in, a validated step graph out.

`compile_source(source, compiler=...)` is the one entry point: it checks the
text (`check_source`), picks the rules compiler or the model compiler,
validates what comes back, and returns a `CompileResult`. Nothing invalid is
ever returned as a graph.
"""

from procedures.compiler.base import (
    MAX_SOURCE_BYTES,
    CompileError,
    CompileIssue,
    CompileResult,
    SentenceCoverage,
    check_source,
    coverage_summary,
)
from procedures.compiler.dispatch import compile_source, default_compiler

__all__ = [
    "MAX_SOURCE_BYTES",
    "CompileError",
    "CompileIssue",
    "CompileResult",
    "SentenceCoverage",
    "check_source",
    "compile_source",
    "coverage_summary",
    "default_compiler",
]
