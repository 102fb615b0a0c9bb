"""The demo's history shows at least one real insight and a weekly report with figures."""

from __future__ import annotations

import pytest

from reviews.insights.demo import insights_demo_load
from reviews.models import Insight

pytestmark = pytest.mark.django_db


def test_demo_history_gives_the_routed_insight_and_loads_once(client, ops_manager):
    lines = insights_demo_load()
    assert "800 generated cases" in lines[0]
    insight = Insight.objects.get(active=True, detail__outcome="routed:Engineering")
    assert insight.detail["attribute"] == "tag:billing-dispute" and insight.amendment
    top = Insight.objects.filter(active=True).order_by("-impact").first()
    assert top.detail["chosen"] == "charge_looks_wrong_to_agent", "reviewers' most frequent choice carries on"
    assert top.amendment.startswith("If the ticket is tagged double-charge, add the tag billing-refund")
    assert insight_demo_again_is_a_no_op()
    client.force_login(ops_manager)
    assert insight.title in client.get("/inbox/insights/").content.decode()
    assert "Cases handled" in client.get("/inbox/reports/weekly/").content.decode()


def insight_demo_again_is_a_no_op() -> bool:
    return insights_demo_load() == ["Billing disputes: history already generated; insights at /inbox/insights/"]
