"""Precedents: the facts signature, offline text similarity, lookups and consensus."""

from __future__ import annotations

import pytest

from cases.models import Decision, ReviewItem
from cases.precedents import (
    facts_signature,
    precedent_auto_outcome,
    precedent_consensus,
    precedent_find,
    situation_facts,
    text_similarities,
)
from procedures.steps import parse
from reviews.services import review_decide
from tests.reviews.holds import GRAPH, held_item, judgement_item, make_version


@pytest.fixture
def version(db):
    return make_version()


def test_signature_ignores_fact_order_but_not_values_steps_or_reasons():
    base = facts_signature(
        procedure_id=1,
        step_key="find_account",
        reason="missing_fact",
        facts={"code": "not_found", "facts_key": "account"},
    )
    same = facts_signature(
        procedure_id=1,
        step_key="find_account",
        reason="missing_fact",
        facts={"facts_key": "account", "code": "not_found"},
    )
    assert base == same and len(base) == 64
    assert base != facts_signature(
        procedure_id=1,
        step_key="find_account",
        reason="missing_fact",
        facts={"code": "ambiguous", "facts_key": "account"},
    )
    assert base != facts_signature(
        procedure_id=2,
        step_key="find_account",
        reason="missing_fact",
        facts={"code": "not_found", "facts_key": "account"},
    )
    assert base != facts_signature(
        procedure_id=1,
        step_key="find_account",
        reason="conflicting_fact",
        facts={"code": "not_found", "facts_key": "account"},
    )


def test_situation_keeps_what_repeats_and_drops_what_identifies_the_case():
    graph = parse(GRAPH)
    names = {"account": {"plan": "Pro", "name": "Globex"}, "case": {"requester_email": "pat@nowhere.example"}}
    gather = situation_facts(
        step=graph.step("find_account"),
        reason="missing_fact",
        proposal={
            "error": "no Account matches pat@nowhere.example",
            "code": "not_found",
            "facts_key": "account",
            "remote_message": "pat@nowhere.example",
            "visit": 3,
        },
        names=names,
    )
    assert gather == {"code": "not_found", "facts_key": "account"}
    judgement = situation_facts(step=graph.step("churn"), reason="judgement", proposal={}, names=names)
    assert judgement == {"account.plan": "Pro"}


def test_tfidf_ranks_the_closer_text_first_without_any_download():
    docs = [
        "Invoice PDF is missing the VAT number",
        "Login loop: I keep getting sent back to the login page after SSO",
        "Dark mode flickers on the dashboard",
    ]
    scores = text_similarities("Stuck in a login loop, sent back to the login page", docs)
    assert max(range(3), key=scores.__getitem__) == 1
    assert scores[1] > 0.3 and scores[0] < 0.1
    assert text_similarities("", docs) == [0.0, 0.0, 0.0]


@pytest.mark.django_db
def test_find_returns_exact_situations_first_then_similar_text_on_the_same_step(version, reviewer):
    exact = held_item(version, subject="Login loop", description="Sent back to the login page.")
    review_decide(item_id=exact.id, user=reviewer, outcome="stop", note="Not a customer")
    # Same step, different situation (ambiguous), similar text.
    similar = held_item(
        version,
        subject="Login loop again",
        description="Sent back to the login page twice.",
        proposal={"code": "ambiguous", "facts_key": "account", "candidates": ["A", "B"]},
        reason=ReviewItem.Reason.CONFLICTING_FACT,
    )
    review_decide(item_id=similar.id, user=reviewer, outcome="retry")
    unrelated = held_item(
        version,
        subject="Invoice",
        description="VAT number missing",
        proposal={"code": "ambiguous", "facts_key": "account"},
        reason=ReviewItem.Reason.CONFLICTING_FACT,
    )
    review_decide(item_id=unrelated.id, user=reviewer, outcome="retry")

    matches = precedent_find(
        procedure=version.procedure,
        step_key="find_account",
        reason="missing_fact",
        facts={"code": "not_found", "facts_key": "account"},
        text="Login loop\nI keep being sent back to login",
    )
    assert [m.item_id for m in matches][:2] == [exact.id, similar.id]
    assert matches[0].exact and matches[0].score == 1.0 and matches[0].note == "Not a customer"
    assert not matches[1].exact and 0 < matches[1].score < 1
    assert unrelated.id not in [m.item_id for m in matches], "no shared words: not similar"


