"""The insights API: list, dismiss, draft, report preview, regression cases (pin, check)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from reviews.models import Insight, RegressionCase
from tests.reviews.insights.factories import planted_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(ops_manager):
    client = APIClient()
    client.force_login(ops_manager)
    return client


def test_list_dismiss_and_draft_through_the_api(api, reviewer):
    planted_history()
    listed = api.get("/api/v1/insights/?procedure=billing-disputes&kind=association").json()["results"]
    routed = next(i for i in listed if i["detail"]["outcome"] == "routed:Engineering")
    assert routed["detail"]["confidence"] == 0.4 and routed["procedure"] == "billing-disputes"
    assert "+1. If the ticket is tagged billing-dispute" in routed["diff"]

    drafted = api.post(f"/api/v1/insights/{routed['id']}/draft/").json()
    assert drafted["draft_version"] == 2
    assert drafted["simulated_impact"]["changed_path"] == 40

    dismissed = api.post(f"/api/v1/insights/{routed['id']}/dismiss/", {"note": "done"}, format="json").json()
    assert (dismissed["status"], dismissed["note"]) == ("dismissed", "done")

    other = Insight.objects.filter(amended_source="").first()
    answer = api.post(f"/api/v1/insights/{other.id}/draft/")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "no_amendment"

    outsider = APIClient()
    outsider.force_login(reviewer)
    assert outsider.get("/api/v1/insights/").status_code == 403


def test_report_preview_and_regression_cases(api):
    summary, _ = planted_history(days=6)
    report = api.get("/api/v1/insights/report/?procedure=billing-disputes").json()
    [figures] = report["procedures"]
    assert figures["cases"] == 250 and figures["holds_by_reason"]["judgement"] > 200
    assert api.get("/api/v1/insights/report/?procedure=nope").status_code == 400

    cases = api.get("/api/v1/regression-cases/?procedure=billing-disputes").json()["results"]
    assert cases and all(c["source"] == "override" for c in cases)
    pinned = api.post(
        "/api/v1/regression-cases/", {"procedure": "billing-disputes", "case": summary.first_case_id, "note": "x"},
        format="json",
    )  # fmt: skip
    assert pinned.status_code == 201 and pinned.json()["source"] == "pinned"

    from procedures.models import Procedure

    version = Procedure.objects.get(slug="billing-disputes").published_version
    [check] = api.post("/api/v1/regression-cases/check/", {"version": version.id}, format="json").json()["checks"]
    assert check["held"] + check["right"] + check["wrong"] == RegressionCase.objects.count()
    assert check["wrong"] == 0
