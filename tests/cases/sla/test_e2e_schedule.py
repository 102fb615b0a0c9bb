"""The SLA sweep as it runs in production: the django-q2 schedule in a real cluster, mail to the SMTP sink."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.utils import timezone

from cases.sla.models import EscalationRule, SlaClock, SlaContact, SlaFire, SlaPolicy
from tests.factories import CaseFactory
from tests.support.processes import start_manage, stop, wait_for

pytestmark = pytest.mark.e2e


def test_the_scheduled_sweep_fires_a_due_warning_once_in_a_django_q2_cluster(child_env, sandbox, tmp_path):
    from importlib import import_module

    import_module("cases.sla.migrations.0002_sweep_schedule").add_schedule(apps, None)  # flushed by transactional tests
    policy = SlaPolicy.objects.create(name="Fast", first_response_target=dt.timedelta(hours=1))
    EscalationRule.objects.create(
        policy=policy,
        key="warn",
        clock="first_response",
        offset=dt.timedelta(minutes=-15),
        action="notify",
        roles=["team_lead"],
    )
    SlaContact.objects.create(role="team_lead", email="lead@sopdesk.example")
    now = timezone.now()
    case = CaseFactory(opened_at=now - dt.timedelta(minutes=50))
    from cases.sla.clocks import sla_on_case_event

    sla_on_case_event(case=case, event_kind="created", now=now)
    warn = SlaFire.objects.get(clock__case=case, rule_key="warn")
    assert warn.due_at <= now and warn.fired_at is None

    process = start_manage(["qcluster"], env={**child_env, **sandbox.env()}, log_path=tmp_path / "qcluster.log")
    try:
        wait_for(
            lambda: SlaFire.objects.filter(id=warn.id, result__isnull=False).exists(),
            timeout=90,
            what="the scheduled SLA sweep to fire the warning",
        )
    finally:
        stop(process, timeout=3)
    warn.refresh_from_db()
    assert warn.error == "" and warn.attempts == 1
    assert [m["to"] for m in sandbox.mail()] == [["lead@sopdesk.example"]]
    assert SlaClock.objects.get(case=case).breached_at is None
