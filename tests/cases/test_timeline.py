"""The case timeline: ordered steps with their SOP sentences, facts used, actions with links; for case readers."""

from __future__ import annotations

import json

import pytest

from cases.models import Run
from cases.selectors import case_timeline
from cases.services import run_advance, run_start
from tests.cases.graphs import escalation
from tests.factories import CaseFactory, ProcedureVersionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_case(sandbox):
    version = ProcedureVersionFactory(graph=escalation().to_json(), status="published")
    case = CaseFactory(
        source="zendesk",
        external_id="1",
        requester_email="alice@acme.example",
        external_url="https://sandbox.zendesk.com/agent/tickets/1",
        facts={"ticket_id": "1"},
    )
    run = run_start(case=case, version=version, mode=Run.Mode.LIVE, enqueue=False)
    assert run_advance(run_id=run.id).status == "completed"
    return case


def test_timeline_lists_steps_in_order_with_sentence_facts_and_links(finished_case):
    entries = case_timeline(case=finished_case)
    assert [e.step_key for e in entries] == ["find_account", "is_free", "open_bug", "note", "done"]
    find = entries[0]
    assert find.instruction.startswith("Find the requester's organization")
    assert find.facts_used == {"case.requester_email": "alice@acme.example"}
    decide = entries[1]
    assert decide.facts_used == {"account.plan": "Enterprise"} and decide.decision == {"branch": "otherwise"}
    bug = entries[2]
    assert bug.request["operation"] == "jira.create_issue" and bug.idempotency_key.endswith("-open_bug-1")
    assert any("/browse/ENG-" in url for _, url in bug.links)


def test_timeline_page_is_for_reviewers_ops_managers_and_staff(finished_case, client, reviewer, outsider):
    url = f"/cases/{finished_case.id}/timeline/"
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    client.force_login(reviewer)
    assert client.get(url).status_code == 200
    client.force_login(UserFactory(username="staffer", is_staff=True))
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Find the requester" in html and "jira.create_issue" in html and "/browse/ENG-" in html


def test_try_page_runs_a_dry_run_on_a_pasted_case(sandbox, client):
    version = ProcedureVersionFactory(graph=escalation().to_json(), status="compiled")
    client.force_login(UserFactory(username="staffer", is_staff=True))
    url = f"/cases/try/{version.id}/"
    assert client.get(url).status_code == 200
    sample = {
        "subject": "Crash",
        "description": "It crashes",
        "requester": {"email": "bob@globex.example"},
        "tags": ["product-bug"],
    }
    page = client.post(url, {"sample": json.dumps(sample)})
    assert page.status_code == 200
    html = page.content.decode()
    assert "would write" in html and "<th>priority</th><td>High</td>" in html
    assert sandbox.inspect("jira")["issues"] == {}
    assert client.post(url, {"sample": "{oops"}).status_code == 400
