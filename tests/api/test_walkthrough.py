"""The newcomer's walkthrough, using only what /api/docs/ shows: create a procedure, compile it,
publish it, push cases through it, decide the one that needs a person, read the timeline.

The worker's part (django-q2 running `cases.tasks.run_advance_task`) is played in-process.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from cases.tasks import run_advance_task
from tests.api.conftest import bearer, signed_in

pytestmark = pytest.mark.django_db

SOP = """Refund requests

1. If the amount is over $500, hand the case to Finance.
2. Otherwise close the ticket.
"""


def test_newcomer_creates_publishes_and_pushes_cases_through_a_procedure(ops_manager, admin_user, integration_token):
    ops = signed_in(ops_manager)

    # 1. POST /api/v1/procedures/ — the SOP text and what starts it
    response = ops.post(
        "/api/v1/procedures/",
        {"name": "Refund requests", "source": SOP, "trigger": {"source": "api", "events": ["refund.requested"]}},
        format="json",
    )
    assert response.status_code == 201, response.content
    procedure = response.json()
    version_id = procedure["latest_version"]

    # 2. POST /api/v1/versions/{id}/compile/
    response = ops.post(f"/api/v1/versions/{version_id}/compile/", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "compiled", response.json()["errors"]

    # 3. GET /api/v1/steps/?version={id} — read what it compiled into, sentence by sentence
    steps = ops.get(f"/api/v1/steps/?version={version_id}").json()["results"]
    assert {s["kind"] for s in steps} == {"decide", "end"}
    assert all(s["instruction"] for s in steps)

    # 4. POST /api/v1/versions/{id}/publish/ — the approval role "Finance" is no group yet: confirm creating it
    response = ops.post(f"/api/v1/versions/{version_id}/publish/")
    assert response.status_code == 400 and response.json()["error"]["issues"][0]["roles_to_create"] == ["Finance"]
    response = ops.post(f"/api/v1/versions/{version_id}/publish/", {"confirm_warnings": True}, format="json")
    assert response.status_code == 200, response.content
    assert ops.get(f"/api/v1/procedures/{procedure['id']}/").json()["published_version"] == version_id

    # 5. POST /api/v1/cases/ — the integration pushes two cases (with an Idempotency-Key)
    integration = bearer(integration_token)
    created = {}
    for key, amount in (("R-1", 120), ("R-2", 800)):
        response = integration.post(
            "/api/v1/cases/",
            {"event": "refund.requested", "case": {"external_id": key, "subject": f"Refund {key}", "amount": amount}},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"refund-{key}",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert len(body["runs_started"]) == 1
        created[key] = body

    # The same delivery again changes nothing.
    again = integration.post(
        "/api/v1/cases/",
        {"event": "refund.requested", "case": {"external_id": "R-1", "subject": "Refund R-1", "amount": 120}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="refund-R-1",
    )
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["case"]["id"] == created["R-1"]["case"]["id"]

    # (the worker advances the runs)
    for body in created.values():
        run_advance_task(body["runs_started"][0])

    # 6. GET /api/v1/runs/{id}/ and GET /api/v1/cases/{id}/ — the small refund closed itself
    small, large = created["R-1"], created["R-2"]
    run = integration.get(f"/api/v1/runs/{small['runs_started'][0]}/").json()
    assert (run["status"], run["outcome"]) == ("completed", "closed")
    assert integration.get(f"/api/v1/cases/{small['case']['id']}/").json()["status"] == "closed"

    # 7. GET /api/v1/cases/{id}/timeline/ — each step with the SOP sentence it came from
    timeline = integration.get(f"/api/v1/cases/{large['case']['id']}/timeline/").json()["entries"]
    assert timeline[0]["kind"] == "event"
    assert any("amount is over $500" in e["instruction"] for e in timeline)

    # 8. GET /api/v1/review-items/?case={id} — the large one was handed to Finance
    items = integration.get(f"/api/v1/review-items/?case={large['case']['id']}&status=open").json()["results"]
    assert len(items) == 1 and items[0]["required_role"] == "Finance"

    # 9. POST /api/v1/review-items/{id}/decide/ — someone in Finance takes it over
    finance = Group.objects.get(name="Finance")  # created when the version was published
    admin_user.groups.add(finance)
    response = signed_in(admin_user).post(
        f"/api/v1/review-items/{items[0]['id']}/decide/", {"outcome": "done", "note": "Refunded"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "decided"
