"""Whatever arrives is stored and ends in a terminal state with a reason; no body makes a webhook answer 500."""

from __future__ import annotations

import json
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from cases.intake import event_receive
from cases.models import Case, InboundEvent, Run
from cases.webhooks import generic, jira
from tests.cases.test_webhooks import SECRET, WAIT_GRAPH, intake_tasks_run, post_zendesk, ticket_body
from tests.factories import ProcedureFactory, ProcedureVersionFactory

pytestmark = pytest.mark.django_db

DEEP = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
API = {"Authorization": "Bearer api-token"}


@pytest.fixture(autouse=True)
def secrets(settings):
    settings.WEBHOOK_SECRETS = {"zendesk": SECRET, "jira": "jira-secret", "salesforce_org_id": "00D000000000001AAA"}
    settings.ENGINE = {**settings.ENGINE, "api_events_token": "api-token"}


@pytest.fixture
def bug_procedure():
    procedure = ProcedureFactory(trigger={"source": "zendesk", "events": ["ticket.created"], "tags": ["product-bug"]})
    version = ProcedureVersionFactory(procedure=procedure, graph=WAIT_GRAPH, status="published")
    procedure.published_version = version
    procedure.save()
    return procedure


def _only_event() -> InboundEvent:
    return InboundEvent.objects.get()


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["list", "object"])
def test_deeply_nested_body_is_refused_with_a_reason_on_the_zendesk_hook(client, body):
    response = post_zendesk(client, body)
    assert response.status_code == 400
    assert "nested more than" in response.json()["message"]
    event = _only_event()
    assert (event.status, event.error.split(":")[0]) == ("rejected", "too_deep")


def test_deeply_nested_body_is_refused_on_jira_salesforce_and_the_events_api(client):
    jira_headers = {"X-Hub-Signature": jira.sign("jira-secret", DEEP)}
    assert client.post("/hooks/jira/", DEEP, content_type="application/json", headers=jira_headers).status_code == 400
    assert client.post("/hooks/salesforce/", DEEP, content_type="application/json", headers=API).status_code == 400
    assert client.post("/api/events/", DEEP, content_type="application/json", headers=API).status_code == 400
    assert list(InboundEvent.objects.values_list("status", flat=True)) == ["rejected"] * 3


def test_nul_in_a_subject_becomes_a_case_without_it(client, bug_procedure):
    response = post_zendesk(client, ticket_body(subject="Export\u0000 crashes"))
    assert response.status_code == 202, response.content
    assert Case.objects.get().subject == "Export crashes"
    assert _only_event().status == "processed"


def test_nul_in_the_events_api_is_stored_and_processed(client):
    body = json.dumps({"event": "claim.submitted", "case": {"external_id": "CLM-\u00001", "subject": "a\u0000b"}})
    response = client.post("/api/events/", body, content_type="application/json", headers=API)
    assert response.status_code == 202, response.content
    intake_tasks_run()
    assert Case.objects.get().external_id == "CLM-1"


@pytest.mark.parametrize("field", ["organization", "requester_name", "subject"])
def test_an_overlong_text_field_is_shortened_not_a_crash(client, bug_procedure, field):
    extra = {"organization": "O" * 300} if field == "organization" else {}
    if field == "requester_name":
        extra = {"requester": {"email": "alice@acme.example", "name": "N" * 300}}
    if field == "subject":
        extra = {"subject": "S" * 3000}
    response = post_zendesk(client, ticket_body(**extra))
    assert response.status_code == 202, response.content
    case = Case.objects.get()
    assert len(case.account_name) <= 200 and len(case.requester_name) <= 200 and len(case.subject) <= 500
    assert case.account_name.startswith("O") or case.requester_name.startswith("N") or case.subject.startswith("S")


def test_an_overlong_ticket_id_is_refused_saying_what_is_wrong(client, bug_procedure):
    response = post_zendesk(client, ticket_body(ticket_id="9" * 300))
    assert response.status_code == 400
    assert "300 characters" in response.json()["message"]
    assert _only_event().status == "rejected" and not Case.objects.exists()


def test_a_failure_while_processing_is_kept_failed_and_retried_by_the_command(client, bug_procedure):
    def parse_then_break(headers, body):
        raise RuntimeError("the parser met something new")

    result = event_receive(source="api", headers={}, body=b"{}", parse=parse_then_break)
    assert result.failed
    event = InboundEvent.objects.get(id=result.event.id)
    assert event.status == "failed" and "the parser met something new" in event.error
    # The stored body is not a valid generic event either: retrying refuses it with the reason, never loses it.
    call_command("events", "retry")
    event.refresh_from_db()
    assert event.status == "rejected" and "event_missing" in event.error


