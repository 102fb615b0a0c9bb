"""The locked pass: connector-free steps in one transaction, trace rows in one INSERT, the run in one UPDATE."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Run, StepExecution
from cases.services import case_event_deliver, run_advance, run_start
from tests.cases.test_services import GRAPH, start, statuses
from tests.factories import CaseFactory, ProcedureVersionFactory

pytestmark = pytest.mark.django_db


def decisions(count: int) -> dict:
    """`count` decisions in a row on the case's priority, then the end: no connector anywhere."""
    steps = [
        {
            "kind": "decide",
            "key": f"check_{i}",
            "title": f"Check {i}",
            "instruction": "Urgent cases stop here.",
            "branches": [{"when": "case.priority == 'urgent'", "next": "done"}],
            "otherwise": f"check_{i + 1}" if i + 1 < count else "done",
        }
        for i in range(count)
    ]
    return {"title": "Checks", "start": "check_0", "steps": [*steps, {"kind": "end", "key": "done", "title": "Done"}]}


def advance_counting(graph: dict) -> tuple[Run, list[str]]:
    version = ProcedureVersionFactory(graph=graph, status="published")
    run = run_start(case=CaseFactory(priority="normal"), version=version, enqueue=False)
    with CaptureQueriesContext(connection) as queries:
        run = run_advance(run_id=run.id)
    return run, [q["sql"] for q in queries.captured_queries]


def test_connector_free_steps_cost_one_insert_and_one_update_however_many_there_are():
    short_run, short = advance_counting(decisions(2))
    long_run, long = advance_counting(decisions(9))
    assert (short_run.status, long_run.status) == ("completed", "completed")
    assert (short_run.executions.count(), long_run.executions.count()) == (3, 10)
    for statements in (short, long):
        assert sum('INSERT INTO "cases_stepexecution"' in sql for sql in statements) == 1
        assert sum('UPDATE "cases_run"' in sql for sql in statements) == 1
        assert not [sql for sql in statements if 'FROM "cases_stepexecution"' in sql]  # no max(sequence), no lookup
    assert len(long) == len(short)


def test_the_locking_select_leaves_the_graph_and_the_source_in_the_database():
    _, statements = advance_counting(decisions(3))
    version_columns = [sql for sql in statements if '"procedures_procedureversion"."graph"' in sql]
    version_columns += [sql for sql in statements if '"procedures_procedureversion"."source"' in sql]
    assert version_columns == []


def test_sequence_numbers_run_on_across_waits_and_events_without_gaps():
    run = run_advance(run_id=start(amount=1200).id)
    assert run.status == Run.Status.WAITING
    assert case_event_deliver(case=run.case, event_type="customer.replied", event={"body": "here"}) == [run.id]
    run = run_advance(run_id=run.id)
    assert run.outcome == "resolved"
    sequences = list(run.executions.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, len(sequences) + 1))
    assert Run.objects.get(id=run.id).last_sequence == len(sequences)
    assert statuses(run)[-2:] == [("wait_reply", "succeeded"), ("done", "succeeded")]


def test_the_migration_fills_sequence_and_write_in_flight_from_existing_trace_rows():
    fill = importlib.import_module("cases.migrations.0008_run_trace_counters").fill
    traced = start(amount=1)
    for sequence, status in ((1, "succeeded"), (2, "succeeded"), (3, "started")):
        StepExecution.objects.create(run=traced, sequence=sequence, step_key=f"s{sequence}", status=status)
    done = start(GRAPH, amount=2)
    StepExecution.objects.create(run=done, sequence=1, step_key="s1", status="succeeded")
    untraced = start(GRAPH, amount=3)
    Run.objects.update(last_sequence=0, call_in_flight=None)
    fill(apps, None)
    got = {
        r.id: (r.last_sequence, r.call_in_flight) for r in Run.objects.filter(id__in=[traced.id, done.id, untraced.id])
    }
    assert got == {traced.id: (3, 3), done.id: (1, None), untraced.id: (0, None)}
