"""Mine N generated cases on the configured database and print time and peak memory: `manage.py insights_benchmark`.

Generates the cases first (not timed) unless the database already holds that
many mined-or-minable cases, then times (1) a full pass that extracts every
case and analyses the window, (2) an incremental pass with nothing new, and
(3) the analysis alone at 1/10 of the cases, to show memory does not grow
with the number of cases. Peak memory is Python's (tracemalloc), per pass.
"""

from __future__ import annotations

import datetime as dt
import time
import tracemalloc

from django.core.management.base import BaseCommand
from django.db import connection

from cases import clock
from cases.models import Run
from reviews.insights.conf import mining_conf
from reviews.insights.history import billing_procedure_ensure, history_generate
from reviews.insights.mining import insights_refresh, mining_pass
from reviews.models import MinedCase


def _measure(fn):
    tracemalloc.start()
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, seconds, peak / 1_000_000


class Command(BaseCommand):
    help = "Benchmark mining: generate N cases (default 100,000), then time and measure the passes."

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
        rows = [("database", connection.vendor, "", "")]
        report, seconds, peak = _measure(lambda: mining_pass(full=True))
        rows.append(("full pass: extract + analyse", f"{report.extracted:,} cases", f"{seconds:.2f} s", f"{peak:.1f} MB"))
        report, seconds, peak = _measure(lambda: mining_pass())
        rows.append(("incremental pass, nothing new", f"{report.extracted:,} cases", f"{seconds:.2f} s", f"{peak:.1f} MB"))
        since_all = clock.now() - dt.timedelta(days=conf.window_days)
        window = MinedCase.objects.filter(procedure=procedure, opened_at__gte=since_all).count()
        _, seconds, peak = _measure(lambda: insights_refresh(procedure=procedure, since=since_all, conf=conf))
        rows.append(("analysis only, 30-day window", f"{window:,} cases", f"{seconds:.2f} s", f"{peak:.1f} MB"))
        newest = MinedCase.objects.filter(procedure=procedure).order_by("-opened_at").values_list("opened_at", flat=True)
        cutoff = newest[max(0, window // 10 - 1)] if window >= 10 else since_all
        tenth = MinedCase.objects.filter(procedure=procedure, opened_at__gte=cutoff).count()
        _, seconds, peak = _measure(lambda: insights_refresh(procedure=procedure, since=cutoff, conf=conf))
        rows.append(("analysis only, newest tenth", f"{tenth:,} cases", f"{seconds:.2f} s", f"{peak:.1f} MB"))
        insights_refresh(procedure=procedure, since=since_all, conf=conf)  # leave the full window's insights
        self.stdout.write(f"{'pass':<32}{'cases':>16}{'time':>12}{'peak memory':>14}")
        for label, count, secs, mem in rows:
            self.stdout.write(f"{label:<32}{count:>16}{secs:>12}{mem:>14}")