def test_events_retry_processes_a_failed_event_from_its_stored_body(client, bug_procedure):
    body = json.dumps({"event": "claim.submitted", "case": {"external_id": "CLM-9", "subject": "Crushed"}}).encode()
    event = InboundEvent.objects.create(
        source="api", body=body.decode(), status="failed", error="OperationalError: database is locked"
    )
    call_command("events", "retry", "--since", "2000-01-01T00:00:00Z")
    event.refresh_from_db()
    assert event.status in ("processed", "ignored") and event.case.external_id == "CLM-9"


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_deliveries_process_once(bug_procedure):
    body = ticket_body(ticket_id=77)
    barrier = threading.Barrier(3)
    answers: list[dict] = []

    def deliver():
        try:
            barrier.wait(timeout=10)
            answers.append(post_zendesk(Client(), body, invocation="inv-race", process=False).json())
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 3
    assert sum(len(a["queued"]) for a in answers) == 1  # one delivery claimed the key; the others are duplicates
    intake_tasks_run()
    statuses = sorted(InboundEvent.objects.values_list("status", flat=True))
    assert statuses == ["duplicate", "duplicate", "processed"]
    assert sum(1 for a in answers if a["duplicate"]) == 2
    assert Run.objects.count() == 1


def test_generic_parse_is_the_one_the_retry_uses_for_api_events():
    from cases.webhooks.sources import parser_for

    assert parser_for("api") is generic.parse


def test_the_health_endpoint_counts_failed_and_stuck_events(bug_procedure):
    import datetime as dt

    from django.utils import timezone

    from tests.api.conftest import bearer
    from tests.factories import UserFactory

    InboundEvent.objects.create(source="api", body="{}", status="failed", error="boom")
    stuck = InboundEvent.objects.create(source="zendesk", body="{}", status="received")
    InboundEvent.objects.filter(id=stuck.id).update(received_at=timezone.now() - dt.timedelta(minutes=10))
    InboundEvent.objects.create(source="zendesk", body="{}", status="processed")
    from sopdesk.models import Scope
    from sopdesk.tokens import token_issue

    admin = UserFactory(username="ada-health", is_staff=True, is_superuser=True)
    _, raw = token_issue(name="health", scopes=list(Scope.values), created_by=admin)
    health = bearer(raw).get("/api/v1/events/health/").json()
    assert (health["failed"], health["stuck"]) == (1, 1)
    assert health["by_status"]["processed"] == 1 and health["by_status"]["failed"] == 1


def test_a_failure_in_the_intake_task_is_kept_failed_and_retried_by_the_command(client, bug_procedure):
    broken = ProcedureFactory(trigger={})  # no trigger of its own: read from a graph that does not parse
    version = ProcedureVersionFactory(procedure=broken, graph={"start": "nowhere", "steps": []}, status="published")
    broken.published_version = version
    broken.save()
    assert post_zendesk(client, ticket_body(ticket_id=5), process=False).status_code == 202
    assert intake_tasks_run() == ["failed"]
    event = _only_event()
    assert event.status == "failed" and event.error and not Case.objects.exists()
    broken.trigger = {"source": "jira"}
    broken.save()
    call_command("events", "retry")
    event.refresh_from_db()
    assert event.status == "processed" and Run.objects.get().case.external_id == "5"


def test_an_accepted_event_whose_task_died_is_queued_again_by_the_recovery_sweep(client, bug_procedure):
    import datetime as dt

    from django.utils import timezone
    from django_q.models import OrmQ

    from cases.intake import events_requeue

    assert post_zendesk(client, ticket_body(ticket_id=8), process=False).status_code == 202
    OrmQ.objects.all().delete()  # the worker that had taken the task was killed
    assert events_requeue() == []  # younger than the lease: its task may still be running
    InboundEvent.objects.update(received_at=timezone.now() - dt.timedelta(minutes=10))
    [event_id] = events_requeue()
    assert OrmQ.objects.count() == 1
    assert intake_tasks_run() == ["processed"] and Case.objects.get().external_id == "8"
    assert InboundEvent.objects.get(id=event_id).status == "processed"
