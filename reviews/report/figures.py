"""The weekly report's figures, per procedure, counted in SQL over the report's week."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate

from cases import clock
from cases.models import Decision, ReviewItem, Run
from cases.sla.models import SlaClock
from procedures.models import Procedure
from reviews.insights.conf import mining_conf
from reviews.models import Insight, MinedCase


@dataclass
class ProcedureFigures:
    slug: str
    name: str
    cases: int
    unattended: int
    holds_by_reason: dict[str, int]
    decisions: int
    agreed: int
    sla_clocks: int
    sla_met: int
    model_calls: int
    model_tokens: int
    cost: float
    per_day: list[tuple[dt.date, int, int]]  # day, cases, unattended
    insights: list[Insight] = field(default_factory=list)

    @property
    def unattended_share(self) -> float:
        return self.unattended / self.cases if self.cases else 0.0

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.decisions if self.decisions else None

    @property
    def sla_attainment(self) -> float | None:
        return self.sla_met / self.sla_clocks if self.sla_clocks else None


@dataclass
class Report:
    start: dt.datetime
    end: dt.datetime
    procedures: list[ProcedureFigures]


def report_build(*, procedure: Procedure | None = None, end: dt.datetime | None = None, days: int = 7) -> Report:
    end = end or clock.now()
    start = end - dt.timedelta(days=days)
    procedures = Procedure.objects.filter(published_version__isnull=False).order_by("name")
    if procedure is not None:
        procedures = procedures.filter(pk=procedure.pk)
    return Report(start, end, [_figures(p, start, end) for p in procedures])


def _figures(procedure: Procedure, start: dt.datetime, end: dt.datetime) -> ProcedureFigures:
    runs = Run.objects.filter(version__procedure=procedure, mode=Run.Mode.LIVE, case__opened_at__gte=start,
                              case__opened_at__lt=end).order_by()  # fmt: skip
    mined = MinedCase.objects.filter(procedure=procedure, opened_at__gte=start, opened_at__lt=end).order_by()
    totals = mined.aggregate(
        n=Count("id"), unattended=Count("id", filter=Q(unattended=True)), calls=Sum("model_calls"),
        tokens=Sum("model_tokens"),
    )  # fmt: skip
    per_day = [
        (row["day"], row["n"], row["u"])
        for row in mined.annotate(day=TruncDate("opened_at"))
        .values("day")
        .annotate(n=Count("id"), u=Count("id", filter=Q(unattended=True)))
        .order_by("day")
    ]
    holds = dict(
        ReviewItem.objects.filter(run__in=runs.values("id"))
        .values_list("reason")
        .annotate(n=Count("id"))
        .values_list("reason", "n")
    )
    decisions = Decision.objects.filter(procedure=procedure, decided_at__gte=start, decided_at__lt=end).exclude(
        proposed_outcome=""
    )
    agreement = decisions.aggregate(n=Count("id"), agreed=Count("id", filter=Q(outcome=F("proposed_outcome"))))
    clocks = SlaClock.objects.filter(case_id__in=runs.values("case_id"), stopped_at__isnull=False).aggregate(
        n=Count("id"), met=Count("id", filter=Q(breached_at__isnull=True))
    )
    tokens = totals["tokens"] or 0
    insights = list(
        Insight.objects.filter(procedure=procedure, active=True).exclude(status=Insight.Status.DISMISSED)[:3]
    )
    return ProcedureFigures(
        slug=procedure.slug,
        name=procedure.name,
        cases=totals["n"],
        unattended=totals["unattended"],
        holds_by_reason=holds,
        decisions=agreement["n"],
        agreed=agreement["agreed"],
        sla_clocks=clocks["n"],
        sla_met=clocks["met"],
        model_calls=totals["calls"] or 0,
        model_tokens=tokens,
        cost=tokens * mining_conf().price_per_million / 1_000_000,
        per_day=per_day,
        insights=insights,
    )
