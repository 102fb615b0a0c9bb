"""Shared SLA fixtures: the SLA SOP compiled to policies, its people, and helpers that move time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import time_machine

from cases import clock
from cases.sla.clocks import sla_on_case_event
from cases.sla.compile import sla_policies_from_sop
from cases.sla.models import SlaContact
from cases.sla.sweep import sla_sweep
from tests.factories import CaseFactory, UserFactory

SOP_PATH = Path(__file__).resolve().parents[3] / "sopdesk" / "demo" / "scenarios" / "sla-routing.md"
UTC = dt.UTC
MINUTE = dt.timedelta(minutes=1)
LEAD_EMAIL = "lead@sopdesk.example"  # an agent in the Zendesk sandbox
AGENT_EMAIL = "agent@sopdesk.example"
VP_EMAIL = "vp@sopdesk.example"
QUEUE = "support"


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """An instant in November 2026 (UTC). 18 Nov is a Wednesday, 20 Nov a Friday."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def sla_sop(db):
    result = sla_policies_from_sop(text=SOP_PATH.read_text())
    SlaContact.objects.create(role="team_lead", queue=QUEUE, name="Lee Lead", email=LEAD_EMAIL)
    SlaContact.objects.create(role="vp_customer_success", name="Vera VP", email=VP_EMAIL)
    return result


@pytest.fixture
def lead(db):
    return UserFactory(username="lee", email=LEAD_EMAIL)


@pytest.fixture
def agent(db):
    return UserFactory(username="ana", email=AGENT_EMAIL)


def open_case(opened_at: dt.datetime, *, tier: str = "enterprise", queue: str = QUEUE, **fields):
    """A case opened at `opened_at`, its clocks started as the engine does on `created`."""
    with time_machine.travel(opened_at, tick=False):
        case = CaseFactory(opened_at=opened_at, queue=queue, facts={"tier": tier, **fields.pop("facts", {})}, **fields)
        sla_on_case_event(case=case, event_kind="created", now=clock.now())
    return case


def case_event(case, when: dt.datetime, kind: str, **changes):
    """Apply changes to the case at `when` and tell the SLA clocks, as the engine's event handling does."""
    with time_machine.travel(when, tick=False):
        if changes:
            type(case).objects.filter(pk=case.pk).update(**changes, updated_at=clock.now())
            case.refresh_from_db()
        sla_on_case_event(case=case, event_kind=kind, now=clock.now())


def sweep_every_minute(start: dt.datetime, end: dt.datetime) -> list:
    """Run the sweep as the django-q2 schedule would, once a minute from start to end inclusive."""
    reports, now = [], start
    while now <= end:
        with time_machine.travel(now, tick=False):
            reports.append(sla_sweep(now=clock.now()))
        now += MINUTE
    return reports


def sweep_at(when: dt.datetime):
    with time_machine.travel(when, tick=False):
        return sla_sweep(now=clock.now())
