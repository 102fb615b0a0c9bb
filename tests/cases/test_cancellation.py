"""Cancelling a run: nothing more happens, and nothing is left waiting for a person."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from cases.cancellation import RunNotCancellable, run_cancel
from cases.models import ReviewItem, Run, Timer
from cases.services import run_advance
from cases.timers import timers_sweep
from tests.factories import ReviewItemFactory, RunFactory, TimerFactory

pytestmark = pytest.mark.django_db


def test_cancel_withdraws_timers_and_open_review_items_and_the_run_takes_no_further_step():
    run = RunFactory(status=Run.Status.HELD)
    timer = TimerFactory(run=run)
    item = ReviewItemFactory(run=run)
    run_cancel(run_id=run.id, reason="Customer withdrew the claim")
    run.refresh_from_db()
    assert (run.status, run.outcome, run.error) == (Run.Status.CANCELLED, "cancelled", "Customer withdrew the claim")
    assert Timer.objects.get(id=timer.id).cancelled_at is not None
    item.refresh_from_db()
    assert item.status == ReviewItem.Status.CANCELLED and "Customer withdrew" in item.note
    assert timer.id not in timers_sweep()
    executions_before = run.executions.count()
    run_advance(run_id=run.id)
    assert run.executions.count() == executions_before


def test_a_finished_run_cannot_be_cancelled():
    run = RunFactory(status=Run.Status.COMPLETED)
    with pytest.raises(RunNotCancellable, match="already finished"):
        run_cancel(run_id=run.id)
    run.refresh_from_db()
    assert run.status == Run.Status.COMPLETED


def test_api_cancel_answers_409_with_a_reason_for_a_finished_run(ops_manager):
    client = APIClient()
    client.force_authenticate(ops_manager)
    waiting = RunFactory(status=Run.Status.WAITING)
    response = client.post(f"/api/v1/runs/{waiting.id}/cancel/", {"reason": "duplicate"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    again = client.post(f"/api/v1/runs/{waiting.id}/cancel/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "run_finished"
