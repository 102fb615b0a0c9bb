"""Writes on insights and regression cases: accept, dismiss, turn into a draft, pin a case.

Each is keyword-only and owns its transaction; errors are InsightError with a
message that says what to do instead.
"""

from __future__ import annotations

from django.db import transaction

from cases import clock
from cases.models import Case
from procedures.errors import ProcedureError
from reviews.insights.amendments import draft_create
from reviews.insights.conf import mining_conf
from reviews.insights.impact import impact_simulate, matching_cases
from reviews.insights.regression import expected_for
from reviews.models import Insight, MinedCase, RegressionCase


class InsightError(Exception):
    def __init__(self, code: str, message: str, *, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@transaction.atomic
def insight_decide(*, insight: Insight, user, status: str, note: str = "") -> Insight:
    insight = Insight.objects.select_for_update().get(pk=insight.pk)
    insight.status, insight.note = status, note.strip()
    insight.decided_by, insight.decided_at = user, clock.now()
    insight.evidence_at_decision = insight.evidence_count
    insight.save()
    return insight


def insight_dismiss(*, insight: Insight, user, note: str = "") -> Insight:
    """Hide the insight; mining brings it back only when its evidence grows materially."""
    return insight_decide(insight=insight, user=user, status=Insight.Status.DISMISSED, note=note)


def insight_accept(*, insight: Insight, user, note: str = "") -> Insight:
    return insight_decide(insight=insight, user=user, status=Insight.Status.ACCEPTED, note=note)


def insight_draft(*, insight: Insight, user) -> Insight:
    """The amendment as a compiled draft version, with its simulated impact on the last N matching cases."""
    procedure = insight.procedure
    published = procedure.published_version
    if not insight.amended_source:
        raise InsightError("no_amendment", "This insight has no proposed amendment; edit the SOP by hand instead.")
    if published is None:
        raise InsightError("not_published", f"{procedure.name} has no published version to compare with.")
    try:
        draft = draft_create(procedure=procedure, source=insight.amended_source, user=user)
    except ProcedureError as exc:
        raise InsightError(exc.code, exc.message) from exc
    attributes = insight.detail.get("attributes") or []
    case_ids = matching_cases(procedure_id=procedure.id, attributes=attributes, limit=mining_conf().replay_cases)
    outcome = insight.detail.get("outcome", "")
    did = {
        case_id
        for case_id, outcomes in MinedCase.objects.filter(procedure=procedure, case_id__in=case_ids).values_list(
            "case_id", "outcomes"
        )
        if outcome in outcomes.split("\n")
    }
    impact = impact_simulate(draft=draft, published=published, case_ids=case_ids, did=did)
    with transaction.atomic():
        insight = Insight.objects.select_for_update().get(pk=insight.pk)
        insight.draft_version, insight.simulated_impact = draft, impact
        if insight.status == Insight.Status.OPEN:
            insight.status, insight.decided_by, insight.decided_at = Insight.Status.ACCEPTED, user, clock.now()
            insight.evidence_at_decision = insight.evidence_count
        insight.save()
    return insight


@transaction.atomic
def regression_case_pin(*, case: Case, procedure, user, note: str = "", expected: dict | None = None) -> RegressionCase:
    """Keep `case` as a regression case of `procedure`: what its live run did is what every new version must do."""
    expected = expected or expected_for(case_id=case.id, procedure_id=procedure.id)
    if expected is None:
        raise InsightError(
            "not_finished",
            f"Case {case.id} has no finished live run of {procedure.name}; pin it once it has ended, or say what "
            "it should end with (expected outcome and actions).",
        )
    item, _ = RegressionCase.objects.update_or_create(
        procedure=procedure,
        case=case,
        defaults={"source": RegressionCase.Source.PINNED, "expected": expected, "note": note, "created_by": user},
    )
    return item
