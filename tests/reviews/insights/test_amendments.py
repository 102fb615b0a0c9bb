"""An insight becomes a compiled draft whose simulated impact moves exactly the planted cases to the new path."""

from __future__ import annotations

import pytest

from procedures.models import ProcedureVersion
from reviews.insights.services import InsightError, insight_draft
from reviews.models import Insight
from tests.reviews.insights.factories import planted_history

pytestmark = pytest.mark.django_db


def test_amendment_draft_moves_the_40_product_bug_cases_to_the_jira_path(ops_manager):
    planted_history()
    insight = Insight.objects.get(detail__outcome="routed:Engineering")

    insight = insight_draft(insight=insight, user=ops_manager)

    draft = insight.draft_version
    assert draft.status == ProcedureVersion.Status.COMPILED
    assert draft.source == insight.amended_source
    impact = insight.simulated_impact
    assert impact["cases"] == 40
    assert sorted(impact["changed_cases"]) == sorted(insight.evidence)
    assert impact["holds_removed"] == 40
    assert impact["agreement"] == 1.0
    row = impact["rows"][0]
    assert row["published"]["status"] == "held" and row["published"]["held_at"] == "judge"
    assert row["draft"] == {
        "status": "completed",
        "outcome": "stopped",
        "held_at": "",
        "actions": ["jira.create_issue"],
    }
    assert insight.status == Insight.Status.ACCEPTED
    assert draft.procedure.published_version.number == 1  # the draft is not published


def test_an_insight_without_amendment_says_so(ops_manager):
    planted_history()
    insight = Insight.objects.filter(amended_source="").first()
    with pytest.raises(InsightError, match="no proposed amendment"):
        insight_draft(insight=insight, user=ops_manager)
