"""`manage.py worker`: a supervised task cluster that recovers orphaned runs at once and leaves nothing headless."""

from __future__ import annotations

import datetime as dt
import os
import signal
from pathlib import Path

import pytest
from django.utils import timezone
from django_q.models import OrmQ
from django_q.tasks import async_task, result

from cases.models import Run
from cases.services import run_start
from tests.factories import CaseFactory, ProcedureFactory, ProcedureVersionFactory
from tests.support.processes import start_manage, stop, wait_for

END_ONLY = {"start": "done", "steps": [{"kind": "end", "key": "done", "title": "Done"}]}


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _task_runs() -> bool:
    task_id = async_task("math.floor", 2.5)
    return wait_for(lambda: result(task_id) == 2, timeout=60, what="the cluster to run a task")


def _orphaned_run() -> Run:
    """A run whose advance task was lost with a dead cluster: active, nothing queued, last touched long ago."""
    procedure = ProcedureFactory()
    version = ProcedureVersionFactory(procedure=procedure, graph=END_ONLY, status="published")
    run = run_start(case=CaseFactory(), version=version, enqueue=False)
    Run.objects.filter(id=run.id).update(updated_at=timezone.now() - dt.timedelta(minutes=5))
    OrmQ.objects.all().delete()
    return run


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_worker_recovers_an_orphaned_run_at_start_and_replaces_a_killed_cluster(child_env, tmp_path):
    run = _orphaned_run()
    env = {**child_env, "SOPDESK_STEP_LEASE_SECONDS": "2"}
    worker = start_manage(["worker", "--recovery-interval", "1", "--grace", "3"], env=env, log_path=tmp_path / "w.log")
    try:
        wait_for(
            lambda: Run.objects.get(id=run.id).status == "completed",
            timeout=60,
            what="the orphaned run to be recovered and completed",
        )
        [cluster] = wait_for(lambda: _children(worker.pid), timeout=30, what="the task cluster to start")
        _task_runs()
        os.kill(cluster, signal.SIGKILL)  # the cluster's main process dies without a chance to stop its workers
        wait_for(lambda: not _group_alive(cluster), timeout=15, what="no headless process of the killed cluster")
        wait_for(lambda: _children(worker.pid) and _children(worker.pid) != [cluster], timeout=30, what="a new cluster")
        _task_runs()
    finally:
        stop(worker, timeout=10)
    assert not any(_group_alive(pid) for pid in _children(worker.pid))
