"""SLA breach concentrations (per policy, queue, step and hour of day) and model cost.

A concentration is a group whose breach rate is well above the procedure's
(at least twice, at least `min_support` breaches, Fisher's exact p < alpha
one-sided; few groups are tested, so no further correction). Counted in SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractHour
from scipy.stats import fisher_exact

from cases.models import Run
from cases.sla.models import SlaClock
from reviews.models import MinedCase


@dataclass(frozen=True)
class Concentration:
    dimension: str  # policy, queue, step, hour
    value: str
    clocks: int
    breached: int
    rate: float
    overall_rate: float
    p_value: float
    evidence: list[int]


def _clocks(procedure_id: int, since: dt.datetime):
    cases = Run.objects.filter(version__procedure_id=procedure_id, mode=Run.Mode.LIVE).values("case_id")
    return SlaClock.objects.filter(case_id__in=cases, started_at__gte=since).order_by()


def breaches_find(
    *, procedure_id: int, since: dt.datetime, min_support: int, alpha: float, evidence_cap: int
) -> list[Concentration]:
    clocks = _clocks(procedure_id, since)
    overall = clocks.aggregate(n=Count("id"), b=Count("id", filter=Q(breached_at__isnull=False)))
    total, breached = overall["n"], overall["b"]
    if not total or breached < min_support:
        return []
    rate = breached / total
    found = []
    dimensions = {
        "policy": ("policy__name", clocks),
        "queue": ("case__queue", clocks),
        "hour": ("hour", clocks.annotate(hour=ExtractHour("started_at"))),
        "step": ("case__review_items__step_key", clocks.filter(case__review_items__isnull=False)),
    }
    for dimension, (name, grouped) in dimensions.items():
        rows = grouped.values(name).annotate(
            n=Count("id", distinct=True), b=Count("id", filter=Q(breached_at__isnull=False), distinct=True)
        )
        for value, n, b in rows.values_list(name, "n", "b"):
            if b < min_support or not n or b / n < 2 * rate or n == total:
                continue
            table = [[b, n - b], [breached - b, total - n - (breached - b)]]
            p = float(fisher_exact(table, alternative="greater").pvalue)
            if p >= alpha:
                continue
            evidence = list(_evidence(clocks, dimension, value)[:evidence_cap])
            found.append(Concentration(dimension, str(value), n, b, b / n, rate, p, evidence))
    return sorted(found, key=lambda c: (-c.breached, c.dimension, c.value))


def _evidence(clocks, dimension: str, value):
    breached = clocks.filter(breached_at__isnull=False)
    match dimension:
        case "policy":
            breached = breached.filter(policy__name=value)
        case "queue":
            breached = breached.filter(case__queue=value)
        case "hour":
            breached = breached.annotate(h=ExtractHour("started_at")).filter(h=value)
        case "step":
            breached = breached.filter(case__review_items__step_key=value)
    return breached.order_by("-started_at").values_list("case_id", flat=True).distinct()


@dataclass(frozen=True)
class Cost:
    cases: int
    model_calls: int
    tokens: int
    cost: float

    @property
    def per_case(self) -> float:
        return self.cost / self.cases if self.cases else 0.0


def cost_summarise(*, procedure_id: int, since: dt.datetime, price_per_million: float) -> Cost:
    """Model calls and cost of the procedure's cases in the window, at one blended price per million tokens."""
    totals = MinedCase.objects.filter(procedure_id=procedure_id, opened_at__gte=since).aggregate(
        n=Count("id"), calls=Sum("model_calls"), tokens=Sum("model_tokens")
    )
    tokens = totals["tokens"] or 0
    return Cost(totals["n"], totals["calls"] or 0, tokens, tokens * price_per_million / 1_000_000)

