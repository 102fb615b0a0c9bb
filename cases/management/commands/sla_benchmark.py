"""Measure one SLA sweep among many open cases: `manage.py sla_benchmark [--cases 100000] [--due 50]`.

Creates the open cases, one first-response clock each and its breach marker
(bulk_create), with `--due` of them past due; runs one `sla_sweep` under
CaptureQueriesContext; prints cases, due clocks, queries and sweep time. Runs
on whatever DATABASE_URL points at. The sweep runs as in production (each
claim commits on its own); the data is deleted afterwards. It refuses to run
where SLA fires are already due (the sweep would act on them).
"""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case
from cases.sla.models import BREACH_RULE, SlaClock, SlaFire, SlaPolicy
from cases.sla.sweep import sla_sweep

TARGET = dt.timedelta(hours=1)
BATCH = 5000


def build_dataset(*, cases: int, due: int, now: dt.datetime, batch_size: int = BATCH) -> SlaPolicy:
    """`cases` open cases with a running first-response clock; the first `due` are past due at `now`."""
    policy = SlaPolicy.objects.create(name=f"Benchmark {now.isoformat()}", first_response_target=TARGET)
    for start in range(0, cases, batch_size):
        count = min(batch_size, cases - start)
        opened = [now - 2 * TARGET if start + i < due else now - dt.timedelta(minutes=10) for i in range(count)]
        rows = Case.objects.bulk_create(
            [
                Case(
                    subject=f"Benchmark case {start + i}",
                    queue="support",
                    opened_at=opened[i],
                    facts={"tier": "enterprise"},
                )
                for i in range(count)
            ],
            batch_size=batch_size,
        )
        clocks = SlaClock.objects.bulk_create(
            [
                SlaClock(
                    case=case,
                    policy=policy,
                    kind="first_response",
                    target=TARGET,
                    started_at=case.opened_at,
                    resumed_at=case.opened_at,
                    due_at=case.opened_at + TARGET,
                )
                for case in rows
            ],
            batch_size=batch_size,
        )
        SlaFire.objects.bulk_create(
            [SlaFire(clock=c, rule_key=BREACH_RULE, at=TARGET, due_at=c.due_at) for c in clocks],
            batch_size=batch_size,
        )
    return policy


def remove_dataset(policy: SlaPolicy) -> None:
    """Delete what build_dataset made with set-based DELETEs (no per-row cascade or history in Python).

    Foreign keys are deferred until commit on PostgreSQL and SQLite, so the order inside the transaction is free.
    """
    fires, clocks, cases = SlaFire._meta.db_table, SlaClock._meta.db_table, Case._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {fires} WHERE clock_id IN (SELECT id FROM {clocks} WHERE policy_id = %s)", [policy.id]
        )
        cursor.execute(
            f"DELETE FROM {cases} WHERE id IN (SELECT case_id FROM {clocks} WHERE policy_id = %s)", [policy.id]
        )
        cursor.execute(f"DELETE FROM {clocks} WHERE policy_id = %s", [policy.id])
        cursor.execute(f"DELETE FROM {SlaPolicy._meta.db_table} WHERE id = %s", [policy.id])


class Command(BaseCommand):
    help = "Time one SLA sweep over many open cases with a few due clocks (the data is removed afterwards)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=100_000)
        parser.add_argument("--due", type=int, default=50)
        parser.add_argument("--explain", action="store_true", help="Print the plan of the sweep's due query.")

    def handle(self, *args, cases: int, due: int, explain: bool, **options):
        if due > cases:
            raise CommandError("--due cannot exceed --cases")
        now = timezone.now()
        if SlaFire.objects.filter(fired_at=None, cancelled_at=None, due_at__lte=now).exists():
            raise CommandError("SLA fires are already due in this database; run the benchmark on an empty one.")
        started = time.perf_counter()
        with transaction.atomic():
            policy = build_dataset(cases=cases, due=due, now=now)
        built = time.perf_counter() - started
        try:
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE cases_case, sla_slaclock, sla_slafire")
            if explain:
                query = SlaFire.objects.filter(fired_at=None, cancelled_at=None, due_at__lte=now).order_by("due_at")
                self.stdout.write(query[:500].explain())
            # As in production: no surrounding transaction, every claim and record commits on its own.
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                report = sla_sweep(now=now)
                elapsed = (time.perf_counter() - started) * 1000
        finally:
            remove_dataset(policy)
        self.stdout.write(f"database: {connection.vendor}; dataset built in {built:.1f} s, then removed")
        self.stdout.write("| open cases | due clocks | fired | queries | sweep ms |")
        self.stdout.write("|---:|---:|---:|---:|---:|")
        self.stdout.write(f"| {cases:,} | {due} | {len(report.fired)} | {len(queries)} | {elapsed:.1f} |")
