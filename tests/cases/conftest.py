"""Fixtures for the case tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def cluster(child_env, tmp_path):
    """Like the shared `qcluster`, but stopped with a short grace period.

    After SIGTERM every worker of a django-q2 cluster that ran connector tasks
    exits at once, yet the cluster's main process can stay blocked (a futex
    wait, seen in /proc/<pid>/stack) until the 15 s SIGKILL. Nothing is left
    to lose by then, so 3 s is enough.
    """
    from django_q.tasks import async_task, result

    from tests.support.processes import start_manage, stop, wait_for

    process = start_manage(["qcluster"], env=child_env, log_path=tmp_path / "qcluster.log")
    try:
        task_id = async_task("math.floor", 2.5)
        wait_for(lambda: result(task_id) == 2, timeout=60, what="the django-q2 cluster to run a task")
        yield process
    finally:
        stop(process, timeout=3)
