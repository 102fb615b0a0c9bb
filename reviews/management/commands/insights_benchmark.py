"""Mine N generated cases on the configured database and print time and peak memory: `manage.py insights_benchmark`.

Generates the cases first (not timed) unless the database already holds that
many mined-or-minable cases, then measures (1) a full pass that extracts every
case afresh, rebuilds the running counts and analyses the window — what the
first pass over never-mined cases costs, (2) an incremental pass with nothing
new, (3) one after 1% new cases (generated, not timed), and (4) the analysis
alone over the 30-day window and over its newest tenth. Run it at 10,000 and
at 100,000 cases to see that memory does not grow with the number of cases.

Each pass runs twice: once timed (wall clock — what a user waits for — and
CPU time of this process and its worker processes), once under tracemalloc for
its peak Python memory (the largest of this process's and each worker's).
tracemalloc slows allocation-heavy Python several times over, so it never
runs during the timed run. The full pass spreads extraction over
SOPDESK_INSIGHTS_WORKERS processes ("2 proc." in the table).
"""

from __future__ import annotations

import os
import resource
import time
import tracemalloc

from django.core.management.base import BaseCommand
from django.db import connection

from cases import clock
from cases.models import Run
from reviews.insights.conf import mining_conf
from reviews.insights.counts import window_start
from reviews.insights.history import billing_procedure_ensure, history_generate
from reviews.insights.mining import insights_refresh, mining_pass
from reviews.models import MinedCase


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (a full pass's worker processes)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _extracted(report) -> str:
    workers = f" ({report.workers} proc.)" if report.workers > 1 else ""
    return f"{report.extracted:,} cases{workers}"


def _measure(label: str, fn, rows: list, *, count=None, prepare=None):
    """Run `fn` timed, then again under tracemalloc; add (label, count, wall, CPU, peak memory) to `rows`.

    `prepare` runs (untimed) before each of the two runs; `count(result)` says how many cases the pass read.
    """
    if prepare:
        prepare()
    started, cpu = time.perf_counter(), _cpu()
    result = fn()
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    if prepare:
        prepare()
    tracemalloc.start()
    traced = fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak = max(peak, getattr(traced, "worker_peak_bytes", 0))  # a full pass's worker processes, if it had any
    cases = count(result) if count else ""
    rows.append((label, cases, f"{seconds:.2f} s", f"{cpu:.2f} s", f"{peak / 1_000_000:.1f} MB"))
    return result


class Command(BaseCommand):
    help = (
        "Benchmark mining: generate N cases (default 100,000), then run each pass twice: timed (wall and CPU), "
        "and under tracemalloc for its peak memory (tracemalloc slows Python down, so it is never timed). "
        "The full pass extracts every case afresh: what the first pass over never-mined cases costs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=100_000)
        parser.add_argument("--days", type=int, default=30)

    def handle(self, *args, cases, days, **options):
        procedure = billing_procedure_ensure()
        runs = Run.objects.filter(version__procedure=procedure, mode=Run.Mode.LIVE).count()
        if runs < cases:
            started = time.perf_counter()
            history_generate(cases=cases - runs, days=days, procedure=procedure, seed=runs + 1)
            self.stdout.write(f"generated {cases - runs} cases in {time.perf_counter() - started:.1f} s (not timed)")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # fresh bulk inserts: give the planner statistics, as autovacuum would
                cursor.execute("ANALYZE")
        conf = mining_conf()
        rows: list[tuple] = []
        load = os.getloadavg()[0]
        _measure("full pass: extract + analyse", lambda: mining_pass(full=True), rows, count=_extracted)
        _measure("incremental pass, nothing new", mining_pass, rows, count=_extracted)
        fresh = max(1, cases // 100)
        seeds = iter(range(cases + runs + 7, cases + runs + 9))
        _measure(
            f"incremental pass, {fresh:,} new", mining_pass, rows, count=_extracted,
            prepare=lambda: history_generate(cases=fresh, days=1, procedure=procedure, seed=next(seeds)),
        )  # fmt: skip
        since = window_start(now=clock.now(), days=conf.window_days)
        window = MinedCase.objects.filter(procedure=procedure, opened_at__gte=since).count()
        _measure(f"analysis only, {conf.window_days}-day window",
                 lambda: insights_refresh(procedure=procedure, since=since, conf=conf), rows,
                 count=lambda _: f"{window:,} cases")  # fmt: skip
        newest = MinedCase.objects.filter(procedure=procedure).order_by("-opened_at")
        cutoff = newest.values_list("opened_at", flat=True)[max(0, window // 10 - 1)] if window >= 10 else since
        tenth = MinedCase.objects.filter(procedure=procedure, opened_at__gte=cutoff).count()
        _measure("analysis only, newest tenth", lambda: insights_refresh(procedure=procedure, since=cutoff, conf=conf),
                 rows, count=lambda _: f"{tenth:,} cases")  # fmt: skip
        insights_refresh(procedure=procedure, since=since, conf=conf)  # leave the full window's insights
        self.stdout.write(
            f"database {connection.vendor}; load average {load:.1f} → {os.getloadavg()[0]:.1f} on "
            f"{os.cpu_count()} cores; time and CPU from a run without tracemalloc, peak memory (Python's, tracemalloc) "
            "from a second run (CPU: this process and its workers, so SQLite's work but not PostgreSQL's server)"
        )
        self.stdout.write(f"{'pass':<32}{'cases':>24}{'time':>11}{'CPU':>10}{'peak memory':>14}")
        for label, count, secs, cpu, mem in rows:
            self.stdout.write(f"{label:<32}{count:>24}{secs:>11}{cpu:>10}{mem:>14}")
