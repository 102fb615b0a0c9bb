"""Hot spots and reviewer overrides carry an SOP sentence when one compiles into the intended step, else say why."""

from __future__ import annotations

import pytest

from procedures.compiler import compile_source
from reviews.insights.counts import Counts
from reviews.insights.history import billing_procedure_ensure
from reviews.insights.proposals import proposal_make
from reviews.insights.services import insight_draft
from reviews.models import Insight
from tests.reviews.insights.factories import planted_history

pytestmark = pytest.mark.django_db

STOP_BUGS = "If the ticket is tagged product-bug, stop."


def _stops_product_bugs_first(source: str) -> bool:
    """Compiled by the rules compiler, the first step branches on the product-bug tag straight to a stopped end."""
    graph = compile_source(source, compiler="rules").graph
    first = graph.step(graph.start)
    ends = {s.key: s.outcome for s in graph.steps if s.kind == "end"}
    return first.kind == "decide" and any(
        b.when == '"product-bug" in case.tags' and ends.get(b.next) == "stopped" for b in first.branches
    )


def test_an_override_group_proposes_the_sentence_people_applied_and_it_compiles_into_that_step(ops_manager):
    planted_history()
    insight = Insight.objects.get(kind=Insight.Kind.OVERRIDE, detail__chosen="stop")

    assert insight.amendment == STOP_BUGS
    assert insight.detail["attributes"] == ["tag:product-bug"]
    assert insight.detail["situation_confidence"] == 1.0
    assert "1. " + STOP_BUGS in insight.amended_source
    assert _stops_product_bugs_first(insight.amended_source)

    insight = insight_draft(insight=insight, user=ops_manager)
    impact = insight.simulated_impact
    assert impact["cases"] == 40, "the product-bug cases are replayed"
    assert impact["changed_path"] == 40 and impact["holds_removed"] == 40
    assert impact["agreement"] == 1.0, "each of them was stopped by a reviewer"
    assert impact["rows"][0]["draft"]["outcome"] == "stopped"


def test_an_override_no_attribute_predicts_has_no_amendment_and_says_why():
    planted_history()
    insight = Insight.objects.get(kind=Insight.Kind.OVERRIDE, detail__chosen="charge_looks_wrong_to_agent")

    assert insight.amendment == "" and insight.amended_source == ""
    assert "No case attribute predicts “charge_looks_wrong_to_agent” at judge" in insight.detail["no_amendment"]


def test_a_hot_spot_mostly_decided_stop_proposes_stopping_the_situation_that_predicts_it():
    planted_history(dispute_rate=0.9, bug_rate=0.9)  # 81% of the cases are product bugs, stopped by reviewers
    insight = Insight.objects.get(kind=Insight.Kind.HOTSPOT)

    assert insight.detail["top_outcome"] == "stop" and insight.detail["same_share"] >= 0.6
    assert insight.amendment == STOP_BUGS, "billing-dispute predicts stop in only ~90% of its holds: not enough"
    assert _stops_product_bugs_first(insight.amended_source)


def test_no_sentence_without_an_attribute_that_predicts_the_choice_reliably():
    procedure = billing_procedure_ensure()
    counts = Counts(total=100)
    counts.pairs.update({("tag:vip", "held:judge"): 30, ("tag:vip", "decided:judge=stop"): 27})  # 90%

    proposal = proposal_make(procedure, counts, step="judge", chosen="stop", min_support=10)

    assert proposal.sentence == ""
    assert "No case attribute predicts “stop” at judge in at least 95%" in proposal.why_not


def test_a_sentence_the_compiler_would_not_turn_into_the_intended_step_is_not_proposed():
    procedure = billing_procedure_ensure()
    counts = Counts(total=100)
    # "the ticket is in the group Escalations": the rules compiler does not make it a branch to a stopped end.
    counts.pairs.update({("group:Escalations", "held:judge"): 20, ("group:Escalations", "decided:judge=stop"): 20})

    proposal = proposal_make(procedure, counts, step="judge", chosen="stop", min_support=10)

    assert proposal.sentence == ""
    assert "did not compile into a step that stops those cases" in proposal.why_not


def test_the_insight_page_shows_the_override_sentence_as_a_diff_or_why_there_is_none(client, ops_manager):
    planted_history()
    client.force_login(ops_manager)
    stop = Insight.objects.get(kind=Insight.Kind.OVERRIDE, detail__chosen="stop")
    page = client.get(f"/inbox/insights/{stop.id}/").content.decode()
    assert "+1. " + STOP_BUGS in page
    assert "tag:product-bug: 100% of its holds decided “stop”" in page
    other = Insight.objects.get(kind=Insight.Kind.OVERRIDE, detail__chosen="charge_looks_wrong_to_agent")
    page = client.get(f"/inbox/insights/{other.id}/").content.decode()
    assert 'id="no-amendment"' in page and "a rule would be wrong too often, so people keep deciding" in page
