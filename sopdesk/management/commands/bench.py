"""`manage.py bench`: issue 16's figures, each with its baseline measured in the same run.

The command makes a throwaway database of the configured kind (a temporary
SQLite data directory, or `sopdesk_bench_<pid>` on the configured PostgreSQL
server), starts the sandbox emulators, and runs itself again against that
database; the inner run starts gunicorn and the worker as each figure needs
them and stops them. Progress goes to stderr, one table and the summary line to stdout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

FIGURES = ("engine", "replay", "ingest", "burst", "inbox")
INNER = "SOPDESK_BENCH_INNER"


class Command(BaseCommand):
    help = "Measure engine, replay, ingest, live burst and inbox against same-run baselines; print one table."

    def add_arguments(self, parser):
        parser.add_argument("--size", type=int, help="Tickets for replay and the live burst (default 300; quick 20).")
        parser.add_argument(
            "--duration", type=float, help="Seconds of load per ingest measurement (default 8; quick 1)."
        )
        parser.add_argument("--only", action="append", choices=FIGURES, help="Measure only these figures (repeatable).")
        parser.add_argument(
            "--quick", action="store_true", help="Small sizes, for CI: proves it runs, says nothing of speed."
        )
        parser.add_argument("--concurrency", type=int, default=8, help="Concurrent senders for ingest and burst.")
        parser.add_argument(
            "--coverage-sample",
            type=int,
            default=200,
            help="Tickets also run as a persistent dry run to compare coverage with replay (default 200; 0 = all).",
        )

    def handle(self, *args, size, duration, only, quick, concurrency, coverage_sample, **options):
        size = size or (20 if quick else 300)
        duration = duration or (1.0 if quick else 8.0)
        only = tuple(only or FIGURES)
        sample = coverage_sample if coverage_sample > 0 else size
        if os.environ.get(INNER):
            self._inner(size=size, duration=duration, only=only, quick=quick, concurrency=concurrency, sample=sample)
        else:
            self._outer(size=size, duration=duration, only=only, quick=quick, concurrency=concurrency, sample=sample)

    # --- outer: the throwaway database and the sandbox --------------------------------------

    def _outer(self, *, size, duration, only, quick, concurrency, sample):
        from connectors.sandbox import runner
        from sopdesk.bench import processes

        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        database_url = os.environ.get("DATABASE_URL", "")
        with processes.throwaway_database(database_url) as (data_dir, bench_url):
            self.stderr.write(f"bench: throwaway database {bench_url or data_dir / 'sopdesk.sqlite3'}")
            sandbox = runner.start(port=0)
            try:
                env = {
                    **os.environ,
                    INNER: "1",
                    "SOPDESK_DATA_DIR": str(data_dir),
                    "SOPDESK_SANDBOX_URL": sandbox.base_url,
                    "ZENDESK_WEBHOOK_SECRET": processes.BENCH_SECRET,
                    "SOPDESK_SECRET_KEY": "bench-secret-key-" + "x" * 40,
                    "SOPDESK_LOG_LEVEL": "WARNING",
                    "SOPDESK_RETRY_BASE_DELAY": "0",
                }
                env.pop("DATABASE_URL", None)
                if bench_url:
                    env["DATABASE_URL"] = bench_url
                subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, cwd=settings.BASE_DIR)
                args = ["--size", str(size), "--duration", str(duration), "--concurrency", str(concurrency)]
                args += ["--coverage-sample", str(sample)]
                args += [a for name in only for a in ("--only", name)] + (["--quick"] if quick else [])
                status = subprocess.run([*manage, "bench", *args], env=env, cwd=settings.BASE_DIR).returncode
            finally:
                sandbox.stop()
        if status:
            raise CommandError(f"bench failed (exit {status})")

    # --- inner: the figures ----------------------------------------------------------------

    def _inner(self, *, size, duration, only, quick, concurrency, sample):
        from django.db import connection

        from cases.replay import tickets_generate, tickets_load
        from procedures.models import Procedure
        from sopdesk.bench import figures, processes
        from sopdesk.demo import demo_load

        def progress(message: str) -> None:
            self.stderr.write(f"bench [{time.strftime('%H:%M:%S')}] {message}")

        demo_load()
        version = Procedure.objects.get(slug="product-bug-escalation").published_version
        data_dir = Path(settings.DATA_DIR)
        env = {k: v for k, v in os.environ.items()}
        totals = figures.Totals()
        rows: list[figures.Row] = []
        if "engine" in only:
            progress("engine per step against the floor transaction")
            path = data_dir / "engine-tickets.json"
            path.write_text(__import__("json").dumps(tickets_generate(count=min(size, 150), seed=11)))
            rows += figures.engine_figures(
                version=version, tickets=tickets_load(path), rounds=3, floor_n=30 if quick else 300, totals=totals
            )
        if "replay" in only:
            progress(f"replay of {size} tickets against a persistent dry run")
            rows += figures.replay_figures(version=version, count=size, work_dir=data_dir, totals=totals, sample=sample)
        if "inbox" in only:
            progress("inbox render time")
            rows += figures.inbox_figures(
                version=version, small=10, large=300 if quick else 10_000, repeats=3 if quick else 5
            )
        if "ingest" in only or "burst" in only:
            connection.close()  # the children share the database; nothing held open here
            progress("starting gunicorn (2 workers)")
            with processes.gunicorn(env=env, log_dir=data_dir) as url:
                if "ingest" in only:
                    progress(f"webhook ingest and the one-INSERT view, {duration:.0f} s each")
                    rows += figures.ingest_figures(
                        base_url=url, duration=duration, concurrency=concurrency, totals=totals
                    )
                    figures.ingest_leftovers_clear()
                if "burst" in only:
                    progress(f"starting the worker; one at a time, then a live burst of {size}")
                    with processes.worker(env=env, log_dir=data_dir) as worker:
                        rows += figures.burst_figures(
                            base_url=url,
                            size=size,
                            singles=3 if quick else 5,
                            concurrency=concurrency,
                            timeout=60 if quick else max(120, size),
                            worker_pid=worker.process.pid,
                        )
        vendor = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
        self.stdout.write(_table(rows, vendor))
        self.stdout.write(_summary(totals))


def _table(rows, vendor: str) -> str:
    header = ("figure", vendor, "baseline in the same run", "ratio")
    cells = [header] + [(r.figure, r.value, r.baseline, r.ratio) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(4)]
    lines = ["| " + " | ".join(c[i].ljust(widths[i]) for i in range(4)) + " |" for c in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _summary(totals) -> str:
    def fmt(value, pattern):
        return pattern.format(value) if value is not None else "-"

    return (
        f"bench: engine {fmt(totals.engine_ratio, '{:.1f}')}× floor, "
        f"replay {fmt(totals.replay_rate, '{:,.0f}')}/s, "
        f"ingest {fmt(totals.ingest_ratio, '{:.2f}')}× baseline"
    )
