"""SLA clocks follow the same inbound webhooks as everything else: created, assigned, answered, solved."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from cases.models import Case
from cases.sla.models import ClockKind, SlaClock
from tests.cases.test_webhooks import SECRET, post_zendesk

pytestmark = pytest.mark.django_db

OPENED = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
REQUESTER = {"email": "alice@acme.example", "name": "Alice"}


@pytest.fixture(autouse=True)
def zendesk_secret(settings):
    settings.WEBHOOK_SECRETS = {**settings.WEBHOOK_SECRETS, "zendesk": SECRET}


def deliver(client, when: dt.datetime, invocation: str, **ticket) -> None:
    body = {
        "event": "ticket.updated",
        "ticket": {"id": "77", "subject": "Export fails", "tier": "enterprise", "requester": REQUESTER, **ticket},
    }
    with time_machine.travel(when, tick=False):
        response = post_zendesk(client, json.dumps(body).encode(), invocation=invocation)
    assert response.status_code == 202, response.content


def clocks() -> dict[str, SlaClock]:
    return {c.kind: c for c in SlaClock.objects.filter(case__external_id="77")}


def test_a_new_enterprise_ticket_starts_its_clocks_with_the_two_hour_first_response(client, sla_sop):
    deliver(client, OPENED, "inv-1", status="new")
    running = clocks()
    assert running[ClockKind.FIRST_RESPONSE].due_at == OPENED + dt.timedelta(hours=2)
    assert running[ClockKind.ASSIGNMENT].due_at == OPENED + dt.timedelta(minutes=30)
    assert all(c.stopped_at is None for c in running.values())


def test_assignment_reply_and_solve_arrive_as_webhooks_and_stop_the_clocks(client, sla_sop):
    deliver(client, OPENED, "inv-1", status="new")
    deliver(
        client, OPENED + dt.timedelta(minutes=10), "inv-2", status="open", assignee={"email": "agent@sopdesk.example"}
    )
    assert clocks()[ClockKind.ASSIGNMENT].stopped_at == OPENED + dt.timedelta(minutes=10)
    assert clocks()[ClockKind.FIRST_RESPONSE].stopped_at is None

    reply = {"author_email": "agent@sopdesk.example", "public": "true"}
    deliver(client, OPENED + dt.timedelta(hours=1), "inv-3", status="open", latest_comment=reply)
    first = clocks()[ClockKind.FIRST_RESPONSE]
    assert first.stopped_at == OPENED + dt.timedelta(hours=1) and first.breached_at is None
    assert Case.objects.get(external_id="77").first_response_at == OPENED + dt.timedelta(hours=1)

    deliver(client, OPENED + dt.timedelta(hours=3), "inv-4", status="solved")
    case = Case.objects.get(external_id="77")
    assert case.status == Case.Status.RESOLVED and case.resolved_at == OPENED + dt.timedelta(hours=3)
    assert all(c.stopped_at is not None for c in clocks().values())


def test_a_customer_reply_is_not_a_first_response(client, sla_sop):
    deliver(client, OPENED, "inv-1", status="new")
    customer = {"author_email": REQUESTER["email"], "public": "true"}
    deliver(client, OPENED + dt.timedelta(minutes=20), "inv-2", status="open", latest_comment=customer)
    assert clocks()[ClockKind.FIRST_RESPONSE].stopped_at is None
    assert Case.objects.get(external_id="77").first_response_at is None


def test_pending_on_the_customer_pauses_the_clocks_and_open_resumes_them(client, sla_sop):
    deliver(client, OPENED, "inv-1", status="new")
    deliver(client, OPENED + dt.timedelta(minutes=5), "inv-2", status="pending")
    assert clocks()[ClockKind.FIRST_RESPONSE].due_at is None  # paused
    deliver(client, OPENED + dt.timedelta(minutes=35), "inv-3", status="open")
    assert clocks()[ClockKind.FIRST_RESPONSE].due_at == OPENED + dt.timedelta(hours=2, minutes=30)


def test_the_plan_read_from_salesforce_moves_the_clocks_to_the_enterprise_policy(client, sla_sop, sandbox):
    from cases.intake import event_process
    from cases.models import Run
    from cases.services import run_advance
    from tests.cases.e2e import ESCALATION_TRIGGER, publish

    publish("escalation.md", name="Product bug escalation", trigger=ESCALATION_TRIGGER)
    with time_machine.travel(OPENED, tick=False):
        body = {
            "event": "ticket.created",
            "ticket": {
                "id": "77",
                "subject": "Export fails",
                "tags": ["product-bug"],
                "requester": REQUESTER,
                "organization": "Acme Corp",
            },
        }
        response = post_zendesk(client, json.dumps(body).encode(), invocation="inv-tier", process=False)
        assert response.status_code == 202
        event_process(event_id=response.json()["event"])  # the case and its clocks, before the run reads the plan
        assert clocks()[ClockKind.FIRST_RESPONSE].due_at == OPENED + dt.timedelta(hours=24)  # tier not known yet
        run_advance(run_id=Run.objects.get(case__external_id="77").id)
    assert Case.objects.get(external_id="77").facts["tier"] == "enterprise"
    assert clocks()[ClockKind.FIRST_RESPONSE].due_at == OPENED + dt.timedelta(hours=2)
