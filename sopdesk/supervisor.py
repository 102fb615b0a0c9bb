"""Run the django-q2 cluster under supervision, with a recovery sweep that does not wait for it.

Why not plain `qcluster`: django-q2 runs its scheduler from the cluster's guard loop
every 30 s, and only once the cluster has lived that long, so a schedule cannot
recover orphaned steps promptly after a restart; and SIGKILL of qcluster's main
process leaves its sentinel and workers running headless. The supervisor:

- starts `manage.py qcluster` as a child in its own process group; when the child
  exits (or is killed) it kills what is left of that group and starts a new one;
- asks the kernel to SIGTERM the child if the supervisor itself dies (Linux);
- runs `cases.services.runs_recover` (and `cases.intake.events_requeue` for
  accepted webhooks whose processing task died) at start and every `interval`
  seconds, so a step orphaned by a killed worker is re-enqueued within the step
  lease plus one interval, whatever the cluster's age (tasks a dead cluster had locked in the ORM
  broker become claimable only after django-q2's `retry`; recovery enqueues a new
  task instead of waiting for them, and the engine makes the late duplicate a no-op).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
ROOT = Path(__file__).resolve().parent.parent


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError):  # not Linux: the process group kill still applies
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start_cluster() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "qcluster"],
        cwd=ROOT,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )


def kill_group(process: subprocess.Popen, *, grace: float) -> None:
    """SIGTERM the cluster's whole process group, SIGKILL after `grace` seconds: nothing headless is left."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        if sig == signal.SIGTERM:  # the main process is gone; its children may not be
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        return


def recovery_loop(stop: threading.Event, *, interval: float, sweep: Callable[[], list[int]]) -> None:
    """Sweep now and then every `interval` seconds until `stop` is set; a failing sweep is logged, never fatal."""
    from django.db import close_old_connections

    while True:
        try:
            recovered = sweep()
            if recovered:
                logger.warning("re-enqueued %d orphaned run(s): %s", len(recovered), recovered)
        except Exception:
            logger.exception("recovery sweep failed")
        finally:
            close_old_connections()
        if stop.wait(interval):
            return


def supervise(*, interval: float, grace: float, stop: threading.Event, max_restarts: int | None = None) -> int:
    """Keep one cluster running until `stop` is set; returns the number of restarts."""
    from cases.intake import events_requeue
    from cases.services import runs_recover

    def sweep() -> list[int]:
        events = events_requeue()
        if events:
            logger.warning("re-queued %d accepted event(s) a dead worker left unprocessed: %s", len(events), events)
        return runs_recover()

    sweeper = threading.Thread(
        target=recovery_loop, args=(stop,), kwargs={"interval": interval, "sweep": sweep}, daemon=True
    )
    sweeper.start()
    restarts = 0
    cluster = start_cluster()
    logger.info("task cluster started (pid %s)", cluster.pid)
    try:
        while not stop.wait(0.5):
            if cluster.poll() is None:
                continue
            logger.warning("task cluster exited with %s; restarting", cluster.returncode)
            kill_group(cluster, grace=0)
            if max_restarts is not None and restarts >= max_restarts:
                break
            restarts += 1
            cluster = start_cluster()
    finally:
        kill_group(cluster, grace=grace)
        stop.set()
        sweeper.join(timeout=interval + 5)
    return restarts
