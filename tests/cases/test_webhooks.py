"""Webhooks: stored first, verified as each source signs, rejected clearly, deduplicated."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cases.models import Case, InboundEvent, Run
from cases.webhooks import jira, zendesk
from tests.factories import ProcedureFactory, ProcedureVersionFactory

pytestmark = pytest.mark.django_db

SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
WAIT_GRAPH = {
    "start": "wait",
    "steps": [
        {"kind": "wait", "key": "wait", "title": "Wait", "for_event": "customer.replied", "next": "done"},
        {"kind": "end", "key": "done", "title": "Done"},
    ],
}


@pytest.fixture(autouse=True)
def secrets(settings):
    settings.WEBHOOK_SECRETS = {"zendesk": SECRET, "jira": "jira-secret", "salesforce_org_id": "00D000000000001AAA"}
    settings.ENGINE = {**settings.ENGINE, "api_events_token": "api-token"}


@pytest.fixture
def escalation_procedure():
    procedure = ProcedureFactory(
        trigger={"source": "zendesk", "events": ["ticket.created", "ticket.updated"], "tags": ["product-bug"]}
    )
    version = ProcedureVersionFactory(procedure=procedure, graph=WAIT_GRAPH, status="published")
    procedure.published_version = version
    procedure.save()
    return procedure


def ticket_body(ticket_id=1, tags="product-bug", event="ticket.created", **extra) -> bytes:
    ticket = {
        "id": str(ticket_id),
        "subject": "Export crashes",
        "description": "It crashes.",
        "tags": tags,
        "url": "sandbox.zendesk.com/agent/tickets/1",
        "requester": {"email": "alice@acme.example", "name": "Alice Adams"},
        "organization": "Acme Corp",
        **extra,
    }
    return json.dumps({"event": event, "ticket": ticket}).encode()


def intake_tasks_run() -> list[str]:
    """Run the intake task for every accepted, unprocessed event, oldest first, as the worker does."""
    from cases.tasks import event_process_task

    pending = InboundEvent.objects.filter(status="received").exclude(verification="rejected").order_by("id")
    return [event_process_task(event_id) for event_id in pending.values_list("id", flat=True)]


def post_zendesk(
    client, body: bytes, *, invocation="inv-1", timestamp=None, secret=SECRET, signature=None, process=True
):
    """Post a signed Zendesk webhook; with `process`, then run the intake task the answer queued (the worker's job)."""
    timestamp = timestamp or dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = client.post(
        "/hooks/zendesk/",
        data=body,
        content_type="application/json",
        headers={
            "X-Zendesk-Webhook-Signature": signature or zendesk.sign(secret, timestamp, body),
            "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
            "X-Zendesk-Webhook-Invocation-Id": invocation,
        },
    )
    if process:
        intake_tasks_run()
    return response


def test_zendesk_signature_matches_the_published_test_vector():
    body = b'{"event":"ticket.updated","id":123}'
    assert zendesk.sign(SECRET, "2021-03-25T05:09:27Z", body) == "S/RDdU2ERmj7LHDDoWJ2onPYH+t7/f2+LTM4dL7UiLM="


def test_signed_ticket_creates_a_case_and_starts_one_run(client, escalation_procedure):
    response = post_zendesk(client, ticket_body())
    assert response.status_code == 202, response.content
    case = Case.objects.get(source="zendesk", external_id="1")
    assert case.requester_email == "alice@acme.example" and case.account_name == "Acme Corp"
    assert case.facts["tags"] == ["product-bug"] and case.external_url.startswith("https://")
    run = Run.objects.get(case=case)
    assert run.version == escalation_procedure.published_version
    event = InboundEvent.objects.get()
    assert (event.status, event.verification, event.case) == ("processed", "verified", case)
    assert "X-Zendesk-Webhook-Signature" in event.headers


def test_the_webhook_answers_once_stored_and_the_worker_makes_the_case(client, escalation_procedure):
    response = post_zendesk(client, ticket_body(), process=False)
    assert response.status_code == 202, response.content
    event = InboundEvent.objects.get()
    assert response.json()["queued"] == [event.id]
    assert (event.status, event.verification, event.dedupe_key) == ("received", "verified", "inv-1")
    assert not Case.objects.exists() and not Run.objects.exists()
    assert intake_tasks_run() == ["processed"]
    assert Run.objects.get().case == Case.objects.get(external_id="1")
    assert InboundEvent.objects.get().status == "processed"


def test_a_task_delivered_twice_processes_the_event_once(client, escalation_procedure):
    from cases.tasks import event_process_task

    event_id = post_zendesk(client, ticket_body(), process=False).json()["event"]
    assert [event_process_task(event_id), event_process_task(event_id)] == ["processed", "done already"]
    assert Run.objects.count() == 1 and Case.objects.count() == 1


def test_duplicate_delivery_starts_no_second_run(client, escalation_procedure):
    for _ in range(3):
        assert post_zendesk(client, ticket_body(), invocation="same").status_code == 202
    assert Run.objects.count() == 1
    statuses = sorted(InboundEvent.objects.values_list("status", flat=True))
    assert statuses == ["duplicate", "duplicate", "processed"]


def test_a_later_update_does_not_start_the_procedure_again(client, escalation_procedure):
    post_zendesk(client, ticket_body(), invocation="a")
    post_zendesk(client, ticket_body(event="ticket.updated", tags="product-bug jira-linked"), invocation="b")
    assert Run.objects.count() == 1
    assert Case.objects.get().facts["tags"] == ["jira-linked", "product-bug"]


def test_ticket_without_the_tag_is_stored_and_ignored(client, escalation_procedure):
    assert post_zendesk(client, ticket_body(tags="billing")).status_code == 202
    assert InboundEvent.objects.get().status == "ignored"
    assert not Run.objects.exists()


def test_bad_signature_is_401_and_kept_as_rejected(client, escalation_procedure):
    response = post_zendesk(client, ticket_body(), secret="wrong")
    assert response.status_code == 401
    assert response.json()["error"] == "signature_invalid"
    event = InboundEvent.objects.get()
    assert (event.status, event.verification) == ("rejected", "rejected")
    assert event.body == ticket_body().decode()
    assert not Case.objects.exists()


def test_expired_timestamp_is_401(client, escalation_procedure):
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = post_zendesk(client, ticket_body(), timestamp=old)
    assert (response.status_code, response.json()["error"]) == (401, "timestamp_expired")


def test_malformed_json_is_400_and_kept(client, escalation_procedure):
    response = post_zendesk(client, b"{not json")
    assert response.status_code == 400
    assert response.json()["error"] == "malformed_json" and "JSON" in response.json()["message"]
    assert InboundEvent.objects.get().status == "rejected"


def test_too_large_body_is_413(client, settings, escalation_procedure):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = post_zendesk(client, ticket_body(description="x" * 500))
    assert response.status_code == 413
    assert InboundEvent.objects.get().status == "rejected"


def test_requester_reply_resumes_the_waiting_run(client, escalation_procedure):
    post_zendesk(client, ticket_body(), invocation="a")
    from cases.services import run_advance

    run = run_advance(run_id=Run.objects.get().id)
    assert run.status == "waiting"
    reply = ticket_body(event="ticket.updated", latest_comment={"author_email": "alice@acme.example", "public": True})
    assert post_zendesk(client, reply, invocation="b").status_code == 202
    run.refresh_from_db()
    assert run.status == "running"  # woken by the intake task, advanced through the queue
    assert run_advance(run_id=run.id).status == "completed"


def test_jira_hook_checks_x_hub_signature_and_dedupes(client):
    body = json.dumps(
        {"webhookEvent": "jira:issue_created", "issue": {"key": "ENG-1", "fields": {"summary": "Bug", "labels": []}}}
    ).encode()
    headers = {"X-Hub-Signature": jira.sign("jira-secret", body), "X-Atlassian-Webhook-Identifier": "w-1"}
    assert client.post("/hooks/jira/", body, content_type="application/json", headers=headers).status_code == 202
    intake_tasks_run()
    assert client.post("/hooks/jira/", body, content_type="application/json", headers=headers).json()["duplicate"]
    bad = {**headers, "X-Hub-Signature": "sha256=00"}
    assert client.post("/hooks/jira/", body, content_type="application/json", headers=bad).status_code == 401
    assert Case.objects.get(source="jira").subject == "Bug"


OUTBOUND = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>{org}</OrganizationId>
   <ActionId>04k000000000001</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://example.my.salesforce.com/services/Soap/c/59.0</EnterpriseUrl>
   <PartnerUrl>https://example.my.salesforce.com/services/Soap/u/59.0</PartnerUrl>
   <Notification>
    <Id>04l000000000001AAA</Id>
    <sObject xsi:type="sf:Case" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>500000000000001AAA</sf:Id>
     <sf:Subject>Damaged pallet</sf:Subject>
     <sf:SuppliedEmail>alice@acme.example</sf:SuppliedEmail>
    </sObject>
   </Notification>
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>"""


def test_salesforce_outbound_message_is_acked_and_deduped_on_notification_id(client):
    body = OUTBOUND.format(org="00D000000000001AAA")
    first = client.post("/hooks/salesforce/", body, content_type="text/xml")
    assert first.status_code == 200 and b"<Ack>true</Ack>" in first.content
    client.post("/hooks/salesforce/", body, content_type="text/xml")
    intake_tasks_run()
    case = Case.objects.get(source="salesforce")
    assert (case.external_id, case.subject, case.requester_email) == (
        "500000000000001AAA",
        "Damaged pallet",
        "alice@acme.example",
    )
    assert sorted(InboundEvent.objects.values_list("status", flat=True)) == ["duplicate", "ignored"]


def test_salesforce_from_another_org_is_refused(client):
    response = client.post("/hooks/salesforce/", OUTBOUND.format(org="00DXXXXXXXXXXXXXXX"), content_type="text/xml")
    assert response.status_code == 401
    assert InboundEvent.objects.get().status == "rejected"


def test_generic_endpoint_needs_the_bearer_token_and_dedupes_on_idempotency_key(client):
    body = {"event": "claim.submitted", "case": {"external_id": "CLM-1", "amount": "$8,400", "group": "Claims"}}
    assert client.post("/api/events/", body, content_type="application/json").status_code == 401
    auth = {"Authorization": "Bearer api-token", "Idempotency-Key": "k1"}
    assert client.post("/api/events/", body, content_type="application/json", headers=auth).status_code == 202
    assert client.post("/api/events/", body, content_type="application/json", headers=auth).json()["duplicate"]
    intake_tasks_run()
    assert Case.objects.get(source="api").facts["amount"] == 8400
    assert "Authorization" not in InboundEvent.objects.first().headers


def test_a_new_case_also_starts_every_new_case_procedures(client, escalation_procedure):
    every_case = ProcedureFactory(trigger={"source": "any", "events": ["case.created"]})
    version = ProcedureVersionFactory(procedure=every_case, graph=WAIT_GRAPH, status="published")
    every_case.published_version = version
    every_case.save()
    post_zendesk(client, ticket_body(), invocation="a")
    post_zendesk(client, ticket_body(event="ticket.updated"), invocation="b")
    versions = sorted(Run.objects.values_list("version__procedure_id", flat=True))
    assert versions == sorted([escalation_procedure.id, every_case.id])


def test_salesforce_platform_event_json_needs_the_bearer_token(client):
    body = {
        "channel": "/event/Claim_Settled__e",
        "replayId": 41,
        "event_type": "claim.settled",
        "payload": {"RecordId__c": "500000000000009AAA", "Amount": "900.00"},
    }
    assert client.post("/hooks/salesforce/", body, content_type="application/json").status_code == 401
    auth = {"Authorization": "Bearer api-token"}
    response = client.post("/hooks/salesforce/", body, content_type="application/json", headers=auth)
    assert response.status_code == 202
    intake_tasks_run()
    event = InboundEvent.objects.filter(status__in=["processed", "ignored"]).get()
    assert (event.event_type, event.dedupe_key) == ("claim.settled", "41")
    assert Case.objects.get(source="salesforce").external_id == "500000000000009AAA"


@pytest.mark.django_db(transaction=True)
def test_an_accepted_webhook_is_one_transaction_storing_the_event_and_its_task(client, escalation_procedure):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_q.models import OrmQ

    with CaptureQueriesContext(connection) as queries:
        response = post_zendesk(client, ticket_body(ticket_id=41), invocation="inv-41", process=False)
    assert response.status_code == 202
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements.count("COMMIT") == 1 and "SAVEPOINT" not in statements
    assert [s for s in statements if s in ("INSERT", "UPDATE", "DELETE")] == ["INSERT", "INSERT"]
    event = InboundEvent.objects.get()
    assert (event.status, event.claim, event.verification) == ("received", "inv-41", "verified")
    assert OrmQ.objects.count() == 1  # its processing task, committed with it


def test_the_intake_task_also_advances_the_run_it_started(client, escalation_procedure):
    from django_q.models import OrmQ

    post_zendesk(client, ticket_body(ticket_id=42), invocation="inv-42", process=False)
    OrmQ.objects.all().delete()  # taken by the worker
    assert intake_tasks_run() == ["processed"]
    assert Run.objects.get().status == "waiting"  # advanced to the wait step in the same task
    assert not OrmQ.objects.exists()  # no second task per ticket


def test_a_redelivery_is_stored_as_a_duplicate_of_the_first_and_queues_nothing(client, escalation_procedure):
    from django_q.models import OrmQ

    first = post_zendesk(client, ticket_body(ticket_id=43), invocation="inv-43").json()
    OrmQ.objects.all().delete()
    again = post_zendesk(client, ticket_body(ticket_id=43), invocation="inv-43", process=False)
    assert again.status_code == 202 and again.json()["duplicate"] is True and again.json()["queued"] == []
    duplicate = InboundEvent.objects.exclude(id=first["event"]).get()
    assert (duplicate.status, duplicate.duplicate_of_id, duplicate.claim) == ("duplicate", first["event"], None)
    assert duplicate.case_id == Case.objects.get().id and not OrmQ.objects.exists()
