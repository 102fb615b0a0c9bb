"""SOP text in, a validated step graph out.

`compile_source(source, compiler=...)` is the one entry point: it picks the
rules compiler or the model compiler, validates what comes back, and returns
a `CompileResult`. Nothing invalid is ever returned as a graph.
"""

from procedures.compiler.base import CompileError, CompileIssue, CompileResult, compile_source, default_compiler

__all__ = ["CompileError", "CompileIssue", "CompileResult", "compile_source", "default_compiler"]
