"""Start and stop the processes a test needs, and wait for conditions with a deadline."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sopdesk.ports import free_block, free_port  # noqa: F401 - tests import them from here

ROOT = Path(__file__).resolve().parents[2]


def wait_for(
    condition: Callable[[], object], *, timeout: float = 30.0, interval: float = 0.05, what: str = ""
) -> object:
    """Poll `condition` until it returns something truthy, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(interval)


def start_manage(args: list[str], *, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """Run `manage.py <args>` in its own process group, output to `log_path`."""
    log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.log_file = log  # type: ignore[attr-defined]
    process.log_path = log_path  # type: ignore[attr-defined]
    return process


def stop(process: subprocess.Popen, *, timeout: float = 15.0) -> None:
    """Stop a process group started by `start_manage`: SIGTERM, then SIGKILL after `timeout`."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)
    process.log_file.close()  # type: ignore[attr-defined]
