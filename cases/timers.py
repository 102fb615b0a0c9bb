"""Durable waits: the sweep that fires due timers, exactly once each."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from cases import clock
from cases.models import Timer
from cases.services import run_wake


def timers_sweep(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Fire every timer due at `now` (default: the clock). Returns the ids this call fired.

    Each timer is claimed with a compare-and-set `UPDATE … SET fired_at = now
    WHERE id = … AND fired_at IS NULL AND cancelled_at IS NULL`, so two sweeps
    running at once never fire one timer twice. Firing wakes the run (which
    ignores it if it no longer waits on that visit of that step).
    """
    now = now or clock.now()
    due = list(
        Timer.objects.filter(fired_at__isnull=True, cancelled_at__isnull=True, due_at__lte=now)
        .order_by("due_at")
        .values_list("id", flat=True)[:limit]
    )
    fired = []
    for timer_id in due:
        claimed = Timer.objects.filter(Q(id=timer_id), fired_at__isnull=True, cancelled_at__isnull=True).update(
            fired_at=now
        )
        if not claimed:
            continue
        timer = Timer.objects.select_related("run").get(id=timer_id)
        fired.append(timer_id)
        run_wake(run=timer.run, by="timer", step_key=timer.step_key, visit=int(timer.payload.get("visit", 1)), at=now)
    return fired
