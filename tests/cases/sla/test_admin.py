"""Ops managers edit SLA policies, calendars, queues and contacts in the admin; clocks are read-only."""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.urls import reverse
from django_q.models import Schedule

from cases.sla.models import BusinessCalendar, SlaPolicy
from cases.sla.tasks import sla_sweep_task
from tests.cases.sla.conftest import at, open_case


def test_admin_pages_load(admin_client, sla_sop):
    case = open_case(at(18, 10))
    policy = SlaPolicy.objects.get(name="Enterprise customers")
    urls = [
        reverse(f"admin:sla_{name}_changelist")
        for name in ("slapolicy", "businesscalendar", "slaqueue", "slacontact", "slaclock")
    ]
    urls += [
        reverse("admin:sla_slapolicy_change", args=[policy.id]),
        reverse("admin:sla_slaclock_change", args=[case.sla_clocks.first().id]),
    ]
    for url in urls:
        assert admin_client.get(url).status_code == 200, url
    page = admin_client.get(reverse("admin:sla_slapolicy_change", args=[policy.id]))
    assert "first-response-warn-15m" in page.text


def test_a_calendar_with_a_bad_time_zone_is_refused_with_the_fix(admin_client, db):
    response = admin_client.post(
        reverse("admin:sla_businesscalendar_add"),
        {
            "name": "Berlin",
            "time_zone": "Berlin",
            "weekly_hours": '{"mon": [["09:00", "17:00"]]}',
            "holidays": "[]",
        },
    )
    assert response.status_code == 200
    assert "unknown time zone" in response.text
    assert not BusinessCalendar.objects.exists()


def test_the_sweep_is_a_django_q2_schedule_every_minute(db):
    """Migration sla.0002 registers it; run its function again (idempotent) since a transactional test may flush."""
    migration = import_module("cases.sla.migrations.0002_sweep_schedule")
    migration.add_schedule(apps, None)
    migration.add_schedule(apps, None)
    schedule = Schedule.objects.get(func="cases.sla.tasks.sla_sweep_task")
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (Schedule.MINUTES, 1, -1)
    assert sla_sweep_task() == 0
