"""What the bench starts and stops: a throwaway database, the sandbox, gunicorn, the worker.

Everything listens on 127.0.0.1 on free ports, and everything started is
stopped (process groups, SIGTERM then SIGKILL) even when a figure fails.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings

from sopdesk.ports import free_port

ROOT = Path(settings.BASE_DIR)
BENCH_SECRET = "YmVuY2gtemVuZGVzay1zZWNyZXQtb25seS1mb3ItYmVuY2g="


def wait_for(condition: Callable[[], object], *, timeout: float, what: str, interval: float = 0.05) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


@contextmanager
def throwaway_database(database_url: str):
    """Yield (data_dir, database_url) for a fresh database, removed afterwards.

    SQLite: a temporary data directory. PostgreSQL: `sopdesk_bench_<pid>` on the
    configured server, created and dropped through the server's `postgres` database.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="sopdesk-bench-"))
    scheme = urlsplit(database_url).scheme if database_url else ""
    if not scheme.startswith("postgres"):
        try:
            yield data_dir, ""
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
        return
    import psycopg

    parts = urlsplit(database_url)
    name = f"sopdesk_bench_{os.getpid()}"
    admin_url = urlunsplit((parts.scheme.replace("postgresql", "postgres"), parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin_url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield data_dir, urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    finally:
        with psycopg.connect(admin_url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(data_dir, ignore_errors=True)


class Child:
    """A process in its own group, output to a log file in the bench's data directory."""

    def __init__(self, name: str, args: list[str], *, env: dict[str, str], log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=timeout)
            except ProcessLookupError:
                pass
        self._log.close()

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def gunicorn(*, env: dict[str, str], log_dir: Path, workers: int = 2):
    """gunicorn serving `sopdesk.bench.wsgi` on a free loopback port; yields its base URL."""
    port = free_port()
    child = Child(
        "gunicorn",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "sopdesk.bench.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=env,
        log_dir=log_dir,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url) or not child.alive(), timeout=60, what="gunicorn to answer")
        if not child.alive():
            raise RuntimeError(f"gunicorn exited:\n{child.tail()}")
        yield url
    finally:
        child.stop()


def _answers(url: str) -> bool:
    try:
        requests.get(url + "/accounts/login/", timeout=2)
        return True
    except requests.RequestException:
        return False


def tree_cpu_seconds(root_pid: int) -> float:
    """User + system CPU seconds of a process and every live descendant (Linux /proc; 0.0 elsewhere).

    Under a shared machine's load, wall-clock rates say as much about the neighbours as about
    sopdesk; the CPU a figure cost does not.
    """
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        cpu[pid] = (int(fields[11]) + int(fields[12])) / ticks
    tree, frontier = {root_pid}, [root_pid]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier += children
    return sum(cpu.get(pid, 0.0) for pid in tree)


@contextmanager
def worker(*, env: dict[str, str], log_dir: Path):
    """`manage.py worker` (the supervised django-q2 cluster) with the bench's environment."""
    from django_q.tasks import async_task, result

    child = Child("worker", [sys.executable, str(ROOT / "manage.py"), "worker"], env=env, log_dir=log_dir)
    try:
        task_id = async_task("math.floor", 2.5)
        wait_for(
            lambda: result(task_id) == 2 or not child.alive(), timeout=90, what="the worker to run a task", interval=0.2
        )
        if not child.alive():
            raise RuntimeError(f"the worker exited:\n{child.tail()}")
        yield child
    finally:
        child.stop(timeout=15)
