"""Helpers for the end-to-end scenarios: publish a reference SOP, post signed webhooks, wait for runs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from cases.models import Case, Run
from cases.webhooks import zendesk
from procedures.services import procedure_create, version_compile, version_publish
from tests.support.processes import wait_for

FIXTURES = Path(__file__).parent / "fixtures"
ZENDESK_SECRET = "e2e-zendesk-secret"
API_TOKEN = "e2e-api-token"
ESCALATION_TRIGGER = {"source": "zendesk", "events": ["ticket.created", "ticket.updated"], "tags": ["product-bug"]}
CLAIM_TRIGGER = {
    "source": "any",
    "events": ["claim.submitted", "ticket.created"],
    "group": "Claims",
    "fields": ["tracking_number", "carrier"],
}


def publish(fixture: str, *, name: str, trigger: dict):
    """Compile the reference SOP with the rules compiler and publish it."""
    procedure = procedure_create(name=name, source=(FIXTURES / fixture).read_text(), trigger=trigger)
    version = version_compile(version=procedure.versions.get(), compiler="rules")
    assert version.status == "compiled", version.errors
    return version_publish(version=version, confirm_warnings=True)


def post_zendesk(client, payload: dict, *, invocation: str):
    body = json.dumps(payload).encode()
    timestamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = client.post(
        "/hooks/zendesk/",
        data=body,
        content_type="application/json",
        headers={
            "X-Zendesk-Webhook-Signature": zendesk.sign(ZENDESK_SECRET, timestamp, body),
            "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
            "X-Zendesk-Webhook-Invocation-Id": invocation,
        },
    )
    assert response.status_code in (200, 202), response.content
    return response


def post_event(client, payload: dict, *, key: str):
    response = client.post(
        "/api/events/",
        data=payload,
        content_type="application/json",
        headers={"Authorization": f"Bearer {API_TOKEN}", "Idempotency-Key": key},
    )
    assert response.status_code == 202, response.content
    return response


def ticket_payload(
    ticket_id: int,
    *,
    subject: str,
    description: str,
    email: str,
    name: str,
    org: str | None,
    tags: str = "product-bug",
    event: str = "ticket.created",
    **extra,
) -> dict:
    ticket = {
        "id": str(ticket_id),
        "subject": subject,
        "description": description,
        "tags": tags,
        "url": f"sandbox.zendesk.com/agent/tickets/{ticket_id}",
        "priority": "normal",
        "group": "Support",
        "requester": {"email": email, "name": name},
        "organization": org or "",
        **extra,
    }
    return {"event": event, "ticket": ticket}


def run_settled(case_filter: dict, *, statuses=("completed", "held", "waiting", "failed"), timeout=45) -> Run:
    """Wait until the case's run has stopped moving (ended, held or waiting) and return it."""

    def settled():
        case = Case.objects.filter(**case_filter).first()
        if case is None:
            return None
        run = case.runs.order_by("id").first()
        if run and run.status in statuses and not run.executions.filter(status="started").exists():
            return run
        return None

    return wait_for(settled, timeout=timeout, interval=0.1, what=f"a settled run for {case_filter}")
