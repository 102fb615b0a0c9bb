"""The processes chaos runs against, on a throwaway database, all on 127.0.0.1 with free ports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from connectors.config import OFFSETS
from sopdesk.ports import free_block, free_port

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = "Y2hhb3Mtd2ViaG9vay1zZWNyZXQ="
API_TOKEN = "chaos-api-token"
JIRA_SECRET = "chaos-jira-secret"


def wait_until(condition, *, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except OSError:
        return []


def descendants(pid: int) -> list[int]:
    found, todo = [], children(pid)
    while todo:
        child = todo.pop()
        found.append(child)
        todo += children(child)
    return found


@dataclass
class Stack:
    """A database, sandbox, web server and supervised cluster; `env` is what a child needs to share them."""

    database_url: str = ""
    lease_seconds: int = 10
    recovery_interval: float = 2.0
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="sopdesk-chaos-")))
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    sandbox_port: int = field(default_factory=lambda: free_block(len(OFFSETS)))
    web_port: int = field(default_factory=free_port)

    @property
    def env(self) -> dict[str, str]:
        env = {
            "SOPDESK_DATA_DIR": str(self.workdir / "data"),
            "SOPDESK_SECRET_KEY": "chaos-secret-key-" + "x" * 40,
            "SOPDESK_SANDBOX_URL": f"http://127.0.0.1:{self.sandbox_port}",
            "SOPDESK_SITE_URL": self.site_url,
            "ZENDESK_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "JIRA_WEBHOOK_SECRET": JIRA_SECRET,
            "SOPDESK_API_EVENTS_TOKEN": API_TOKEN,
            "SOPDESK_STEP_LEASE_SECONDS": str(self.lease_seconds),
            "SOPDESK_RECOVERY_INTERVAL": str(self.recovery_interval),
            "SOPDESK_RETRY_BASE_DELAY": "0.05",
            "SOPDESK_RETRY_MAX_DELAY": "0.2",
            "SOPDESK_WEBHOOK_RATE": "100000/m",
        }
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        return env

    @property
    def site_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def manage(self, *args: str, log: str | None = None, wait: bool = True) -> subprocess.Popen:
        out = open(self.workdir / f"{log or args[0]}.log", "ab")  # noqa: SIM115 - closed when the process ends
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if wait and process.wait(timeout=600) != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed; see {out.name}")
        return process

    def start(self) -> None:
        (self.workdir / "data").mkdir(exist_ok=True)
        self.manage("demo", "--no-serve", log="setup")
        self.processes["sandbox"] = self.manage("sandbox", "--port", str(self.sandbox_port), wait=False)
        wait_until(self._sandbox_up, timeout=60, what="the sandbox emulators")
        out = open(self.workdir / "web.log", "ab")  # noqa: SIM115
        self.processes["web"] = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "sopdesk.wsgi", "-w", "2", "-b", f"127.0.0.1:{self.web_port}",
             "--graceful-timeout", "5", "--timeout", "60"],
            cwd=ROOT, env={**os.environ, **self.env}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        wait_until(self._web_up, timeout=60, what="the web server")
        self.processes["worker"] = self.manage(
            "worker", "--recovery-interval", str(self.recovery_interval), "--grace", "5", wait=False
        )
        wait_until(lambda: self.cluster_pid(), timeout=60, what="the task cluster")

    def _sandbox_up(self) -> bool:
        try:
            return requests.get(f"{self.env['SOPDESK_SANDBOX_URL']}/_sandbox/state", timeout=2).ok
        except requests.RequestException:
            return False

    def _web_up(self) -> bool:
        try:
            return requests.get(f"{self.site_url}/accounts/login/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def cluster_pid(self) -> int | None:
        worker = self.processes.get("worker")
        found = children(worker.pid) if worker else []
        return found[0] if found else None

    def stop(self) -> None:
        for name in ("worker", "web", "sandbox"):
            process = self.processes.pop(name, None)
            if process is None or process.poll() is not None:
                continue
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def postgres_create(server_url: str) -> str:
    """A throwaway database on the PostgreSQL server of `server_url`; its URL."""
    import psycopg

    name = f"sopdesk_chaos_{os.getpid()}"
    base = server_url.rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def postgres_drop(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
