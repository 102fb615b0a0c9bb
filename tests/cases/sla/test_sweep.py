"""The sweep: cost proportional to due fires, exactly once under concurrency, retries, paused clocks."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from cases.management.commands.sla_benchmark import build_dataset
from cases.models import Case
from cases.sla.models import EscalationRule, SlaClock, SlaContact, SlaFire
from cases.sla.sweep import sla_sweep
from tests.cases.sla.conftest import at

NOW = at(18, 12)
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK")


def statements(queries) -> list[str]:
    """The SQL statements, without transaction control (savepoints inside the test's transaction)."""
    return [q["sql"] for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)]


@pytest.mark.parametrize("open_cases", [200, 2000])
def test_sweep_touches_only_due_fires_with_a_fixed_number_of_queries(db, open_cases):
    build_dataset(cases=open_cases, due=50, now=NOW)
    with CaptureQueriesContext(connection) as queries:
        report = sla_sweep(now=NOW)
    assert report.selected == len(report.fired) == 50
    # release abandoned claims, select due, a claim per fire, record the markers, mark the clocks breached
    assert len(statements(queries)) == 1 + 1 + 50 + 2
    assert SlaFire.objects.filter(fired_at__isnull=False).count() == 50
    assert SlaClock.objects.filter(breached_at__isnull=False).count() == 50
    assert SlaClock.objects.filter(breached_at__isnull=True).count() == open_cases - 50


def test_a_second_sweep_finds_nothing_in_one_query(db):
    build_dataset(cases=100, due=5, now=NOW)
    sla_sweep(now=NOW)
    with CaptureQueriesContext(connection) as queries:
        report = sla_sweep(now=NOW + dt.timedelta(minutes=1))
    assert (report.selected, len(statements(queries))) == (0, 2)


def test_the_due_query_uses_the_partial_index(db):
    plan = SlaFire.objects.filter(fired_at=None, cancelled_at=None, due_at__lte=NOW).order_by("due_at")[:500].explain()
    assert "sla_fire_pending_due_idx" in plan


def test_the_benchmark_command_prints_its_table(db, capsys):
    call_command("sla_benchmark", cases=300, due=7)
    out = capsys.readouterr().out
    assert "| 300 | 7 | 7 |" in out
    assert SlaFire.objects.count() == 0  # removed afterwards
    assert not Case.objects.exists()


def _notify_policy_dataset(cases: int, due: int):
    policy = build_dataset(cases=cases, due=due, now=NOW)
    rule = EscalationRule.objects.create(
        policy=policy,
        key="warn",
        clock="first_response",
        anchor="due",
        offset=dt.timedelta(minutes=-15),
        action="notify",
        roles=["team_lead"],
    )
    SlaContact.objects.create(role="team_lead", email="lead@sopdesk.example")
    SlaFire.objects.bulk_create(
        [
            SlaFire(
                clock=c,
                rule=rule,
                rule_key="warn",
                at=dt.timedelta(minutes=45),
                due_at=c.due_at - dt.timedelta(minutes=15),
            )
            for c in SlaClock.objects.all()
        ]
    )


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_fire_each_warning_and_breach_exactly_once():
    _notify_policy_dataset(cases=60, due=20)
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            reports.append(sla_sweep(now=NOW))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    first, second = (set(r.fired) for r in reports)
    assert first.isdisjoint(second)
    assert len(first | second) == 40  # 20 warnings + 20 breach markers
    assert SlaFire.objects.filter(fired_at=NOW).count() == 40
    assert len(mail.outbox) == 20
    assert sorted(m.extra_headers["Message-ID"] for m in mail.outbox) == sorted(
        f["result__message_id"]
        for f in SlaFire.objects.filter(rule_key="warn", fired_at=NOW).values("result__message_id")
    )


def test_a_retryable_failure_gives_the_fire_back_and_the_retry_sends_once(db, settings):
    _notify_policy_dataset(cases=1, due=1)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: connection refused
    settings.CONNECTOR_RETRY = {"attempts": 1, "base_delay": 0.0, "max_delay": 0.0}
    report = sla_sweep(now=NOW)
    warn = SlaFire.objects.get(rule_key="warn")
    assert report.retrying == [warn.id]
    assert (warn.fired_at, warn.attempts, warn.due_at) == (None, 1, NOW + dt.timedelta(minutes=1))
    assert "unreachable" in warn.error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert sla_sweep(now=NOW + dt.timedelta(seconds=30)).fired == []  # not due again yet
    report = sla_sweep(now=NOW + dt.timedelta(minutes=1))
    warn.refresh_from_db()
    assert report.fired == [warn.id]
    assert (warn.attempts, warn.error, len(mail.outbox)) == (2, "", 1)


def test_a_permanent_failure_is_recorded_once_and_not_retried(db):
    _notify_policy_dataset(cases=1, due=1)
    SlaContact.objects.all().delete()
    report = sla_sweep(now=NOW)
    warn = SlaFire.objects.get(rule_key="warn")
    assert report.failed == [warn.id]
    assert "no address for team_lead" in warn.error
    assert warn.fired_at == NOW
    assert sla_sweep(now=NOW + dt.timedelta(hours=1)).selected == 0


def test_a_claim_left_by_a_killed_worker_is_performed_after_the_lease_under_the_same_key(db):
    _notify_policy_dataset(cases=1, due=1)
    warn = SlaFire.objects.get(rule_key="warn")
    SlaFire.objects.filter(id=warn.id).update(fired_at=NOW, attempts=1)  # claimed, then the worker died
    assert sla_sweep(now=NOW + dt.timedelta(minutes=9)).selected == 1  # only the breach marker
    assert mail.outbox == []
    report = sla_sweep(now=NOW + dt.timedelta(minutes=10))
    warn.refresh_from_db()
    assert (report.released, report.fired) == (1, [warn.id])
    assert (warn.attempts, warn.result["to"], len(mail.outbox)) == (2, ["lead@sopdesk.example"], 1)
    assert mail.outbox[0].extra_headers["Message-ID"] == warn.result["message_id"]
