"""Stopping a run on purpose: a person or an integration cancels it.

A cancelled run takes no further step: its pending timers are cancelled, its
open review items are withdrawn from the inbox, and the engine skips it
(cancelled is not an active status). A step already being performed by a
worker finishes its one external call; nothing after it runs.
"""

from __future__ import annotations

from django.db import transaction

from cases import clock
from cases.models import ReviewItem, Run, Timer

FINISHED = (Run.Status.COMPLETED, Run.Status.FAILED, Run.Status.CANCELLED)


class RunNotCancellable(Exception):
    code = "run_finished"

    def __init__(self, run: Run):
        super().__init__(f"Run {run.id} has already finished ({run.get_status_display().lower()}); nothing to cancel.")


def run_cancel(*, run_id: int, reason: str = "") -> Run:
    """Cancel a run that has not finished, with its timers and open review items. Owns its transaction."""
    now = clock.now()
    with transaction.atomic():
        run = Run.objects.select_for_update().get(id=run_id)
        if run.status in FINISHED:
            raise RunNotCancellable(run)
        run.status = Run.Status.CANCELLED
        run.outcome = "cancelled"
        run.error = reason[:2000]
        run.finished_at = now
        run.save(update_fields=["status", "outcome", "error", "finished_at", "updated_at"])
        Timer.objects.filter(run=run, fired_at__isnull=True, cancelled_at__isnull=True).update(cancelled_at=now)
        for item in ReviewItem.objects.filter(run=run, status=ReviewItem.Status.OPEN):
            item.status = ReviewItem.Status.CANCELLED
            item.note = f"Run cancelled. {reason}".strip()
            item.save(update_fields=["status", "note"])  # saved one by one so the history records it
    return run
