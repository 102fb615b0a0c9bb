"""django-q2 entry point: a thin wrapper around the sweep (scheduled every minute by migration 0002)."""

from __future__ import annotations

MAX_BATCHES = 20


def sla_sweep_task() -> int:
    """Sweep until nothing more is due (batches of 500, at most MAX_BATCHES); returns how many fired."""
    from cases.sla.sweep import sla_sweep

    fired = 0
    for _ in range(MAX_BATCHES):
        report = sla_sweep()
        fired += len(report.fired)
        if not report.more_due:
            break
    return fired
