"""Mining finds the planted pattern, with its evidence and figures, and nothing in random co-occurrence."""

from __future__ import annotations

import pytest

from cases.models import Case
from reviews.insights.history import history_generate
from reviews.insights.mining import mining_pass
from reviews.models import Insight, MinedCase
from tests.reviews.insights.factories import planted_history

pytestmark = pytest.mark.django_db


def _routed_insight() -> Insight:
    return Insight.objects.get(kind=Insight.Kind.ASSOCIATION, detail__outcome="routed:Engineering")


def test_planted_pattern_gives_an_insight_with_confidence_040_and_its_evidence():
    summary, report = planted_history()
    assert (summary.disputes, summary.product_bugs) == (100, 40)
    insight = _routed_insight()
    assert insight.detail["attribute"] == "tag:billing-dispute"
    assert insight.detail["confidence"] == pytest.approx(0.40, abs=0.001)
    assert insight.detail["lift"] > 1
    assert insight.detail["q_value"] < 0.05
    assert insight.detail["refinement"]["attribute"] == "tag:product-bug"
    assert insight.detail["refinement"]["confidence"] == 1.0
    bugs = {
        c.id for c in Case.objects.all() if "product-bug" in c.facts["tags"] and "billing-dispute" in c.facts["tags"]
    }
    assert set(insight.evidence) == bugs and len(bugs) == 40
    assert insight.amendment == (
        "If the ticket is tagged billing-dispute and the ticket is tagged product-bug, open a Bug in the Jira "
        "project ENG with the ticket subject as the summary and stop."
    )
    assert "1. " + insight.amendment in insight.amended_source
    assert "40% of cases tagged billing-dispute were rerouted to Engineering" in insight.title
    assert report.extracted == 250


def test_random_co_occurrence_at_base_rate_gives_no_insight():
    planted_history()
    keys = list(Insight.objects.values_list("key", flat=True))
    assert not [key for key in keys if "tag:vip" in key], keys


def test_a_second_pass_reads_only_cases_changed_since_the_first():
    planted_history()
    assert mining_pass().extracted == 0
    history_generate(cases=20, seed=99)
    assert mining_pass().extracted == 20
    assert MinedCase.objects.count() == 270


def test_dismissed_insight_stays_dismissed_until_its_evidence_grows_materially(ops_manager):
    from reviews.insights.services import insight_dismiss

    planted_history()
    insight = _routed_insight()
    insight_dismiss(insight=insight, user=ops_manager, note="Known; ENG is on it.")
    mining_pass(full=True)
    insight.refresh_from_db()
    assert insight.status == Insight.Status.DISMISSED
    history_generate(cases=250, seed=5)  # 40 more rerouted cases: evidence doubles
    mining_pass()
    insight.refresh_from_db()
    assert insight.status == Insight.Status.OPEN
    assert insight.note == "Known; ENG is on it."
