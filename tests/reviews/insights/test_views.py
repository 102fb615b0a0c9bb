"""The insights page, one insight, the amendment button, dismissing, the regression panel and the report page."""

from __future__ import annotations

import email
import email.policy

import pytest

from reviews.insights.history import billing_procedure_ensure
from reviews.models import Insight
from tests.reviews.insights.factories import planted_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def planted():
    planted_history()
    return Insight.objects.get(detail__outcome="routed:Engineering")


def test_ops_manager_sees_insights_ranked_and_a_reviewer_is_refused(client, ops_manager, reviewer, planted):
    client.force_login(reviewer)
    assert client.get("/inbox/insights/").status_code == 403
    client.force_login(ops_manager)
    page = client.get("/inbox/insights/").content.decode()
    assert "40% of cases tagged billing-dispute were rerouted to Engineering" in page
    impacts = [i.impact for i in Insight.objects.filter(active=True).order_by("-impact")]
    assert impacts == sorted(impacts, reverse=True)


def test_insight_page_shows_evidence_diff_and_chart_and_the_button_makes_a_draft(client, ops_manager, planted):
    client.force_login(ops_manager)
    page = client.get(f"/inbox/insights/{planted.id}/").content.decode()
    assert "+1. If the ticket is tagged billing-dispute and the ticket is tagged product-bug" in page
    # The change reads line by line: the new sentence as an added line, the file headers apart from it.
    assert (
        '<span class="diff-add">+1. If the ticket is tagged billing-dispute and the ticket is tagged product-bug'
        in page
    )
    assert '<span class="diff-hunk">--- published</span><span class="diff-hunk">+++ amended</span>' in page
    assert f"#{planted.evidence[0]}" in page
    chart = client.get(f"/inbox/insights/{planted.id}/chart.png")
    assert chart["Content-Type"] == "image/png" and chart.content[:4] == b"\x89PNG"
    response = client.post(f"/inbox/insights/{planted.id}/draft/", follow=True)
    page = response.content.decode()
    assert "Draft v2 compiled: 40 of 40 recent matching cases would take another path, 40 fewer holds." in page


def test_dismissed_insight_leaves_the_list_with_its_note(client, ops_manager, planted):
    client.force_login(ops_manager)
    client.post(f"/inbox/insights/{planted.id}/dismiss/", {"note": "ENG knows"})
    planted.refresh_from_db()
    assert (planted.status, planted.note) == ("dismissed", "ENG knows")
    assert planted.title not in client.get("/inbox/insights/").content.decode()
    assert planted.title in client.get("/inbox/insights/?dismissed=1").content.decode()


def test_regression_panel_shows_the_publish_check_and_replays_on_request(client, ops_manager, planted):
    from cases.models import Decision
    from reviews.models import RegressionCase, RegressionRun

    version = billing_procedure_ensure().published_version
    client.force_login(ops_manager)
    page = client.get(f"/inbox/insights/versions/{version.id}/regression/").content.decode()
    assert "<strong>0</strong> right, <strong>0</strong> wrong" in page, "published before any override existed"
    page = client.post(f"/inbox/insights/versions/{version.id}/regression/", follow=True).content.decode()
    # The generated precedent always proposed "none": two situations overridden ("stop", "charge looks wrong"),
    # each kept as its 5 newest regression cases; v1 still asks a person on every one.
    assert Decision.objects.exclude(outcome="none").count() > 40
    run = RegressionRun.objects.filter(version=version).latest("id")
    assert run.held == RegressionCase.objects.count() == 10
    assert "<strong>10</strong> still stop for a person" in page


def test_report_page_and_download(client, ops_manager, planted):
    client.force_login(ops_manager)
    page = client.get("/inbox/reports/weekly/").content.decode()
    assert "Billing disputes" in page and 'src="chart.png"' in page
    assert client.get("/inbox/reports/weekly/chart.png").content[:4] == b"\x89PNG"
    download = client.get("/inbox/reports/weekly/download/")
    assert download["Content-Disposition"].startswith("attachment")
    message = email.message_from_bytes(download.content, policy=email.policy.default)
    assert message.get_content_type() == "multipart/related"
