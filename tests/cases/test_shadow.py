"""Shadow mode: run beside people on real cases, write nothing, then compare with what people did."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from cases.models import Run
from cases.selectors import shadow_compare
from cases.services import run_advance
from cases.webhooks import jira
from procedures.models import Procedure
from tests.cases.graphs import escalation
from tests.cases.test_webhooks import SECRET, intake_tasks_run, post_zendesk, ticket_body
from tests.factories import ProcedureVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shadow_procedure(settings):
    settings.WEBHOOK_SECRETS = {"zendesk": SECRET, "jira": "jira-secret", "salesforce_org_id": ""}
    procedure = Procedure.objects.create(
        name="Escalation (shadow)",
        slug="esc-shadow",
        trigger={"source": "zendesk", "tags": ["product-bug"], "mode": "shadow"},
    )
    version = ProcedureVersionFactory(procedure=procedure, graph=escalation().to_json(), status="published")
    procedure.published_version = version
    procedure.save()
    return procedure


def human_jira_issue(client, key: str, ticket_id: int):
    body = json.dumps(
        {
            "webhookEvent": "jira:issue_created",
            "issue": {"key": key, "fields": {"summary": "Bug", "labels": [f"zd-{ticket_id}"]}},
        }
    ).encode()
    headers = {"X-Hub-Signature": jira.sign("jira-secret", body), "X-Atlassian-Webhook-Identifier": f"j-{key}"}
    assert client.post("/hooks/jira/", body, content_type="application/json", headers=headers).status_code == 202
    intake_tasks_run()


def test_shadow_runs_write_nothing_and_agreement_is_reported(sandbox, shadow_procedure, client, capsys):
    post_zendesk(client, ticket_body(1), invocation="t1")
    post_zendesk(client, ticket_body(2, requester={"email": "bob@globex.example", "name": "Bob"}), invocation="t2")
    runs = list(Run.objects.order_by("id"))
    assert [r.mode for r in runs] == ["shadow", "shadow"]
    for run in runs:
        assert run_advance(run_id=run.id).status == "completed"
    assert sandbox.inspect("jira")["issues"] == {}  # nothing written
    # People handle ticket 1 as the SOP would (issue + internal note) and ticket 2 differently (tags only).
    human_jira_issue(client, "ENG-77", 1)
    note = ticket_body(
        1, event="ticket.updated", latest_comment={"author_email": "agent@sopdesk.example", "public": "false"}
    )
    post_zendesk(client, note, invocation="t1-note")
    post_zendesk(
        client,
        ticket_body(
            2,
            event="ticket.updated",
            tags="product-bug wontfix",
            requester={"email": "bob@globex.example", "name": "Bob"},
        ),
        invocation="t2-tag",
    )
    (report,) = shadow_compare()
    assert (report.procedure, report.runs, report.agreed) == ("Escalation (shadow)", 2, 1)
    (disagreement,) = report.disagreements
    assert disagreement["agent"] == ["jira.create_issue", "zendesk.add_note"]
    assert disagreement["people"] == ["zendesk.add_tags"]
    call_command("shadow_report")
    assert "Escalation (shadow)" in capsys.readouterr().out
