"""Connector calls the shell makes between two locked passes, outside any transaction.

A write (live, or shadow/dry with nothing to answer it) is made between two trace writes:

1. `cases.run_pass` commits a STARTED execution holding the rendered request and
   the idempotency key `sopdesk-run<run>-<step>-<visit>`, marked in `Run.call_in_flight`;
2. `write_perform` calls the connector with that key;
3. `cases.run_pass.write_complete` locks the run again, completes the execution
   (SUCCEEDED / FAILED), clears the mark and takes the steps after it.

A worker killed between 1 and 3 leaves the STARTED execution and the mark;
whoever advances the run next performs exactly that request again, with the
same key, once its lease has passed, and the connector turns the repeated key
into a replay of the earlier write.

A read (and a dry run's answer from a declared mock) has no side effect, so it
needs no STARTED row: the pass that meets it stops before it and returns a
`Read`; `read_perform` asks the question; the next pass re-plans the step and,
if it asks the very same question, records the `Answer` as the step's trace row
and goes on. A worker killed during a read leaves nothing to redo but the read.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from cases import conf
from cases.models import StepExecution
from connectors import registry
from connectors.base import ConnectorError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Read:
    """A call without side effects that a pass stopped before: the step, its visit and the rendered request."""

    step_key: str
    visit: int
    request: dict
    idempotency_key: str
    attempt: int


@dataclass(frozen=True)
class Answer:
    """What a read returned (or how it failed), for the pass that asked it."""

    read: Read
    result: dict | None
    error: ConnectorError | None


def read_perform(read: Read) -> Answer:
    result, error = _call(read.request, read.step_key, idempotency_key=None)
    return Answer(read, result, error)


def write_perform(execution: StepExecution) -> tuple[dict | None, ConnectorError | None]:
    """Call the connector for a STARTED execution with its idempotency key: (result, None) or (None, the error)."""
    return _call(execution.request or {}, execution.step_key, idempotency_key=execution.idempotency_key)


def _call(request: dict, step_key: str, *, idempotency_key: str | None) -> tuple[dict | None, ConnectorError | None]:
    operation = registry.get(request["operation"])
    try:
        handler = operation.load_mock() if request.get("mock") else operation.load_handler()
        key = idempotency_key if operation.writes else None
        result, error = handler(dict(request.get("params") or {}), idempotency_key=key), None
    except ConnectorError as exc:
        result, error = None, exc
    except Exception as exc:  # a bug or misconfiguration in a handler must not wedge the run
        logger.exception("connector %s failed unexpectedly", operation.name)
        result, error = None, ConnectorError(f"{type(exc).__name__}: {exc}", system=operation.system)
    if conf.crash_after_write() == step_key:
        logger.warning("SOPDESK_TEST_CRASH_AFTER_WRITE=%s: exiting after the write", step_key)
        os._exit(1)
    return result, error
