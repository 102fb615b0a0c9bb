"""Product bug escalation, every row of its table: signed Zendesk webhook → django-q2 cluster → connectors → sandbox."""

from __future__ import annotations

import pytest

from cases.models import InboundEvent, ReviewItem, Run
from tests.cases.e2e import ESCALATION_TRIGGER, ZENDESK_SECRET, post_zendesk, publish, run_settled, ticket_payload

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TICKETS = {
    "enterprise": dict(
        ticket_id=1,
        subject="Export to CSV crashes",
        description="Exporting the Q3 report crashes.",
        email="alice@acme.example",
        name="Alice Adams",
        org="Acme Corp",
    ),
    "pro": dict(
        ticket_id=2,
        subject="Dashboard shows wrong totals",
        description="Totals are off by one.",
        email="bob@globex.example",
        name="Bob Brown",
        org="Globex",
    ),
    "free": dict(
        ticket_id=3,
        subject="Dark mode flickers",
        description="The screen flickers.",
        email="carol@initech.example",
        name="Carol Chen",
        org="Initech",
    ),
    "no_org": dict(
        ticket_id=4,
        subject="Login loop",
        description="Sent back to the login page.",
        email="pat@nowhere.example",
        name="Pat Doe",
        org=None,
    ),
}


@pytest.fixture
def escalation(transactional_db, sandbox, settings):
    settings.WEBHOOK_SECRETS = {**settings.WEBHOOK_SECRETS, "zendesk": ZENDESK_SECRET}
    return publish("escalation.md", name="Product bug escalation", trigger=ESCALATION_TRIGGER)


def opportunity_risk(sandbox, account_name: str) -> int:
    records = sandbox.inspect("salesforce")["records"]
    account = next(a for a in records["Account"].values() if a["Name"] == account_name)
    opportunity = next(o for o in records["Opportunity"].values() if o["AccountId"] == account["Id"])
    return opportunity["Risk_Score__c"]


def ticket(sandbox, ticket_id: int) -> dict:
    return sandbox.inspect("zendesk")["tickets"][ticket_id]


def added_comments(sandbox, ticket_id: int) -> list[dict]:
    return ticket(sandbox, ticket_id)["comments"][1:]  # the first is the requester's description


def deliver(client, row: str, *, invocation: str = "inv-1"):
    post_zendesk(client, ticket_payload(**TICKETS[row]), invocation=invocation)
    return run_settled({"source": "zendesk", "external_id": str(TICKETS[row]["ticket_id"])})


def test_enterprise_account_gets_a_highest_bug_a_note_risk_45_and_one_mail(escalation, sandbox, qcluster, client):
    run = deliver(client, "enterprise")
    assert run.status == Run.Status.COMPLETED, list(run.executions.values("step_key", "status", "error"))
    (issue,) = sandbox.inspect("jira")["issues"].values()
    fields = issue["fields"]
    assert fields["project"]["key"] == "ENG" and fields["issuetype"]["name"] == "Bug"
    assert fields["priority"]["name"] == "Highest"
    assert fields["summary"] == "Export to CSV crashes"
    assert (
        "Acme Corp" in fields["description"] and f"{sandbox.urls['zendesk']}/agent/tickets/1" in fields["description"]
    )
    (note,) = [c for c in added_comments(sandbox, 1) if not c["public"]]
    assert issue["key"] in note["body"]
    assert "jira-linked" in ticket(sandbox, 1)["tags"]
    assert opportunity_risk(sandbox, "Acme Corp") == 45
    (mail,) = sandbox.mail()
    assert mail["to"] == ["erin.am@sopdesk.example"]
    assert issue["key"] in mail["body"]


def test_pro_account_gets_a_high_bug_and_risk_capped_at_100(escalation, sandbox, qcluster, client):
    run = deliver(client, "pro")
    assert run.status == Run.Status.COMPLETED, list(run.executions.values("step_key", "status", "error"))
    (issue,) = sandbox.inspect("jira")["issues"].values()
    assert issue["fields"]["priority"]["name"] == "High"
    assert any(issue["key"] in c["body"] and not c["public"] for c in added_comments(sandbox, 2))
    assert "jira-linked" in ticket(sandbox, 2)["tags"]
    assert opportunity_risk(sandbox, "Globex") == 100
    assert sandbox.mail() == []


def test_free_account_gets_a_public_reply_and_the_community_tag_only(escalation, sandbox, qcluster, client):
    run = deliver(client, "free")
    assert run.status == Run.Status.COMPLETED, list(run.executions.values("step_key", "status", "error"))
    (reply,) = added_comments(sandbox, 3)
    assert reply["public"]
    assert "community-bug" in ticket(sandbox, 3)["tags"]
    assert sandbox.inspect("jira")["issues"] == {}
    assert opportunity_risk(sandbox, "Initech") == 10
    assert sandbox.mail() == []


def test_same_webhook_three_times_acts_once(escalation, sandbox, qcluster, client):
    for _ in range(3):
        post_zendesk(client, ticket_payload(**TICKETS["enterprise"]), invocation="same-delivery")
    run = run_settled({"source": "zendesk", "external_id": "1"})
    assert run.status == Run.Status.COMPLETED
    assert Run.objects.count() == 1
    assert InboundEvent.objects.filter(status="duplicate").count() == 2
    assert len(sandbox.inspect("jira")["issues"]) == 1
    assert len([c for c in added_comments(sandbox, 1) if not c["public"]]) == 1
    assert opportunity_risk(sandbox, "Acme Corp") == 45
    assert len(sandbox.mail()) <= 1


def test_requester_without_organization_waits_for_a_reviewer(escalation, sandbox, qcluster, client):
    run = deliver(client, "no_org")
    assert run.status == Run.Status.HELD
    item = ReviewItem.objects.get(run=run)
    assert item.reason == ReviewItem.Reason.MISSING_FACT and item.status == "open"
    assert "nothing found" in item.summary or "missing" in item.summary
    assert {o["key"] for o in item.allowed_outcomes} >= {"continue", "stop"}
    assert added_comments(sandbox, 4) == [] and ticket(sandbox, 4)["tags"] == ["product-bug"]
    assert sandbox.inspect("jira")["issues"] == {}
    assert sandbox.mail() == []
