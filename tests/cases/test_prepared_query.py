"""The engine's locking read, compiled once: the same run, case and version the queryset would give."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cases import clock
from cases.models import Case, Run
from cases.run_pass import locked_run
from procedures.models import Procedure
from sopdesk.demo import demo_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def run():
    demo_load()
    version = Procedure.objects.get(slug="product-bug-escalation").published_version
    case = Case.objects.create(
        source="api", external_id="p-1", opened_at=clock.now(), subject="Export fails", facts={"plan": "Pro"}
    )
    return Run.objects.create(case=case, version=version, mode=Run.Mode.DRY_RUN, trigger_key="p", state={"a": [1]})


def test_the_locked_run_is_the_row_with_its_case_in_one_query(run):
    for _ in range(2):  # compiled on the first call, reused on the second
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            locked = locked_run(run.id)
            assert (locked.id, locked.state, locked.mode, locked.started_at) == (
                run.id,
                {"a": [1]},
                Run.Mode.DRY_RUN,
                run.started_at,
            )
            assert (locked.case.subject, locked.case.facts) == ("Export fails", {"plan": "Pro"})
            assert locked.version.status == "published"
        selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
        assert len(selects) == 1
    assert "graph" in locked.version.get_deferred_fields()  # the graph comes from the cache, not this read


def test_each_call_reads_the_run_as_it_is_now(run):
    with transaction.atomic():
        locked_run(run.id)
    Run.objects.filter(id=run.id).update(current_step="changed", last_sequence=7)
    with transaction.atomic():
        locked = locked_run(run.id)
    assert (locked.current_step, locked.last_sequence) == ("changed", 7)


def test_a_missing_run_says_so(run):
    with transaction.atomic(), pytest.raises(Run.DoesNotExist):
        locked_run(run.id + 1000)


@pytest.mark.django_db(transaction=True)
def test_the_lock_is_refused_outside_a_transaction(run):
    with pytest.raises(transaction.TransactionManagementError):
        locked_run(run.id)
