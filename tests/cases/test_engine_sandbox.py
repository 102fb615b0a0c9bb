"""The shell against the sandbox emulators, in-process: real connectors, real idempotency."""

from __future__ import annotations

import datetime as dt

import pytest

from cases import services
from cases.intake import event_process
from cases.models import ReviewItem, Run, StepExecution
from cases.services import hold_resolve, run_advance, run_start
from connectors import registry
from tests.cases.graphs import escalation
from tests.factories import CaseFactory, ProcedureVersionFactory

pytestmark = pytest.mark.django_db


def start(email: str, ticket_id: str = "1", mode=Run.Mode.LIVE) -> Run:
    version = ProcedureVersionFactory(graph=escalation().to_json(), status="published")
    case = CaseFactory(
        source="zendesk",
        external_id=ticket_id,
        requester_email=email,
        external_url="https://zd/1",
        facts={"ticket_id": ticket_id, "tags": ["product-bug"]},
    )
    return run_start(case=case, version=version, mode=mode, enqueue=False)


def jira_issues(sandbox) -> dict:
    return sandbox.inspect("jira")["issues"]


def test_enterprise_ticket_opens_one_highest_bug_and_notes_the_key(sandbox):
    run = run_advance(run_id=start("alice@acme.example").id)
    assert (run.status, run.outcome) == ("completed", "resolved"), run.executions.values()
    (issue,) = jira_issues(sandbox).values()
    assert issue["fields"]["priority"]["name"] == "Highest"
    create = run.executions.get(step_key="open_bug")
    assert create.idempotency_key == f"sopdesk-run{run.id}-open_bug-1"
    assert create.result["key"] == issue["key"]
    comments = sandbox.inspect("zendesk")["tickets"][1]["comments"]
    assert any(issue["key"] in c["body"] for c in comments)


def test_requester_without_account_is_held_then_resumed_by_a_reviewer(sandbox, reviewer):
    run = run_advance(run_id=start("pat@nowhere.example", "4").id)
    assert run.status == "held"
    item = ReviewItem.objects.get(run=run)
    assert item.reason == "missing_fact" and "nothing found" in item.summary
    assert not jira_issues(sandbox)
    hold_resolve(item=item, outcome="continue", params={"facts": {"plan": "Pro", "name": "Unknown Co"}}, user=reviewer)
    run = run_advance(run_id=run.id)
    assert run.status == "completed"
    (issue,) = jira_issues(sandbox).values()
    assert issue["fields"]["priority"]["name"] == "High"


def test_two_matching_accounts_are_a_conflict(sandbox):
    run = run_advance(run_id=start("dan@umbrella.example").id)
    item = ReviewItem.objects.get(run=run)
    assert item.reason == "conflicting_fact" and len(item.proposal["candidates"]) == 2


def test_dry_run_reads_but_never_writes(sandbox):
    run = run_advance(run_id=start("alice@acme.example", mode=Run.Mode.DRY_RUN).id)
    assert run.status == "completed"
    assert not jira_issues(sandbox)
    skipped = run.executions.get(step_key="open_bug")
    assert skipped.status == "skipped" and skipped.request["params"]["priority"] == "Highest"


def test_a_step_left_started_by_a_dead_worker_is_redone_with_the_same_key(sandbox):
    """What a worker killed after the remote write leaves behind: the write happened, the trace row did not finish."""
    run = start("alice@acme.example")
    pending = None
    while not isinstance(pending, StepExecution) or pending.step_key != "open_bug":
        pending = services._advance_once(run.id)
        if isinstance(pending, StepExecution) and pending.step_key != "open_bug":
            services._perform(run.id, pending)
    operation = registry.get("jira.create_issue")
    operation.load_handler()(pending.request["params"], idempotency_key=pending.idempotency_key)  # the write
    assert len(jira_issues(sandbox)) == 1
    assert run_advance(run_id=run.id).status == "running"  # lease still held by the "dead" worker
    StepExecution.objects.filter(id=pending.id).update(started_at=pending.started_at - dt.timedelta(hours=1))
    run = run_advance(run_id=run.id)
    assert run.status == "completed"
    assert len(jira_issues(sandbox)) == 1
    redone = StepExecution.objects.get(id=pending.id)
    assert (redone.status, redone.attempt) == ("succeeded", 2)


def test_missing_photo_is_asked_for_and_the_reply_with_a_photo_reaches_the_approval(sandbox, client, settings):
    import json

    from cases.webhooks import zendesk as zendesk_hook
    from procedures.models import Procedure
    from tests.cases.graphs import claim

    settings.WEBHOOK_SECRETS = {**settings.WEBHOOK_SECRETS, "zendesk": "s3cret"}
    procedure = Procedure.objects.create(name="Claims", slug="claims", trigger={"source": "zendesk", "group": "Claims"})
    procedure.published_version = ProcedureVersionFactory(
        procedure=procedure, graph=claim().to_json(), status="published"
    )
    procedure.save()

    def post(event: str, invocation: str, **ticket):
        body = json.dumps(
            {
                "event": event,
                "ticket": {
                    "id": "5",
                    "subject": "Damaged pallet",
                    "group": "Claims",
                    "requester": {"email": "alice@acme.example"},
                    "fields": {"tracking_number": "1Z0000000000008400", "claim_amount": "8400"},
                    **ticket,
                },
            }
        ).encode()
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        headers = {
            "X-Zendesk-Webhook-Signature": zendesk_hook.sign("s3cret", stamp, body),
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
            "X-Zendesk-Webhook-Invocation-Id": invocation,
        }
        response = client.post("/hooks/zendesk/", body, content_type="application/json", headers=headers)
        (event_id,) = response.json()["queued"]
        return event_process(event_id=event_id)  # the intake task the answer queued, as the worker runs it

    (run_id,) = post("ticket.created", "c1").runs_started
    run = run_advance(run_id=run_id)
    assert (run.status, run.current_step) == ("waiting", "wait_photo")
    asked = sandbox.inspect("zendesk")["tickets"][5]["comments"][-1]
    assert asked["public"] and "photo" in asked["body"]
    reply = post(
        "ticket.updated",
        "c2",
        latest_comment={"author_email": "alice@acme.example", "public": True},
        attachments=[{"name": "crushed.jpg", "content_type": "image/jpeg", "url": "https://f/crushed.jpg"}],
    )
    assert reply.runs_woken == [run_id]
    run = run_advance(run_id=run_id)
    assert run.status == "held"
    assert ReviewItem.objects.get(run=run).reason == "approval"


@pytest.mark.parametrize("mode", [Run.Mode.DRY_RUN, Run.Mode.SHADOW])
def test_dry_and_shadow_runs_never_write_case_data_or_start_clocks(sandbox, mode):
    from cases.models import Case
    from cases.sla.models import SlaClock, SlaPolicy

    SlaPolicy.objects.create(name="Enterprise", match_tiers=["enterprise"], first_response_target=dt.timedelta(hours=1))
    run = run_advance(run_id=start("alice@acme.example", mode=mode).id)
    assert run.status == "completed"
    case = Case.objects.get(id=run.case_id)
    assert "tier" not in case.facts, "the plan read from Salesforce is not learned by a dry or shadow run"
    assert not SlaClock.objects.filter(case=case).exists()
