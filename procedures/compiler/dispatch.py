"""The dispatcher: check the text, run the chosen compiler, validate what comes back."""

from __future__ import annotations

from dataclasses import replace

from procedures.compiler.base import CompileError, CompileResult, CompilerName, check_source
from procedures.compiler.llm import compile_with_model
from procedures.compiler.rules import compile_rules
from procedures.compiler.validate import graph_warnings, validate_graph
from procedures.steps import GraphError


def default_compiler() -> CompilerName:
    """The model compiler when a key is configured, else the rules compiler."""
    from django.conf import settings

    return "llm" if settings.OPENAI_API_KEY else "rules"


def compile_source(source: str, *, compiler: CompilerName | None = None) -> CompileResult:
    """Compile SOP text with the named compiler (default: `default_compiler()`), validated.

    Raises CompileError for empty, oversized or binary input, and for any graph
    that does not pass `procedures.compiler.validate`.

    Text in which the rules compiler recognises no step at all (or that is not
    English) is an error, not a one-step "hand it to a person" graph: an ops
    manager trying an SOP learns at once that it was not understood and what to
    do about it, instead of publishing a procedure that quietly sends every case
    to the inbox. Single sentences the rules do not understand, inside an SOP
    that otherwise compiles, become judgement steps with a warning instead.
    """
    source = check_source(source)
    name = compiler or default_compiler()
    if name == "rules":
        try:
            result = compile_rules(source)
        except GraphError as exc:  # a rules bug must reach the author as a message, not a server error
            raise CompileError(
                "The rules compiler built a graph it cannot use from this text "
                f"({exc.errors[0]['msg'] if exc.errors else exc}). This is a bug in sopdesk: please report it "
                "with the SOP text."
            ) from exc
    elif name == "llm":
        result = compile_with_model(source)
    else:
        raise CompileError(f"Unknown compiler {name!r}: use 'rules' or 'llm'.")
    errors = validate_graph(result.graph, source=source)
    if errors:
        listing = "; ".join(e.message for e in errors)
        raise CompileError(
            f"The compiled graph has {len(errors)} problem(s): {listing}", errors=errors, usage=result.usage
        )
    return replace(result, warnings=result.warnings + graph_warnings(result.graph, source=source))
