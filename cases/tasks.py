"""django-q2 entry points: one-line wrappers around the services."""

from __future__ import annotations


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
    from cases.intake import event_process

    result = event_process(event_id=event_id)
    return "done already" if result is None else ("failed" if result.failed else "processed")
