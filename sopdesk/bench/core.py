"""The engine's functional core alone, in memory: the replay baseline.

Same loop as the persistent shell in dry run (writes answered by
`engine.dry_run_result`, reads performed once per distinct question and
cached), with no database: what replay could cost if it ran only the core.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from cases import clock, engine
from cases.casefacts import NormalisedEvent, case_apply, case_names
from cases.models import Case
from cases.replay import Coverage
from connectors import registry
from connectors.base import ConnectorError
from procedures.models import ProcedureVersion
from procedures.steps import parse

MAX_STEPS = 200


def core_replay(*, version: ProcedureVersion, tickets: Iterable[NormalisedEvent]) -> tuple[Coverage, int]:
    """Coverage of `version` over `tickets`, and how many distinct read questions were asked."""
    graph = parse(version.graph)
    answers: dict[str, tuple[dict | None, ConnectorError | None]] = {}
    coverage = Coverage()
    now = clock.now()
    for ticket in tickets:
        case = Case(source=ticket.source, external_id="", opened_at=now)
        case_apply(case=case, event=ticket)
        names = case_names(case)
        state = engine.RunState.start(graph, event={"type": ticket.event_type})
        coverage.total += 1
        for _ in range(MAX_STEPS):
            effect = engine.plan(graph, state, names, now)
            if isinstance(effect, engine.CallOperation):
                if effect.writes:
                    coverage.actions[effect.operation] += 1
                    effect = engine.on_result(
                        graph, state, names, effect.step_key, engine.dry_run_result(effect.operation)
                    )
                else:
                    result, error = _ask(answers, effect)
                    if error is not None:
                        effect = engine.on_error(graph, effect.step_key, error)
                    else:
                        effect = engine.on_result(graph, state, names, effect.step_key, result or {})
            if isinstance(effect, engine.Goto):
                state = engine.apply_goto(graph, state, effect, now)
                if effect.next is None:
                    coverage.unattended += 1
                    coverage.outcomes["resolved"] += 1
                    break
                continue
            if isinstance(effect, engine.End):
                coverage.unattended += 1
                coverage.outcomes[effect.outcome] += 1
            elif isinstance(effect, engine.StartTimer):
                coverage.waiting += 1
            elif isinstance(effect, engine.Hold):
                coverage.held[(state.cursor, effect.reason)] += 1
            break
        else:
            coverage.errors += 1
    return coverage, len(answers)


def _ask(answers: dict, effect: engine.CallOperation) -> tuple[dict | None, ConnectorError | None]:
    key = json.dumps([effect.operation, effect.params], sort_keys=True, default=str)
    if key not in answers:
        operation = registry.get(effect.operation)
        try:
            answers[key] = (operation.load_handler()(dict(effect.params), idempotency_key=None), None)
        except ConnectorError as exc:
            answers[key] = (None, exc)
    return answers[key]
