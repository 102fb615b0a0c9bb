"""Selected Zendesk custom fields land in case.fields at intake, named and typed, through real signed webhooks:
from a trigger body's custom_fields, and for event-subscribed webhooks read from the Zendesk emulator's API.
An SOP branches on them with no gather step."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cases.models import Case, InboundEvent, Run
from cases.services import run_advance
from cases.webhooks import zendesk
from procedures import services
from tests.api.conftest import signed_in

pytestmark = pytest.mark.django_db
SECRET = "c2VjcmV0LWZvci1jdXN0b20tZmllbGRz"
SOP = "If the customer region is eu-west, tag the ticket eu-team.\nOtherwise tag the ticket us-team."


@pytest.fixture
def selected(sandbox, settings, ops_manager):
    settings.WEBHOOK_SECRETS = {**getattr(settings, "WEBHOOK_SECRETS", {}), "zendesk": SECRET}
    response = signed_in(ops_manager).post(
        "/api/v1/custom-fields/select/",
        {"system": "zendesk", "fields": ["Order number", "Customer region", "Order value", "VIP customer"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    return sandbox


def post(client, body: dict, invocation: str):
    from cases.tasks import event_process_task

    raw = json.dumps(body).encode()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = client.post(
        "/hooks/zendesk/",
        data=raw,
        content_type="application/json",
        headers={
            "X-Zendesk-Webhook-Signature": zendesk.sign(SECRET, stamp, raw),
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
            "X-Zendesk-Webhook-Invocation-Id": invocation,
        },
    )
    for event_id in InboundEvent.objects.filter(status="received").values_list("id", flat=True):
        event_process_task(event_id)  # what the worker does with the queued event
    return response


def trigger_body(ticket_id: int, custom_fields) -> dict:
    return {
        "event": "ticket.created",
        "ticket": {"id": str(ticket_id), "subject": "Where is my order?", "requester": {"email": "alice@acme.example"},
                   "custom_fields": custom_fields},
    }  # fmt: skip


def test_a_trigger_bodys_custom_fields_become_typed_case_fields_and_the_sop_branches_on_them(
    selected, client, ops_manager
):
    procedure = services.procedure_create_and_compile(
        name="Orders", source=SOP, trigger={"source": "zendesk", "events": ["ticket.created"]}, owner=ops_manager
    )
    version = procedure.versions.get()
    kinds = [s["kind"] for s in version.graph["steps"]]
    assert "gather" not in kinds  # the SOP reads the field from the case: no look-up step
    assert version.graph["steps"][0]["branches"][0]["when"] == 'case.fields.customer_region == "eu-west"'
    services.version_publish(version=version, user=ops_manager)

    fields = [
        {"id": 360001, "value": "A-1001"},
        {"id": 360002, "value": "eu-west"},
        {"id": 360003, "value": "812.50"},  # a trigger placeholder renders text: typed on the way in
        {"id": 360004, "value": "true"},
        {"id": 999999, "value": "not selected"},
    ]
    assert post(client, trigger_body(1, fields), "inv-1").status_code == 202
    case = Case.objects.get(source="zendesk", external_id="1")
    assert case.facts["fields"] == {
        "order_number": "A-1001",
        "customer_region": "eu-west",
        "order_value": 812.5,
        "vip_customer": True,
    }
    run = run_advance(run_id=Run.objects.get(case=case).id)
    assert run.status == "completed", list(run.executions.values_list("step_key", "status"))
    tags = selected.inspect("zendesk")["tickets"][1]["tags"]
    assert "eu-team" in tags and "us-team" not in tags

    # a value of the wrong type is left out (missing, never guessed), an unset one ("") too
    post(client, trigger_body(2, [{"id": 360003, "value": "lots"}, {"id": 360001, "value": ""}]), "inv-2")
    assert "order_value" not in Case.objects.get(external_id="2").facts.get("fields", {})


def test_an_event_subscribed_webhook_reads_the_tickets_custom_fields_from_zendesk(selected, client):
    ticket = selected.emulator("zendesk").tickets[2]
    ticket["custom_fields"] = [{"id": 360003, "value": 129.5}, {"id": 360004, "value": False}]
    body = {
        "type": "zen:event-type:ticket.created",
        "id": "evt-1",
        "detail": {"id": "2", "subject": ticket.get("subject"), "requester_id": ticket.get("requester_id"), "tags": []},
    }
    before = selected.requests("zendesk")
    assert post(client, body, "inv-3").status_code == 202
    case = Case.objects.get(source="zendesk", external_id="2")
    assert case.facts["fields"] == {"order_value": 129.5, "vip_customer": False}
    assert selected.requests("zendesk") > before  # read through the API, not invented


def test_a_malformed_custom_fields_list_is_refused(selected, client):
    response = post(client, trigger_body(1, {"360001": "A-1"}), "inv-4")
    assert response.status_code == 400 and "custom_fields must be a list" in response.content.decode()
    assert not Case.objects.exists()
