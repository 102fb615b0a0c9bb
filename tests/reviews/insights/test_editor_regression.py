"""The SOP editor and the API show a draft's regression-case results before publish; publishing names the failing ones."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from rest_framework.test import APIClient

from cases.judgements import hold_consult
from procedures.models import ProcedureVersion
from procedures.roles import role_sync
from procedures.services import version_create_and_compile
from reviews.insights.history import billing_procedure_ensure
from reviews.models import RegressionRun
from tests.reviews.insights.test_regression import BREAKING, FIXED, decide, held

pytestmark = pytest.mark.django_db


@pytest.fixture
def overridden(sandbox, reviewer, ops_manager, settings):
    """Billing disputes with one reviewer override (a product bug stopped, not resolved) and two agreements."""
    settings.OPENAI_API_KEY = ""
    role_sync(group_model=Group, permission_model=Permission)
    procedure = billing_procedure_ensure()
    v1 = procedure.published_version
    for n in (1, 2):
        decide(held(v1, n, ["billing-dispute"]), reviewer, "none")
    bug = held(v1, 3, ["billing-dispute", "product-bug"])
    assert hold_consult(item_id=bug.id).outcome == "none", "the precedent proposes what people did before"
    decide(bug, reviewer, "stop")
    return procedure, bug.case


def test_a_breaking_draft_shows_the_failing_case_in_the_editor_before_publish(client, ops_manager, overridden):
    procedure, bug_case = overridden
    breaking = version_create_and_compile(procedure=procedure, source=BREAKING, created_by=ops_manager)
    client.force_login(ops_manager)

    page = client.get(reverse("procedures:editor", args=[breaking.pk])).content.decode()

    assert 'id="regression-panel"' in page
    assert "0 of 1 right, 1 wrong" in page
    assert f'href="/cases/{bug_case.id}/timeline/">#{bug_case.id}</a>' in page
    assert "ends stopped" in page and "ends resolved after zendesk.add_note, zendesk.add_tags" in page
    assert "<strong>wrong</strong>" in page
    client.get(reverse("procedures:editor", args=[breaking.pk]))
    assert RegressionRun.objects.filter(version=breaking).count() == 1, "a second view reuses the replay"


def test_publishing_a_breaking_draft_asks_naming_the_failing_case_and_publishes_only_when_confirmed(
    client, ops_manager, overridden
):
    procedure, bug_case = overridden
    breaking = version_create_and_compile(procedure=procedure, source=BREAKING, created_by=ops_manager)
    client.force_login(ops_manager)
    publish = reverse("procedures:publish", args=[breaking.pk])

    asked = client.post(publish)

    assert asked.status_code == 200
    text = asked.content.decode()
    assert "Regression cases this version gets wrong (1)" in text
    assert f"#{bug_case.id}</a> {bug_case.subject}" in text
    breaking.refresh_from_db()
    assert breaking.status == ProcedureVersion.Status.COMPILED, "nothing published before the confirmation"

    client.post(publish, {"confirm_warnings": "yes"})
    breaking.refresh_from_db()
    assert breaking.status == ProcedureVersion.Status.PUBLISHED


def test_a_draft_that_keeps_the_fixed_answer_shows_it_right_and_publishing_does_not_name_it(
    client, ops_manager, overridden
):
    procedure, bug_case = overridden
    fixed = version_create_and_compile(procedure=procedure, source=FIXED, created_by=ops_manager)
    client.force_login(ops_manager)

    page = client.get(reverse("procedures:editor", args=[fixed.pk])).content.decode()
    assert "1 of 1 right, 0 wrong" in page
    assert f'data-case="{bug_case.id}"' in page and "ends stopped after jira.create_issue" in page

    asked = client.post(reverse("procedures:publish", args=[fixed.pk])).content.decode()
    assert "open question" in asked, "the agent's judgement sentence still needs its own confirmation"
    assert "Regression cases this version gets wrong" not in asked
    client.post(reverse("procedures:publish", args=[fixed.pk]), {"confirm_warnings": "yes"})
    fixed.refresh_from_db()
    assert fixed.status == ProcedureVersion.Status.PUBLISHED


def test_the_published_version_shows_no_regression_panel(client, ops_manager, overridden):
    procedure, _ = overridden
    client.force_login(ops_manager)
    page = client.get(reverse("procedures:editor", args=[procedure.published_version_id])).content.decode()
    assert 'id="regression-panel"' not in page


def _api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_publishing_a_breaking_draft_through_the_api_names_the_failing_case_and_publishes_only_when_confirmed(
    ops_manager, overridden
):
    procedure, bug_case = overridden
    breaking = version_create_and_compile(procedure=procedure, source=BREAKING, created_by=ops_manager)
    api, url = _api(ops_manager), f"/api/v1/versions/{breaking.pk}/publish/"

    refused = api.post(url, {}, format="json")

    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "confirmation_required"
    assert f"gets 1 regression case wrong (#{bug_case.id})" in error["message"]
    regression = next(issue for issue in error["issues"] if issue["kind"] == "regression_cases")
    assert regression["summary"].startswith("0 of 1 right, 1 wrong")
    assert [(w["case"], w["subject"], w["expected"], w["got"]) for w in regression["wrong"]] == [
        (bug_case.id, bug_case.subject, "ends stopped", "ends resolved after zendesk.add_note, zendesk.add_tags")
    ]
    breaking.refresh_from_db()
    assert breaking.status == ProcedureVersion.Status.COMPILED, "nothing published before the confirmation"

    published = api.post(url, {"confirm_warnings": True}, format="json")
    assert published.status_code == 200, published.json()
    breaking.refresh_from_db()
    assert breaking.status == ProcedureVersion.Status.PUBLISHED


def test_a_draft_that_keeps_the_fixed_answer_is_not_refused_through_the_api_for_its_regression_cases(
    ops_manager, overridden
):
    procedure, _ = overridden
    fixed = version_create_and_compile(procedure=procedure, source=FIXED, created_by=ops_manager)

    refused = _api(ops_manager).post(f"/api/v1/versions/{fixed.pk}/publish/", {}, format="json")

    assert refused.status_code == 400, "the agent's judgement sentence still needs its own confirmation"
    error = refused.json()["error"]
    assert "regression" not in error["message"]
    assert all(issue.get("kind") != "regression_cases" for issue in error["issues"])