@pytest.mark.django_db
def test_two_consistent_decisions_make_a_consensus_and_auto_apply_needs_the_owners_permission(version, reviewer):
    for _ in range(2):
        item = judgement_item(version)
        review_decide(item_id=item.id, user=reviewer, outcome="offer_call")
    matches = precedent_find(
        procedure=version.procedure, step_key="churn", reason="judgement", facts={"account.plan": "Pro"}, text=""
    )
    agreed = precedent_consensus(matches=matches, count=2)
    assert agreed is not None and agreed.outcome == "offer_call"
    assert agreed.decision_id == Decision.objects.order_by("-id").first().id
    assert precedent_auto_outcome(procedure=version.procedure, matches=matches) is None, "not allowed by default"
    version.procedure.precedent_auto_apply_after = 2
    assert precedent_auto_outcome(procedure=version.procedure, matches=matches) == agreed
    version.procedure.precedent_auto_apply_after = 3
    assert precedent_auto_outcome(procedure=version.procedure, matches=matches) is None, "only two so far"


@pytest.mark.django_db
def test_a_disagreeing_decision_breaks_the_consensus(version, reviewer):
    for outcome in ("offer_call", "reply"):
        item = judgement_item(version)
        review_decide(item_id=item.id, user=reviewer, outcome=outcome)
    matches = precedent_find(
        procedure=version.procedure, step_key="churn", reason="judgement", facts={"account.plan": "Pro"}, text=""
    )
    assert len(matches) == 2
    assert precedent_consensus(matches=matches, count=2) is None


UMBRELLA = [{"id": "001UMBE", "name": "Umbrella East"}, {"id": "001UMBW", "name": "Umbrella West"}]
HOOLI = [{"id": "001HOOA", "name": "Hooli Labs"}, {"id": "001HOOB", "name": "Hooli XYZ"}]


def _conflict(version, candidates, organization):
    item = held_item(
        version,
        subject="Which account?",
        description="Two accounts match the requester.",
        reason=ReviewItem.Reason.CONFLICTING_FACT,
        proposal={"code": "ambiguous", "facts_key": "account", "candidates": candidates},
        outcomes=[{"key": "continue", "label": "Continue with these facts", "params": ["facts"]}, {"key": "stop"}],
    )
    item.case.account_name = organization
    item.case.save()
    return item


@pytest.mark.django_db
def test_a_choice_between_two_umbrella_accounts_is_not_the_same_situation_as_two_hooli_accounts(version, reviewer):
    from cases.precedents import item_situation

    version.procedure.precedent_auto_apply_after = 1
    version.procedure.save()
    for _ in range(2):
        umbrella = _conflict(version, UMBRELLA, "Umbrella")
        review_decide(item_id=umbrella.id, user=reviewer, outcome="continue", params={"facts": UMBRELLA[1]})
    hooli = _conflict(version, HOOLI, "Hooli")
    situation = item_situation(item=hooli)
    assert situation["facts"]["candidates"] == ["001HOOA", "001HOOB"]
    assert situation["facts"]["case.organization"] == "Hooli"
    assert situation["signature"] != item_situation(item=umbrella)["signature"]
    matches = precedent_find(
        procedure=version.procedure,
        step_key="find_account",
        reason="conflicting_fact",
        facts=situation["facts"],
        text=situation["text"],
    )
    assert not any(m.exact for m in matches)
    assert precedent_auto_outcome(procedure=version.procedure, matches=matches) is None
    assert all(m.params == {} for m in matches), "Umbrella West is not a Hooli candidate: never offered for reuse"


@pytest.mark.django_db
def test_the_same_conflict_again_reuses_the_choice_because_it_is_among_the_candidates(version, reviewer):
    from cases.precedents import item_situation, precedent_params_valid

    first = _conflict(version, UMBRELLA, "Umbrella")
    review_decide(item_id=first.id, user=reviewer, outcome="continue", params={"facts": UMBRELLA[1]})
    again = _conflict(version, list(reversed(UMBRELLA)), "Umbrella")
    situation = item_situation(item=again)
    (match,) = precedent_find(
        procedure=version.procedure,
        step_key="find_account",
        reason="conflicting_fact",
        facts=situation["facts"],
        text=situation["text"],
    )
    assert match.exact and match.params == {"facts": UMBRELLA[1]}
    assert precedent_params_valid(params={"facts": UMBRELLA[1]}, facts={"candidates": ["001HOOA", "001HOOB"]}) is False
