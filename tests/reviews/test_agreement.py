"""Agreement figures: per procedure and step, how often reviewers accepted the agent's proposal."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.judgements import hold_consult
from cases.models import ReviewItem
from reviews.selectors import agreement_figures
from reviews.services import review_decide
from tests.reviews.holds import held_item, judgement_item

pytestmark = pytest.mark.django_db


def with_proposal(item: ReviewItem, outcome: str, source: str = "model") -> ReviewItem:
    proposal = {**item.proposal, "agent": {"outcome": outcome, "confidence": 0.7, "source": source}}
    ReviewItem.objects.filter(id=item.id).update(proposal=proposal)
    item.refresh_from_db()
    return item


def test_figures_count_accepted_overridden_unproposed_and_automatic(version, reviewer, settings):
    settings.OPENAI_API_KEY = ""
    for outcome in ("offer_call", "offer_call", "reply"):
        item = with_proposal(judgement_item(version), "offer_call")
        review_decide(item_id=item.id, user=reviewer, outcome=outcome)
    review_decide(item_id=judgement_item(version).id, user=reviewer, outcome="reply")  # no proposal
    review_decide(item_id=held_item(version).id, user=reviewer, outcome="stop")
    # Two consistent decisions on find_account + auto-apply: the next one is automatic.
    review_decide(item_id=held_item(version).id, user=reviewer, outcome="stop")
    version.procedure.precedent_auto_apply_after = 2
    version.procedure.save()
    assert hold_consult(item_id=held_item(version).id).auto_apply

    with CaptureQueriesContext(connection) as ctx:
        rows = {r.step_key: r for r in agreement_figures()}
    assert len(ctx.captured_queries) == 1
    churn = rows["churn"]
    assert (churn.decided, churn.proposed, churn.accepted, churn.overridden, churn.no_proposal) == (4, 3, 2, 1, 1)
    assert (churn.accepted_pct, churn.overridden_pct, churn.model_accepted_pct) == (66.7, 33.3, 66.7)
    find = rows["find_account"]
    assert (find.decided, find.proposed, find.automatic, find.accepted_pct) == (2, 0, 1, None)


def test_agreement_page_shows_the_figures_to_ops_managers(client, ops_manager, reviewer, version):
    item = with_proposal(judgement_item(version), "offer_call")
    review_decide(item_id=item.id, user=reviewer, outcome="reply")
    client.force_login(ops_manager)
    page = client.get("/inbox/agreement/").content.decode()
    assert "Product bug escalation" in page and "<code>churn</code>" in page
    assert "0.0%" in page and "100.0%" in page


def test_decisions_are_listed_read_only_in_the_admin(admin_client, reviewer, version):
    item = judgement_item(version)
    review_decide(item_id=item.id, user=reviewer, outcome="reply", note="Routine")
    page = admin_client.get("/admin/cases/decision/").content.decode()
    assert f"/inbox/items/{item.id}/" in page
    assert admin_client.get("/admin/cases/decision/add/").status_code == 403
