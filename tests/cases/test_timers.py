"""Timers fire exactly once, even with two sweeps at the same moment."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from cases.models import Run, Timer
from cases.services import run_advance, run_start
from cases.timers import timers_sweep
from tests.factories import CaseFactory, ProcedureVersionFactory

GRAPH = {
    "start": "wait",
    "steps": [
        {"kind": "wait", "key": "wait", "title": "Wait a day", "delay": {"days": 1}, "next": "done"},
        {"kind": "end", "key": "done", "title": "Done"},
    ],
}


def waiting_runs(n: int) -> list[Run]:
    version = ProcedureVersionFactory(graph=GRAPH, status="published")
    runs = []
    for _ in range(n):
        run = run_start(case=CaseFactory(), version=version, enqueue=False)
        runs.append(run_advance(run_id=run.id))
    return runs


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_fire_each_timer_once():
    runs = waiting_runs(20)
    assert {r.status for r in runs} == {"waiting"}
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    results: list[list[int]] = [[], []]
    barrier = threading.Barrier(2)

    def sweep(slot: int) -> None:
        try:
            barrier.wait()
            results[slot] = timers_sweep(now=later)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fired = results[0] + results[1]
    assert sorted(fired) == sorted(Timer.objects.values_list("id", flat=True))
    assert len(fired) == len(set(fired)) == 20
    assert Run.objects.filter(status="running").count() == 20


@pytest.mark.django_db
def test_a_timer_for_a_run_that_moved_on_is_ignored():
    (run,) = waiting_runs(1)
    Run.objects.filter(id=run.id).update(status="cancelled")
    fired = timers_sweep(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    assert len(fired) == 1
    assert Run.objects.get(id=run.id).status == "cancelled"
