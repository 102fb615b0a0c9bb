"""The clocks move on the same inbound events as everything else: signed Zendesk webhooks into the engine's intake."""

from __future__ import annotations

import json

import pytest
import time_machine
from django.urls import reverse

from cases.models import Case
from cases.sla.models import SlaClock, SlaFire
from cases.webhooks.zendesk import sign
from tests.cases.sla.conftest import AGENT_EMAIL, at, sweep_every_minute
from tests.cases.test_webhooks import intake_tasks_run

SECRET = "sla-webhook-secret"
REQUESTER = "alice@acme.example"


@pytest.fixture
def zendesk_secret(settings):
    settings.WEBHOOK_SECRETS = {**settings.WEBHOOK_SECRETS, "zendesk": SECRET}


def deliver(client, when, delivery: str, event: str, **ticket):
    body = json.dumps(
        {
            "event": event,
            "ticket": {
                "id": "1",
                "subject": "Export to CSV crashes",
                "tier": "enterprise",
                "requester": {"email": REQUESTER, "name": "Alice Adams"},
                **ticket,
            },
        }
    ).encode()
    with time_machine.travel(when, tick=False):
        timestamp = when.isoformat().replace("+00:00", "Z")
        response = client.post(
            reverse("cases:hook-zendesk"),
            body,
            content_type="application/json",
            headers={
                "X-Zendesk-Webhook-Signature": sign(SECRET, timestamp, body),
                "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
                "X-Zendesk-Webhook-Invocation-Id": delivery,
            },
        )
        assert response.status_code < 300, response.content
        intake_tasks_run()  # the worker's part: the webhook answered once the event was stored
    return Case.objects.get(source="zendesk", external_id="1")


def test_assignment_and_first_reply_from_zendesk_stop_the_clocks_without_escalation(
    client, zendesk_secret, sla_sop, agent, lead
):
    case = deliver(client, at(18, 10), "d1", "ticket.created", status="new")
    assert SlaClock.objects.filter(case=case, stopped_at=None).count() == 3
    sweep_every_minute(at(18, 10), at(18, 10, 9))
    deliver(client, at(18, 10, 10), "d2", "ticket.updated", status="open", assignee={"email": AGENT_EMAIL})
    sweep_every_minute(at(18, 10, 10), at(18, 10, 59))
    deliver(
        client,
        at(18, 11),
        "d3",
        "ticket.updated",
        status="open",
        assignee={"email": AGENT_EMAIL},
        latest_comment={"author_email": AGENT_EMAIL, "public": "true"},
    )
    sweep_every_minute(at(18, 11), at(18, 12, 30))

    stopped = dict(SlaClock.objects.filter(case=case).values_list("kind", "stopped_at"))
    assert stopped == {"assignment": at(18, 10, 10), "first_response": at(18, 11), "resolution": None}
    assert not SlaFire.objects.filter(clock__case=case, fired_at__isnull=False).exists()


def test_pending_in_zendesk_pauses_the_clocks_and_open_resumes_them(client, zendesk_secret, sla_sop, agent):
    case = deliver(client, at(18, 10), "d1", "ticket.created", status="new", assignee={"email": AGENT_EMAIL})
    deliver(client, at(18, 10, 30), "d2", "ticket.updated", status="pending", assignee={"email": AGENT_EMAIL})
    assert SlaClock.objects.get(case=case, kind="first_response").due_at is None
    deliver(client, at(18, 13), "d3", "ticket.updated", status="open", assignee={"email": AGENT_EMAIL})
    assert SlaClock.objects.get(case=case, kind="first_response").due_at == at(18, 14, 30)
    deliver(client, at(18, 14), "d4", "ticket.updated", status="solved", assignee={"email": AGENT_EMAIL})
    assert not SlaClock.objects.filter(case=case, stopped_at=None).exists()
