"""Shared fixtures: personas, a real django-q2 cluster, and the test database's URL."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from procedures.roles import OPS_MANAGERS, REVIEWERS
from tests.factories import UserFactory
from tests.support.processes import free_port, start_manage, stop, wait_for

pytest_plugins = ["tests.support.sandbox", "tests.support.openai_stub", "tests.support.browser"]


@pytest.fixture
def ops_manager(db):
    user = UserFactory(username="olivia")
    user.groups.add(Group.objects.get(name=OPS_MANAGERS))
    return user


@pytest.fixture
def reviewer(db):
    user = UserFactory(username="rafael")
    user.groups.add(Group.objects.get(name=REVIEWERS))
    return user


@pytest.fixture
def outsider(db):
    return UserFactory(username="oscar")


def database_url() -> str:
    """The URL of the database this test session uses, for processes the tests start."""
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    user = settings.get("USER") or "postgres"
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


@pytest.fixture
def child_env(transactional_db, tmp_path, request) -> dict[str, str]:
    """Environment for a process that must share this test's database (and its sandbox, if the test uses one)."""
    from django.conf import settings

    env = {
        "DATABASE_URL": database_url(),
        "SOPDESK_DATA_DIR": str(tmp_path / "data"),
        "SOPDESK_SECRET_KEY": settings.SECRET_KEY,
    }
    if "sandbox" in request.fixturenames:
        env.update(request.getfixturevalue("sandbox").env())
    return env


@pytest.fixture
def qcluster(child_env, tmp_path):
    """A real django-q2 cluster (`manage.py qcluster`) on the test database, stopped after the test.

    After SIGTERM the workers exit at once, yet a cluster that ran connector
    tasks can leave its main process blocked until SIGKILL; nothing is left to
    lose by then, so a 3 s grace period is enough.
    """
    from django_q.tasks import async_task, result

    process = start_manage(["qcluster"], env=child_env, log_path=tmp_path / "qcluster.log")
    try:
        task_id = async_task("math.floor", 2.5)
        wait_for(lambda: result(task_id) == 2, timeout=60, what="the django-q2 cluster to run a task")
        yield process
    finally:
        stop(process, timeout=3)


@pytest.fixture
def http_port() -> int:
    return free_port()
