"""Replay in memory: the engine's functional core over every ticket, reads cached per distinct question.

Each ticket becomes an unsaved Case (the same `case_apply` / `case_names` a
webhook's case goes through) and is walked by `cases.walk.walk`, the walker
"try on a sample case" uses, with the persistent dry run's rules for calls:

- a write is not sent: it is counted as an action and answered with
  `engine.dry_run_result`, as the shell records a SKIPPED execution;
- a declared operation with a mock is answered by its mock (reads and writes);
- a read goes to the connected system once per distinct question (operation
  and parameters) in this replay; the answer, or the permanent failure
  (not found, ambiguous, rejected), answers every later ticket that asks the
  same. A retryable failure is not kept: that ticket stops where a persistent
  dry run would wait for its retry, and the next ticket asks again.

Tickets alike in every value the graph reads (`cases/walk_key.py`) are
walked once and counted as many times. Nothing is written to the database:
no Case, Run, StepExecution, Timer or review item. The coverage is the persistent dry run's (`cases/replay_persistent.py`),
which a test compares on a generated file.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from cases import clock, conf, engine, graphcache
from cases.casefacts import NormalisedEvent, case_apply, case_names
from cases.models import Case
from cases.replay_coverage import Coverage, coverage_add, missing_inputs
from cases.walk import Stop, walk
from cases.walk_key import WalkKey
from connectors import registry
from connectors.base import ConnectorError, RetryableError
from connectors.declared.catalog import declarations_held
from procedures.models import ProcedureVersion
from procedures.steps import Graph

logger = logging.getLogger(__name__)


@dataclass
class Reads:
    """Answers to read-only questions (and mocks), asked once per distinct question during one replay."""

    answers: dict[str, dict | ConnectorError] = field(default_factory=dict)
    asked: int = 0  # calls actually made (a retryable failure is asked again)

    def answer(self, operation: registry.Operation, params: dict, *, mock: bool) -> tuple[dict | ConnectorError, bool]:
        """The answer (a result or the failure), and whether it is kept for the next ticket that asks."""
        key = json.dumps([operation.name, mock, params], sort_keys=True, default=str)
        known = self.answers.get(key)
        if known is not None:
            return known, True
        self.asked += 1
        try:
            handler = operation.load_mock() if mock else operation.load_handler()
            answer: dict | ConnectorError = handler(dict(params), idempotency_key=None) or {}
        except ConnectorError as exc:
            answer = exc
        except Exception as exc:  # as the shell does: a broken handler is a failed step, not a crash
            logger.exception("connector %s failed unexpectedly", operation.name)
            return ConnectorError(f"{type(exc).__name__}: {exc}", system=operation.system), False
        if isinstance(answer, RetryableError):
            return answer, False
        self.answers[key] = answer
        return answer, True


@dataclass
class _Ticket:
    """One ticket's walk and the writes it would have made; `operations` and `written` are shared lookups."""

    graph: Graph
    case: dict
    reads: Reads
    operations: dict[str, registry.Operation]
    written: dict[str, dict]
    actions: list[str] = field(default_factory=list)
    repeatable: bool = True  # every answer it got is kept: a ticket with the same key walks the same way

    def operation(self, name: str) -> registry.Operation:
        found = self.operations.get(name)
        if found is None:
            found = self.operations[name] = registry.get(name)
        return found

    def dry_run_result(self, name: str) -> dict:
        found = self.written.get(name)
        if found is None:
            found = self.written[name] = engine.dry_run_result(name)
        return found

    def perform(self, call: engine.CallOperation, state: engine.RunState) -> engine.Effect | None:
        operation = self.operation(call.operation)
        mocked = operation.mock is not None
        if call.writes and not mocked:
            self.actions.append(call.operation)
            return engine.on_result(self.graph, state, self.case, call.step_key, self.dry_run_result(call.operation))
        answer, kept = self.reads.answer(operation, call.params, mock=mocked)
        self.repeatable = self.repeatable and kept
        if isinstance(answer, RetryableError) and conf.retry_limit() > 1:
            return None  # a persistent dry run would schedule a retry and stay running
        if isinstance(answer, ConnectorError):
            return engine.on_error(self.graph, call.step_key, answer)
        return engine.on_result(self.graph, state, self.case, call.step_key, answer)


def ticket_case(ticket: NormalisedEvent, *, number: int, now: dt.datetime) -> dict:
    """The `case` a ticket's expressions read, built from an unsaved Case; `id` stands in for the row id."""
    case = Case(source=ticket.source, external_id="", opened_at=now)
    case_apply(case=case, event=ticket)
    return {**case_names(case), "id": number}


def replay_memory(
    *,
    version: ProcedureVersion,
    tickets: Iterable[NormalisedEvent],
    progress: Callable[[], None] | None = None,
    reads: Reads | None = None,
) -> Coverage:
    """Dry-run `version` over every ticket in memory and return the coverage. Writes nothing anywhere.

    Tickets alike in every value the graph reads (`cases/walk_key.py`) are walked once and counted each.
    """
    graph = graphcache.version_graph(version)
    reads = reads if reads is not None else Reads()
    operations: dict[str, registry.Operation] = {}  # one registry read per operation, not per call
    written: dict[str, dict] = {}
    walked: dict[str, dict] = {}  # walk key → what the walk counted
    coverage = Coverage()
    now = clock.now()
    with declarations_held():  # the engine looks operations up per call: one registry read for the whole replay
        key_of = WalkKey(graph, sent=_sent)
        for number, ticket in enumerate(tickets, 1):
            case = ticket_case(ticket, number=number, now=now)
            key = key_of.of(case, ticket.event_type)
            counted = walked.get(key) if key is not None else None
            if counted is None:
                walker = _Ticket(graph, case, reads, operations, written)
                state = engine.RunState.start(graph, event={"type": ticket.event_type})
                stop = walk(graph, state, case, now, perform=walker.perform)
                counted = _counted(graph, case, stop, walker.actions)
                if key is not None and walker.repeatable:
                    walked[key] = counted
            coverage_add(coverage, **counted)
            if progress:
                progress()
    return coverage


def _sent(name: str) -> bool:
    """Whether a replay asks `name` (a read, or a mock) rather than only recording it (a write)."""
    try:
        operation = registry.get(name)
    except Exception:  # unknown: the walk will say so; its values decide, to be safe
        return True
    return not operation.writes or operation.mock is not None


def _counted(graph: Graph, case: dict, stop: Stop, actions: list[str]) -> dict:
    missing = []
    if stop.status not in ("completed", "waiting"):
        missing = missing_inputs(graph, stop.step_key, facts=stop.state.facts, case=case)
    return {
        "status": stop.status,
        "outcome": stop.outcome,
        "step_key": stop.step_key,
        "hold_reason": stop.effect.reason if isinstance(stop.effect, engine.Hold) else "",
        "actions": tuple(actions),
        "missing": tuple(missing),
    }
