"""Dry runs are dry: a sample case walks the SOP in memory, the person answers its questions, nothing is stored."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from rest_framework.test import APIClient

from cases.models import Case, InboundEvent, ReviewItem, Run, StepExecution, Timer
from cases.sla.models import EscalationRule, SlaClock, SlaContact, SlaPolicy
from cases.sla.selectors import sla_attainment
from cases.sla.sweep import sla_sweep
from cases.tryout import version_try, version_try_continue
from tests.cases.graphs import escalation
from tests.factories import ProcedureVersionFactory, UserFactory

pytestmark = pytest.mark.django_db

REFUND = {
    "title": "Refunds",
    "start": "judge",
    "steps": [
        {
            "kind": "decide",
            "key": "judge",
            "title": "Is the refund fair?",
            "instruction": "Refund when the customer was clearly wronged; otherwise explain the policy.",
            "judgement": {
                "question": "Was the customer clearly wronged?",
                "outcomes": [
                    {"key": "refund", "label": "Refund", "next": "refund"},
                    {"key": "decline", "label": "Explain the policy", "next": "explain"},
                ],
            },
        },
        {
            "kind": "act",
            "key": "refund",
            "title": "Tell them the refund is on its way",
            "operation": "zendesk.reply",
            "params": {"ticket_id": "{{ case.ticket_id }}", "body": "Refund of {{ case.amount }} on its way."},
            "next": "wait",
        },
        {
            "kind": "wait",
            "key": "wait",
            "title": "Wait for the customer",
            "delay": {"days": 3},
            "for_event": "customer.replied",
            "on_event": "thanks",
            "next": "close",
        },
        {
            "kind": "act",
            "key": "thanks",
            "title": "Thank them",
            "operation": "zendesk.add_note",
            "params": {"ticket_id": "{{ case.ticket_id }}", "body": "Customer replied."},
            "next": "close",
        },
        {
            "kind": "act",
            "key": "explain",
            "title": "Explain the policy",
            "operation": "email.send",
            "params": {"to": "{{ [case.requester_email] }}", "subject": "Our policy", "body": "Sorry."},
            "next": "close",
        },
        {"kind": "end", "key": "close", "title": "Close as solved", "outcome": "closed", "case_status": "resolved"},
    ],
}
SAMPLE = {"subject": "Refund please", "requester": {"email": "dee@shop.example"}, "amount": 40, "tags": ["refund"]}


@pytest.fixture
def version(db):
    return ProcedureVersionFactory(graph=REFUND, status="compiled")


@pytest.fixture
def sla_everyone(db):
    """A policy every case matches, whose rules would mail the team lead at once: any stored case would show."""
    policy = SlaPolicy.objects.create(
        name="Everyone", first_response_target=dt.timedelta(minutes=1), assignment_target=dt.timedelta(minutes=1)
    )
    EscalationRule.objects.create(
        policy=policy,
        key="nobody-assigned",
        clock="assignment",
        anchor="start",
        offset=dt.timedelta(0),
        action="notify",
        roles=["team_lead"],
    )
    SlaContact.objects.create(role="team_lead", email="lead@sopdesk.example")
    return policy


def stored() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (Case, Run, StepExecution, Timer, ReviewItem, SlaClock, InboundEvent)
    }


def test_a_judgement_is_answered_inside_the_dry_run_and_both_branches_can_be_walked(version):
    first = version_try(version=version, sample=json.dumps(SAMPLE))
    assert first.status == "held" and first.question.reason == "judgement"
    assert [o["key"] for o in first.question.outcomes] == ["refund", "decline", "stop"]

    refund = version_try_continue(version=version, token=first.token, outcome="refund")
    assert refund.status == "waiting" and refund.question.kind == "wait"
    (write,) = refund.writes
    assert (write.operation, write.request["body"]) == ("zendesk.reply", "Refund of 40 on its way.")
    replied = version_try_continue(version=version, token=refund.token, outcome="event")
    assert (replied.status, replied.outcome) == ("completed", "closed")
    assert [s.step_key for s in replied.steps] == ["judge", "judge", "refund", "wait", "wait", "thanks", "close"]
    timed_out = version_try_continue(version=version, token=refund.token, outcome="timer")
    assert [s.step_key for s in timed_out.steps][-2:] == ["wait", "close"]

    decline = version_try_continue(version=version, token=first.token, outcome="decline")
    assert decline.status == "completed"
    assert [(w.operation, w.request["to"]) for w in decline.writes] == [("email.send", ["dee@shop.example"])]
    assert "would be marked resolved" in decline.steps[-1].summary


def test_a_sample_dry_run_leaves_no_trace_in_lists_clocks_attainment_or_mail(version, sla_everyone, client):
    ops = UserFactory(username="olga", is_staff=True, is_superuser=True)
    api = APIClient()
    api.force_login(ops)
    client.force_login(ops)
    before = stored()
    attainment_before = sla_attainment(days=30)

    started = api.post("/api/v1/runs/dry-run/", {"version": version.id, "case": SAMPLE}, format="json")
    assert started.status_code == 200, started.content
    body = started.json()
    assert body["status"] == "held" and body["question"]["reason"] == "judgement"
    answered = api.post(
        "/api/v1/runs/dry-run/",
        {"version": version.id, "token": body["token"], "answer": {"outcome": "decline"}},
        format="json",
    )
    assert answered.status_code == 200, answered.content
    assert answered.json()["writes"] == [
        {
            "step_key": "explain",
            "operation": "email.send",
            "params": {"to": ["dee@shop.example"], "subject": "Our policy", "body": "Sorry."},
        }
    ]

    assert stored() == before
    assert api.get("/api/v1/cases/").json()["results"] == []
    assert sla_sweep(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).selected == 0
    assert sla_attainment(days=30) == attainment_before == []
    page = client.get("/sla/attainment/")
    assert page.status_code == 200 and 'id="sla-attainment"' not in page.content.decode()  # no rows at all
    assert mail.outbox == []


def test_a_bad_answer_or_a_forged_token_is_a_400_that_says_what_to_fix(version):
    api = APIClient()
    api.force_login(UserFactory(username="olga", is_staff=True, is_superuser=True))
    body = api.post("/api/v1/runs/dry-run/", {"version": version.id, "case": SAMPLE}, format="json").json()
    wrong = api.post(
        "/api/v1/runs/dry-run/",
        {"version": version.id, "token": body["token"], "answer": {"outcome": "approve"}},
        format="json",
    )
    assert wrong.status_code == 400 and "refund, decline, stop" in wrong.json()["error"]["message"]
    forged = api.post(
        "/api/v1/runs/dry-run/",
        {"version": version.id, "token": body["token"] + "x", "answer": {"outcome": "refund"}},
        format="json",
    )
    assert forged.status_code == 400 and "start it again" in forged.json()["error"]["message"]
    nothing = api.post("/api/v1/runs/dry-run/", {"version": version.id}, format="json")
    assert nothing.status_code == 400


def test_a_missing_fact_is_entered_in_the_dry_run_typed_and_the_walk_goes_on(sandbox):
    version = ProcedureVersionFactory(graph=escalation().to_json(), status="compiled")
    sample = {"subject": "Crash", "requester": {"email": "pat@nowhere.example"}, "tags": ["product-bug"]}
    asked = version_try(version=version, sample=sample)
    assert asked.status == "held" and asked.question.reason == "missing_fact"
    facts = {a["name"]: a for a in asked.question.asks}
    assert facts["plan"]["choices"] == ["Free", "Enterprise"] and {"plan", "name"} <= set(facts)
    done = version_try_continue(
        version=version,
        token=asked.token,
        outcome="continue",
        params={"facts": {"plan": "Enterprise", "name": "Nowhere Inc"}},
    )
    assert done.status == "completed", done.steps
    (bug, _note) = done.writes
    assert bug.request["priority"] == "Highest" and "Nowhere Inc" in bug.request["description"]
    assert sandbox.inspect("jira")["issues"] == {}


def test_the_try_page_shows_the_path_and_would_be_writes_as_tables_and_takes_answers(version, client):
    client.force_login(UserFactory(username="staffer", is_staff=True))
    url = f"/cases/try/{version.id}/"
    page = client.post(url, {"sample": json.dumps(SAMPLE)})
    html = page.content.decode()
    assert page.status_code == 200 and "data-try-question" in html and "Was the customer clearly wronged?" in html
    assert "sopdesk" in html and "Django administration" not in html
    token = html.split('name="token" value="', 1)[1].split('"', 1)[0]
    answered = client.post(url, {"token": token, "outcome": "decline", "sample": json.dumps(SAMPLE)}).content.decode()
    assert "Writes it would make" in answered and "<th>to</th><td>dee@shop.example</td>" in answered
    assert "{&#x27;" not in answered and "{'" not in answered  # no Python dicts
    assert client.post(url, {"sample": "{oops"}).status_code == 400
    assert Case.objects.count() == 0


def test_an_approval_is_given_or_refused_inside_the_dry_run():
    from tests.cases.graphs import claim

    version = ProcedureVersionFactory(graph=claim().to_json(), status="compiled")
    sample = {
        "subject": "Crushed pallet",
        "amount": 8400,
        "fields": {"tracking_number": "1Z1"},
        "attachments": [{"name": "crushed.jpg", "content_type": "image/jpeg", "url": "https://f.example/1.jpg"}],
    }
    asked = version_try(version=version, sample=sample)
    assert asked.question.reason == "approval" and [o["key"] for o in asked.question.outcomes] == ["approve", "reject"]
    approved = version_try_continue(version=version, token=asked.token, outcome="approve")
    assert [w.operation for w in approved.writes] == ["carrier.file_claim"] and approved.status == "waiting"
    assert approved.writes[0].request["amount"] == 8400
    rejected = version_try_continue(version=version, token=asked.token, outcome="reject")
    assert (rejected.status, rejected.outcome, rejected.writes) == ("completed", "closed", [])
