"""Connector failures: retryable ones come back later with the same key; permanent ones become holds."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django_q.models import Schedule

from cases.models import ReviewItem
from cases.services import hold_resolve, run_advance
from tests.cases.test_engine_sandbox import jira_issues, start

pytestmark = pytest.mark.django_db


def test_retryable_failure_reschedules_and_the_retry_reuses_the_key(sandbox):
    sandbox.faults("jira", error_rate=1.0, error_status=503, writes_only=True)
    run = run_advance(run_id=start("alice@acme.example").id)
    assert run.status == "running"  # waiting for its retry, not held
    failed = run.executions.get(step_key="open_bug", status="failed")
    assert failed.error.startswith("retryable")
    assert Schedule.objects.filter(func="cases.tasks.run_advance_task", args=f"({run.id},)").exists()
    assert run.state["retries"] == {"open_bug-1": 1}
    assert run_advance(run_id=run.id).status == "running"  # too early: the retry is not due yet
    sandbox.faults("jira")  # the outage ends
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)):
        run = run_advance(run_id=run.id)
    assert run.status == "completed"
    retried = run.executions.get(step_key="open_bug", status="succeeded")
    assert retried.idempotency_key == failed.idempotency_key and retried.attempt == 2
    assert len(jira_issues(sandbox)) == 1


def test_permanent_failure_is_held_and_a_reviewer_can_retry(sandbox, reviewer):
    sandbox.faults("jira", script=[400], writes_only=True)
    run = run_advance(run_id=start("alice@acme.example").id)
    assert run.status == "held"
    item = ReviewItem.objects.get(run=run)
    assert item.reason == "action_failed"
    assert [o["key"] for o in item.allowed_outcomes] == ["retry", "skip", "stop"]
    hold_resolve(item=item, outcome="retry", user=reviewer)
    assert run_advance(run_id=run.id).status == "completed"
    assert len(jira_issues(sandbox)) == 1


def test_admin_decides_a_hold_and_the_run_resumes(sandbox, client):
    from tests.factories import UserFactory

    run = run_advance(run_id=start("pat@nowhere.example", "4").id)
    item = ReviewItem.objects.get(run=run)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    response = client.post(
        "/admin/cases/reviewitem/", {"action": "decide_stop", "_selected_action": [item.id]}, follow=True
    )
    assert response.status_code == 200
    item.refresh_from_db()
    assert (item.status, item.outcome) == ("decided", "stop")
    run = run_advance(run_id=run.id)
    assert (run.status, run.outcome) == ("completed", "stopped")
