"""A judgement outcome that carries on gets a sentence routing the cases an attribute predicts to where it leads."""

from __future__ import annotations

import pytest

from procedures.compiler import compile_source
from reviews.insights.carry_on import NoSentence, carry_on_sentence
from reviews.insights.counts import Counts
from reviews.insights.history import BILLING_SOP, billing_procedure_ensure
from reviews.insights.proposals import proposal_make
from reviews.insights.services import insight_draft
from reviews.models import Insight
from tests.reviews.insights.factories import planted_history

pytestmark = pytest.mark.django_db

WRONG_CHARGE = "charge_looks_wrong_to_agent"
DOUBLES_TAGGED = "If the ticket is tagged double-charge, add the tag billing-refund to the ticket and go to step 4."


def _branch_route(source: str, tag: str) -> list[tuple]:
    """What the compiled source does for a ticket tagged `tag`, from its branch up to the judged step's next step:
    each action's operation and tags, then the title of the step it reaches."""
    graph = compile_source(source, compiler="rules").graph
    when = f'"{tag}" in case.tags'
    (target,) = [b.next for s in graph.steps if s.kind == "decide" for b in s.branches if b.when == when]
    route = []
    step = graph.step(target)
    while step.kind == "act" and step.operation == "zendesk.add_tags":
        route.append((step.operation, step.params["tags"]))
        step = graph.step(step.next)
    return [*route, (step.kind, step.title)]


def test_a_carry_on_choice_a_tag_predicts_gets_a_sentence_that_routes_those_cases_past_the_judgement(ops_manager):
    summary, _ = planted_history(double_charge_rate=0.5)
    assert summary.double_charges == 30
    insight = Insight.objects.get(kind=Insight.Kind.OVERRIDE, detail__chosen=WRONG_CHARGE)

    assert insight.amendment == DOUBLES_TAGGED
    assert insight.detail["attributes"] == ["tag:double-charge"] and insight.detail["situation_confidence"] == 1.0
    assert "2. " + DOUBLES_TAGGED + "\n3. If the charge looks wrong to the agent" in insight.amended_source
    assert _branch_route(insight.amended_source, "double-charge") == [
        ("zendesk.add_tags", '{{ ["billing-refund"] }}'),
        ("act", "Add an internal note"),
    ], "tagged, then on to the note, as reviewers' choice did"

    insight = insight_draft(insight=insight, user=ops_manager)
    impact = insight.simulated_impact
    assert impact["cases"] == 30, "the double-charge cases are replayed"
    assert impact["changed_path"] == 30 and impact["holds_removed"] == 30
    assert impact["agreement"] == 1.0, "reviewers judged each of them a wrong charge"
    row = impact["rows"][0]
    assert row["published"]["status"] == "held" and row["published"]["held_at"] == "judge"
    assert row["draft"]["status"] == "completed" and row["draft"]["outcome"] == "resolved"
    assert {"zendesk.add_tags", "zendesk.add_note"} <= set(row["draft"]["actions"])


def test_a_carry_on_choice_no_attribute_predicts_still_says_why():
    planted_history()  # reviewers chose "charge looks wrong" for a random third of the held cases
    insight = Insight.objects.get(kind=Insight.Kind.OVERRIDE, detail__chosen=WRONG_CHARGE)

    assert insight.amendment == "" and insight.amended_source == ""
    assert f"No case attribute predicts “{WRONG_CHARGE}” at judge in at least 95%" in insight.detail["no_amendment"]


def test_a_hot_spot_decided_none_for_a_tag_skips_to_the_step_after_the_judgement():
    procedure = billing_procedure_ensure()
    counts = Counts(total=100)
    counts.pairs.update({("tag:vip", "held:judge"): 30, ("tag:vip", "decided:judge=none"): 30})

    proposal = proposal_make(procedure, counts, step="judge", chosen="none", min_support=10)

    assert proposal.sentence == "If the ticket is tagged vip, go to step 4."
    assert _branch_route(proposal.amended_source, "vip") == [("act", "Add an internal note")]


def test_an_outcome_that_ends_the_procedure_resolved_has_no_sentence_and_says_why():
    last = "Refunds\n\n1. Post an internal note saying the case was seen.\n" + (
        "2. If the charge looks wrong to the agent, add the tag billing-refund to the ticket.\n"
    )
    with pytest.raises(NoSentence, match="ends the procedure “resolved”"):
        carry_on_sentence(source=last, step="judge", chosen=WRONG_CHARGE, condition="the ticket is tagged vip")
    sentence, _ = carry_on_sentence(
        source=BILLING_SOP, step="judge", chosen=WRONG_CHARGE, condition="the ticket is tagged vip"
    )
    assert sentence == "If the ticket is tagged vip, add the tag billing-refund to the ticket and go to step 4."


def test_the_insight_page_shows_the_carry_on_sentence_as_a_diff(client, ops_manager):
    planted_history(double_charge_rate=0.5)
    client.force_login(ops_manager)
    insight = Insight.objects.get(kind=Insight.Kind.OVERRIDE, detail__chosen=WRONG_CHARGE)
    page = client.get(f"/inbox/insights/{insight.id}/").content.decode()
    assert "+2. " + DOUBLES_TAGGED in page and "+3. If the charge looks wrong" in page


def test_the_new_step_keeps_the_sops_own_references_to_the_steps_it_pushes_down():
    source = (
        "Billing disputes\n\n"
        "1. If the ticket is tagged urgent, go to step 3.\n"
        "2. If the charge looks wrong to the agent, add the tag billing-refund to the ticket.\n"
        "3. Post an internal note on the ticket saying the dispute was reviewed.\n"
    )
    sentence, amended = carry_on_sentence(
        source=source, step="judge", chosen=WRONG_CHARGE, condition="the ticket is tagged vip"
    )

    assert sentence == "If the ticket is tagged vip, add the tag billing-refund to the ticket and go to step 4."
    assert "1. If the ticket is tagged urgent, go to step 4.\n2. " + sentence in amended
    assert _branch_route(amended, "urgent") == [("act", "Add an internal note")], "urgent still skips to the note"
    assert _branch_route(amended, "vip") == [
        ("zendesk.add_tags", '{{ ["billing-refund"] }}'),
        ("act", "Add an internal note"),
    ]
