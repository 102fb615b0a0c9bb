"""`manage.py chaos [--quick]`: duplicates, faults, SIGKILLs and hostile bodies against a real local stack.

Runs on a throwaway database of the configured kind (a temporary SQLite data dir, or a
`sopdesk_chaos_<pid>` database on the configured PostgreSQL server, dropped afterwards),
with its own sandbox, gunicorn and supervised task cluster on free loopback ports.
Bounded in time; the last line reads `chaos: lost N, duplicated N, 5xx N, half-stored N, recovery S s`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

PROFILES = {
    "quick": {"duplicates": 4, "faults": 6, "kill_tickets": 6, "kills": 2, "timeout": 60},
    "full": {"duplicates": 20, "faults": 30, "kill_tickets": 30, "kills": 10, "timeout": 90},
}


class Command(BaseCommand):
    help = "Break a local sopdesk on purpose and count what was lost, duplicated, answered 5xx or half-stored."

    def add_arguments(self, parser):
        parser.add_argument("--quick", action="store_true", help="A short run (about a minute), as CI runs it.")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--lease", type=int, default=10, help="Step lease in seconds (default 10).")
        parser.add_argument("--inner", action="store_true", help=argparse_hidden())

    def handle(self, *args, quick, seed, lease, inner, **options):
        profile = PROFILES["quick" if quick else "full"]
        if inner:
            self._inner(profile=profile, seed=seed, lease=lease)
            return
        self._outer(quick=quick, seed=seed, lease=lease)

    def _outer(self, *, quick: bool, seed: int, lease: int) -> None:
        """Choose the throwaway database, run the scenarios in a process that uses it, clean up."""
        from sopdesk.chaos.stack import postgres_create, postgres_drop

        workdir = Path(tempfile.mkdtemp(prefix="sopdesk-chaos-"))
        database = settings.DATABASES["default"]
        url = ""
        if database["ENGINE"].endswith("postgresql"):
            user, host = database.get("USER") or "postgres", database.get("HOST") or "127.0.0.1"
            password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
            url = postgres_create(f"postgres://{user}{password}@{host}:{database.get('PORT') or 5432}/x")
        env = {**os.environ, "SOPDESK_DATA_DIR": str(workdir / "data"), "SOPDESK_CHAOS_WORKDIR": str(workdir)}
        env.pop("DATABASE_URL", None)
        if url:
            env["DATABASE_URL"] = url
        argv = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "chaos", "--inner", "--seed", str(seed)]
        argv += ["--lease", str(lease)] + (["--quick"] if quick else [])
        try:
            status = subprocess.call(argv, env=env, cwd=settings.BASE_DIR)
        finally:
            if url:
                postgres_drop(url)
            shutil.rmtree(workdir, ignore_errors=True)
        if status:
            raise CommandError(f"chaos run failed (exit {status})")

    def _inner(self, *, profile: dict, seed: int, lease: int) -> None:
        from sopdesk.chaos import scenarios
        from sopdesk.chaos.report import render
        from sopdesk.chaos.stack import Stack

        workdir = Path(os.environ["SOPDESK_CHAOS_WORKDIR"])
        stack = Stack(database_url=os.environ.get("DATABASE_URL", ""), lease_seconds=lease, workdir=workdir)
        started = time.monotonic()
        self.stderr.write("chaos: starting sandbox, gunicorn and the supervised task cluster ...")
        rows = []
        try:
            stack.start()
            timeout = profile["timeout"]
            plan = [
                ("duplicates", lambda: scenarios.duplicates(stack, count=profile["duplicates"], timeout=timeout)),
                ("faults", lambda: scenarios.injected_faults(stack, count=profile["faults"], timeout=timeout, seed=seed)),
                ("kills", lambda: scenarios.kills(
                    stack, count=profile["kill_tickets"], kills=profile["kills"], timeout=timeout + lease, seed=seed)),
                ("hostile", lambda: scenarios.hostile(stack)),
            ]  # fmt: skip
            for index, (name, scenario) in enumerate(plan, 1):
                self.stderr.write(f"chaos: [{index}/{len(plan)}] {name} ({time.monotonic() - started:.0f} s)")
                rows.append(scenario())
            time.sleep(1)  # let the last deliveries reach a terminal state
            half, failed = scenarios.half_stored()
        finally:
            stack.stop()
        vendor = "PostgreSQL" if stack.database_url else "SQLite"
        self.stdout.write(render(rows, half_stored=half, failed=failed, database=vendor))
        self.stderr.write(f"chaos: done in {time.monotonic() - started:.0f} s")


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS
