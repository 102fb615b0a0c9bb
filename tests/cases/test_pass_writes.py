"""A pass's trace rows and run update, written as plain SQL, store what the ORM would have stored."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import DatabaseError

from cases.models import Run, StepExecution
from cases.pass_writes import executions_insert, run_update
from tests.factories import RunFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def test_trace_rows_get_their_ids_timestamps_and_json_values():
    run = RunFactory()
    rows = [
        StepExecution(run=run, sequence=1, step_key="lookup", status="succeeded", result={"plan": "Pro", "n": [1, 2]}),
        StepExecution(run=run, sequence=2, step_key="decide", status="skipped", decision={"skipped": True}),
        StepExecution(run=run, sequence=3, step_key="create", request={"operation": "jira.create_issue"}),
    ]
    with time_machine.travel(NOW, tick=False):
        executions_insert(rows)
    stored = {e.sequence: e for e in StepExecution.objects.filter(run=run)}
    assert [row.pk for row in rows] == [stored[1].pk, stored[2].pk, stored[3].pk]
    assert stored[1].result == {"plan": "Pro", "n": [1, 2]} and stored[1].decision is None
    assert stored[2].decision == {"skipped": True} and stored[2].status == "skipped"
    assert stored[3].request == {"operation": "jira.create_issue"} and stored[3].status == "started"
    assert stored[3].inputs == {} and stored[3].usage == {} and stored[3].finished_at is None
    assert {e.started_at for e in stored.values()} == {NOW}
    rows[2].status = "succeeded"
    rows[2].save(update_fields=["status"])  # saved objects: the ORM updates them, it does not insert again
    assert StepExecution.objects.filter(run=run).count() == 3


def test_the_run_update_sets_the_fields_and_its_updated_at():
    run = RunFactory(state={"cursor": "start"})
    run.state = {"cursor": "next", "facts": {"account": {"plan": "Free"}}}
    run.status, run.last_sequence, run.call_in_flight = Run.Status.RUNNING, 4, 4
    with time_machine.travel(NOW, tick=False):
        run_update(run, ["state", "status", "last_sequence", "call_in_flight", "updated_at"])
    stored = Run.objects.get(id=run.id)
    assert stored.state == {"cursor": "next", "facts": {"account": {"plan": "Free"}}}
    assert (stored.status, stored.last_sequence, stored.call_in_flight, stored.updated_at) == ("running", 4, 4, NOW)


def test_updating_a_run_that_is_gone_fails_loudly():
    run = RunFactory()
    Run.objects.filter(id=run.id).delete()
    with pytest.raises(DatabaseError):
        run_update(run, ["status"])
