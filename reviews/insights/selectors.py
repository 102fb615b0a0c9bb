"""Reads for the insights page, the API and `manage.py insights`."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from cases import clock
from cases.models import Case
from procedures.models import Procedure, ProcedureVersion
from reviews.insights.amendments import source_diff
from reviews.insights.conf import mining_conf
from reviews.insights.sla import Cost, cost_summarise
from reviews.models import Insight, RegressionCase, RegressionRun


def insights_list(*, procedure: Procedure | None = None, include_dismissed: bool = False) -> QuerySet[Insight]:
    """Active insights, ranked by expected impact (cases affected × holds or breaches avoided)."""
    insights = Insight.objects.filter(active=True).select_related("procedure", "draft_version")
    if procedure is not None:
        insights = insights.filter(procedure=procedure)
    if not include_dismissed:
        insights = insights.exclude(status=Insight.Status.DISMISSED)
    return insights.order_by("-impact", "-evidence_count", "id")


def insight_diff(*, insight: Insight) -> str:
    published = insight.procedure.published_version
    if not insight.amended_source or published is None:
        return ""
    return source_diff(before=published.source, after=insight.amended_source)


def evidence_cases(*, insight: Insight, limit: int = 50) -> list[Case]:
    ids = insight.evidence[:limit]
    cases = Case.objects.in_bulk(ids)
    return [cases[i] for i in ids if i in cases]


def procedure_costs(*, now: dt.datetime | None = None) -> dict[int, Cost]:
    conf = mining_conf()
    since = (now or clock.now()) - dt.timedelta(days=conf.window_days)
    return {
        p.id: cost_summarise(procedure_id=p.id, since=since, price_per_million=conf.price_per_million)
        for p in Procedure.objects.filter(published_version__isnull=False)
    }


def regression_latest(*, version: ProcedureVersion) -> RegressionRun | None:
    return RegressionRun.objects.filter(version=version).order_by("-created_at", "-id").first()


def regression_cases(*, procedure: Procedure) -> QuerySet[RegressionCase]:
    return RegressionCase.objects.filter(procedure=procedure).select_related("case").order_by("-created_at")
