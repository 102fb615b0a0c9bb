"""The model compiler: the rules compiler's structure, and the model asked clause by clause about the rest.

With a model configured, `compile_with_model(source)`:

1. compiles the SOP with the rules compiler (`compile_rules`), which owns the
   document's structure: sections, numbered steps, tables, conditions;
2. takes every clause the rules could not map (a judgement step with a
   `not_understood` coverage entry or warning, see `llm_clauses`);
3. asks the model about each one with a small bounded schema and the
   surrounding section as context (one call per clause, `purpose="clause"`);
4. checks each answer like a step (`llm_answers.apply_answer`): accepted, the
   judgement step is replaced and the sentence counts as automated (or
   non-procedural); refused, the judgement step stays, with a warning saying why.

A model answer is cached only once accepted, so a recompile asks again about
what was refused. A model failure never loses the graph: the clause stays a
judgement step for a person and the warning says what went wrong.

Why not one prompt for the whole graph: a small local model asked for a whole
graph produced well-formed JSON and an invalid graph every time (measured in
STACK.md: 0 valid graphs of 6 with a 1.5B model), and a large one still has to
be checked step by step. Small questions with closed answers are what every
model can answer, and the rules keep what they already got right.
"""

from __future__ import annotations

from dataclasses import replace

from procedures.compiler.base import CompileError, CompileIssue, CompileResult, SentenceCoverage
from procedures.compiler.llm_answers import Mapped, apply_answer
from procedures.compiler.llm_clauses import (
    CLAUSE_VERSION,
    PURPOSE,
    SCHEMA_NAME,
    Clause,
    clause_messages,
    clause_schema,
    open_clauses,
)

COMPILER_VERSION = CLAUSE_VERSION
MIN_CONTEXT_TOKENS = 4096  # the system prompt (~2,000 tokens), a section and a 400-token answer
# Failures that every further clause would hit as well: stop asking.
SYSTEMIC_CODES = frozenset(
    {"model_auth", "model_unreachable", "model_not_found", "model_schema_unsupported", "model_bad_request"}
)


def compile_with_model(source: str) -> CompileResult:
    """Compile with the rules, then ask the model about each clause they could not map. Never returns an invalid graph.

    Raises CompileError when no model is configured, or when the rules
    compiler finds no procedure in the text at all.
    """
    from connectors.model import model_configured
    from procedures.compiler.rules import compile_rules

    if not model_configured():
        raise CompileError(
            "No model is configured: set OPENAI_API_KEY, or compile with the rules compiler.",
            [CompileIssue("OPENAI_API_KEY is not set", code="model_not_configured")],
        )
    return map_clauses(source, compile_rules(source))


def map_clauses(source: str, base: CompileResult) -> CompileResult:
    """`base` (a rules compile of `source`) with each clause it could not map put to the model."""
    from django.conf import settings

    state = _State(graph=base.graph, coverage=list(base.coverage), warnings=list(base.warnings))
    clauses = open_clauses(base)
    for index, clause in enumerate(clauses):
        if clause.step_key not in {s.key for s in state.graph.steps}:
            continue  # an earlier answer removed it
        if not _ask_about(clause, source=source, state=state):
            for left in clauses[index + 1 :]:
                state.warn(left, "model_not_asked", "Not asked: the model failed on an earlier sentence (see above).")
            break
    model = state.answered_by or settings.SOPDESK_MODEL
    return CompileResult(
        graph=state.graph,
        compiler=state.answered_by or base.compiler,
        compiler_version=f"{COMPILER_VERSION}+rules-{base.compiler_version}",
        warnings=state.warnings,
        usage=_usage(model, state.calls, clauses=len(clauses)),
        coverage=state.coverage,
    )


class _State:
    def __init__(self, *, graph, coverage: list[SentenceCoverage], warnings: list[CompileIssue]):
        self.graph = graph
        self.coverage = coverage
        self.warnings = warnings
        self.calls: list[dict] = []
        self.answered_by = ""

    def warn(self, clause: Clause, code: str, message: str) -> None:
        self.warnings.append(
            CompileIssue(message, code=code, step_key=clause.step_key, span=clause.span, excerpt=clause.text)
        )

    def settle(self, clause: Clause, mapped: Mapped) -> None:
        """Record what became of the clause: graph, coverage entry, and its not-understood warning."""
        self.graph = mapped.graph
        present = {s.key for s in self.graph.steps}
        self.warnings = [w for w in self.warnings if w.step_key is None or w.step_key in present]
        if mapped.accepted:
            self.warnings = [
                w for w in self.warnings if not (w.code == "not_understood" and w.step_key == clause.step_key)
            ]
        if clause.coverage_index is not None:
            entry = self.coverage[clause.coverage_index]
            self.coverage[clause.coverage_index] = replace(
                entry,
                status=mapped.status,
                step_keys=mapped.step_keys,
                kind=mapped.note_kind or entry.kind,
                reason=mapped.reason or entry.reason,
            )


def _ask_about(clause: Clause, *, source: str, state: _State) -> bool:
    """Ask the model about one clause and apply its answer; False when the model cannot be asked any more."""
    from connectors.model import ModelError, structured_call

    step = state.graph.step(clause.step_key)
    schema = clause_schema([o.key for o in step.judgement.outcomes])
    messages = clause_messages(source=source, clause=clause, graph=state.graph)
    try:
        answer = structured_call(purpose=PURPOSE, messages=messages, schema_name=SCHEMA_NAME, schema=schema)
    except ModelError as exc:
        state.calls.append({**exc.usage, "step_key": clause.step_key})
        state.warn(clause, exc.code, f"The model could not map this sentence: {_failure(exc)}")
        return exc.code not in SYSTEMIC_CODES
    state.calls.append({**answer.usage(), "step_key": clause.step_key})
    state.answered_by = answer.model
    mapped = apply_answer(state.graph, clause, answer.content, source=source)
    if mapped.status == "not_understood":
        answer.reject()
        state.warn(clause, "model_answer_rejected", f"The model's answer was not used: {mapped.reason}")
        return True
    answer.accept()
    if mapped.status == "person":
        state.warn(clause, "model_needs_person", f"The model says a person decides this: {mapped.reason}")
    state.settle(clause, mapped)
    return True


def _failure(exc) -> str:
    if exc.code == "model_context_exceeded":
        return (
            f"the SOP section with sopdesk's instructions is {exc.prompt_tokens} tokens; the model's context is "
            f"{exc.context_tokens} tokens: start the server with at least {MIN_CONTEXT_TOKENS} tokens of context "
            f"(llama.cpp: --ctx-size {MIN_CONTEXT_TOKENS}) or use a model with a longer context"
        )
    return exc.message


def _usage(model: str, calls: list[dict], *, clauses: int) -> dict:
    """Summed usage for the version, with each call's own figures (failed ones too) under `calls`."""
    return {
        "model": model,
        "prompt_tokens": sum(c.get("prompt_tokens", 0) for c in calls),
        "completion_tokens": sum(c.get("completion_tokens", 0) for c in calls),
        "latency_ms": sum(c.get("latency_ms", 0) for c in calls),
        "cached": bool(calls) and all(c.get("cached") for c in calls),
        "clauses": clauses,
        "calls": calls,
    }
