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
   non-procedural); refused, the judgement step stays, with a warning saying why;
5. keeps a read the model proposed only if a later step uses the fact it saves:
   a lookup nothing reads was proposed on a keyword ("gather the invoice ...")
   and does nothing the SOP asks for, so that clause goes back to a person.

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

from dataclasses import dataclass, replace

from procedures.compiler.base import CompileError, CompileIssue, CompileResult
from procedures.compiler.llm_answers import Mapped, apply_answer, fact_used_elsewhere
from procedures.compiler.llm_clauses import (
    CLAUSE_VERSION,
    PURPOSE,
    SCHEMA_NAME,
    Clause,
    clause_messages,
    clause_schema,
    open_clauses,
)
from procedures.steps import GatherStep

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
    """`base` (a rules compile of `source`) with each clause it could not map put to the model.

    The answers are asked for in source order against the graph as it grows,
    then settled: a read the model proposed stays only if a later step uses
    the fact it saves; otherwise that clause is put back as it was and the
    other answers are applied again without it (no new call). Only the answers
    that end up used are cached.
    """
    from django.conf import settings

    clauses = open_clauses(base)
    exchanges, not_asked, state = _ask_all(source, base, clauses)
    vetoed: set[str] = set()
    while unused := _unused_reads(state, exchanges) - vetoed:
        vetoed |= unused
        state = _replay(source, base, exchanges, vetoed=vetoed, not_asked=not_asked)
    for exchange in exchanges:
        if exchange.answer is None:
            continue
        if exchange.used:
            exchange.answer.accept()
        else:
            exchange.answer.reject()
    calls = [exchange.call for exchange in exchanges]
    answered_by = next((e.answer.model for e in reversed(exchanges) if e.answer is not None), "")
    model = answered_by or settings.SOPDESK_MODEL
    return CompileResult(
        graph=state.graph,
        compiler=answered_by or base.compiler,
        compiler_version=f"{COMPILER_VERSION}+rules-{base.compiler_version}",
        warnings=state.warnings,
        usage=_usage(model, calls, clauses=len(clauses)),
        coverage=state.coverage,
    )


@dataclass
class _Exchange:
    """One clause put to the model: its answer (or the error), what the call cost, and what became of it."""

    clause: Clause
    answer: object | None  # connectors.model.ModelAnswer
    error: object | None  # connectors.model.ModelError
    call: dict
    used: bool = False  # the answer is in the result (accepted, or "needs a person")
    read_key: str = ""  # the gather step an accepted read became


class _State:
    def __init__(self, base: CompileResult):
        self.graph = base.graph
        self.coverage = list(base.coverage)
        self.warnings = list(base.warnings)

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


def _ask_all(source: str, base: CompileResult, clauses: list[Clause]) -> tuple[list[_Exchange], list[Clause], _State]:
    """Ask about each clause in order, applying each answer before the next question; stop on a systemic failure."""
    state = _State(base)
    exchanges: list[_Exchange] = []
    for index, clause in enumerate(clauses):
        if clause.step_key not in {s.key for s in state.graph.steps}:
            continue  # an earlier answer removed it
        exchange = _ask(clause, source=source, graph=state.graph)
        exchanges.append(exchange)
        _apply(exchange, source=source, state=state, vetoed=set())
        if exchange.error is not None and exchange.error.code in SYSTEMIC_CODES:
            not_asked = clauses[index + 1 :]
            _warn_not_asked(state, not_asked)
            return exchanges, not_asked, state
    return exchanges, [], state


def _replay(
    source: str, base: CompileResult, exchanges: list[_Exchange], *, vetoed: set[str], not_asked: list[Clause]
) -> _State:
    """The answers applied again from the rules graph, with the vetoed clauses' answers left out. No model call."""
    state = _State(base)
    for exchange in exchanges:
        if exchange.clause.step_key in {s.key for s in state.graph.steps}:
            _apply(exchange, source=source, state=state, vetoed=vetoed)
        else:
            exchange.used, exchange.read_key = False, ""
    _warn_not_asked(state, not_asked)
    return state


def _warn_not_asked(state: _State, clauses: list[Clause]) -> None:
    for clause in clauses:
        state.warn(clause, "model_not_asked", "Not asked: the model failed on an earlier sentence (see above).")


def _ask(clause: Clause, *, source: str, graph) -> _Exchange:
    """One call about one clause; a ModelError is kept in the exchange, not raised."""
    from connectors.model import ModelError, structured_call

    step = graph.step(clause.step_key)
    schema = clause_schema([o.key for o in step.judgement.outcomes])
    messages = clause_messages(source=source, clause=clause, graph=graph)
    try:
        answer = structured_call(purpose=PURPOSE, messages=messages, schema_name=SCHEMA_NAME, schema=schema)
    except ModelError as exc:
        return _Exchange(clause, None, exc, {**exc.usage, "step_key": clause.step_key})
    return _Exchange(clause, answer, None, {**answer.usage(), "step_key": clause.step_key})


def _apply(exchange: _Exchange, *, source: str, state: _State, vetoed: set[str]) -> None:
    """Put one exchange's answer into the state (or its warning), and note whether the answer is used."""
    clause = exchange.clause
    exchange.used, exchange.read_key = False, ""
    if exchange.error is not None:
        state.warn(clause, exchange.error.code, f"The model could not map this sentence: {_failure(exchange.error)}")
        return
    mapped = apply_answer(state.graph, clause, exchange.answer.content, source=source)
    if clause.step_key in vetoed:
        state.warn(clause, "model_answer_rejected", f"The model's answer was not used: {_unused_read_reason(mapped)}")
        return
    if mapped.status == "not_understood":
        state.warn(clause, "model_answer_rejected", f"The model's answer was not used: {mapped.reason}")
        return
    exchange.used = True
    if mapped.status == "person":
        state.warn(clause, "model_needs_person", f"The model says a person decides this: {mapped.reason}")
    elif mapped.status == "automated" and isinstance(mapped.graph.step(mapped.step_keys[0]), GatherStep):
        exchange.read_key = mapped.step_keys[0]
    state.settle(clause, mapped)


def _unused_reads(state: _State, exchanges: list[_Exchange]) -> set[str]:
    """The clauses whose accepted read saves a fact that no other step uses."""
    return {
        e.clause.step_key
        for e in exchanges
        if e.used and e.read_key and not fact_used_elsewhere(state.graph, e.read_key)
    }


def _unused_read_reason(mapped: Mapped) -> str:
    if mapped.status != "automated":
        return mapped.reason
    step = mapped.graph.step(mapped.step_keys[0])
    return (
        f"it reads {step.operation} into {step.save_as!r}, but no later step uses that fact, "
        "so the read would do nothing the SOP asks for"
    )


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
