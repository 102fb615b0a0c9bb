"""django-q2 entry points: one-line wrappers around the services."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def run_advance_task(run_id: int) -> str:
    from cases.services import run_advance

    return run_advance(run_id=run_id).status


def timers_sweep_task() -> int:
    from cases.timers import timers_sweep

    return len(timers_sweep())


def runs_recover_task() -> int:
    from cases.services import runs_recover

    return len(runs_recover())


def event_process_task(event_id: int) -> str:
    """Process an accepted event, then advance the runs it started here (one task per ticket, not two)."""
    from cases.intake import event_process
    from cases.services import run_advance

    result = event_process(event_id=event_id, enqueue_runs=False)
    if result is None:
        return "done already"
    for run_id in result.runs_started:
        try:
            run_advance(run_id=run_id)
        except Exception:  # the run stays active; `runs_recover` queues it again after the step lease
            logger.exception("advancing run %s after event %s failed", run_id, event_id)
    return "failed" if result.failed else "processed"
