"""Learning from decisions on the real escalation SOP: engine holds, reviewer decisions, then precedent.

The engine runs in-process against the sandbox emulators (rules-compiled
escalation SOP); requesters whose domain has no Salesforce account hit the
"no organization in Salesforce" edge every time.
"""

from __future__ import annotations

import pytest

from cases.judgements import hold_consult
from cases.models import Case, Decision, ReviewItem, Run
from cases.services import run_advance, run_start
from reviews.services import review_decide
from tests.cases.e2e import ESCALATION_TRIGGER, publish
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

FREE = {"facts": {"plan": "Free", "name": "Self-serve"}}


@pytest.fixture
def escalation(db, sandbox):
    return publish("escalation.md", name="Product bug escalation", trigger=ESCALATION_TRIGGER)


def held_at_no_organization(version, n: int, subject: str) -> ReviewItem:
    case = CaseFactory(
        source="zendesk",
        external_id=f"no-org-{n}",
        subject=subject,
        description="I keep getting sent back to the login page.",
        requester_email=f"user{n}@nowhere{n}.example",
        facts={"ticket_id": "4", "tags": ["product-bug"]},
    )
    run = run_advance(run_id=run_start(case=case, version=version, enqueue=False).id)
    assert run.status == Run.Status.HELD, list(run.executions.values("step_key", "status", "error"))
    item = ReviewItem.objects.get(run=run)
    assert item.reason == ReviewItem.Reason.MISSING_FACT
    return item


def decide_and_resume(item: ReviewItem, reviewer) -> Run:
    review_decide(item_id=item.id, user=reviewer, outcome="continue", params=FREE, note="Self-serve user: Free")
    return run_advance(run_id=item.run_id)


def test_third_no_organization_edge_is_suggested_then_auto_applied_from_precedent(
    escalation, sandbox, reviewer, settings
):
    settings.OPENAI_API_KEY = ""  # no model: only precedents can propose
    first = held_at_no_organization(escalation, 1, "Login loop")
    second = held_at_no_organization(escalation, 2, "Login loop after SSO")
    assert hold_consult(item_id=first.id).source == "none", "no precedent yet, no model: a person decides"
    for item in (first, second):
        run = decide_and_resume(item, reviewer)
        assert (run.status, run.outcome) == (Run.Status.COMPLETED, "stopped"), "Free: reply, tag and stop"
    decisions = list(Decision.objects.order_by("id"))
    assert len({d.signature for d in decisions}) == 1, "both were the same kind of edge"

    # The third: suggested, not applied (the owner has not allowed auto-apply).
    third = held_at_no_organization(escalation, 3, "Cannot get past the login page")
    proposal = hold_consult(item_id=third.id)
    assert (proposal.source, proposal.outcome, proposal.params, proposal.auto_apply) == (
        "precedent",
        "continue",
        FREE,
        False,
    )
    assert proposal.precedent_id == decisions[-1].id
    third.refresh_from_db()
    assert third.status == ReviewItem.Status.OPEN

    # The owner allows auto-apply after 2 consistent decisions: the fourth is applied and names its precedent.
    procedure = escalation.procedure
    procedure.precedent_auto_apply_after = 2
    procedure.save()
    fourth = held_at_no_organization(escalation, 4, "Login page loops forever")
    proposal = hold_consult(item_id=fourth.id)
    assert proposal.auto_apply
    fourth.refresh_from_db()
    assert (fourth.status, fourth.outcome, fourth.decided_by) == ("decided", "continue", None)
    assert f"precedent #{decisions[-1].id}" in fourth.note
    assert Decision.objects.get(item=fourth).followed_id == decisions[-1].id
    run = run_advance(run_id=fourth.run_id)
    assert (run.status, run.outcome) == (Run.Status.COMPLETED, "stopped")
    assert Case.objects.get(id=fourth.case_id).status in (Case.Status.RESOLVED, Case.Status.CLOSED, Case.Status.OPEN)
