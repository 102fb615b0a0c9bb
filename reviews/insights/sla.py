"""SLA breach concentrations (per policy, queue, step and hour of day) and model cost.

A concentration is a group whose breach rate is well above the procedure's
(at least twice, at least `min_support` breaches, Fisher's exact p < alpha
one-sided; few groups are tested, so no further correction). Read from the
window's running counts: a case with SLA clocks carries `clock:<dimension>=<value>`
per clock, and `breach:…` for the breached ones; cases are counted once each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Sum
from scipy.stats import fisher_exact

from reviews.insights.counts import Counts
from reviews.models import MinedCase

DIMENSIONS = ("policy", "queue", "hour", "step")


@dataclass
class Concentration:
    dimension: str  # policy, queue, step, hour
    value: str
    clocks: int
    breached: int
    rate: float
    overall_rate: float
    p_value: float
    evidence: list[int] = field(default_factory=list)

    @property
    def evidence_key(self) -> tuple[str, str]:
        return "", f"breach:{self.dimension}={self.value}"


def breaches_find(*, counts: Counts, min_support: int, alpha: float) -> list[Concentration]:
    total, breached = counts.outcomes["clock:any"], counts.outcomes["breach:any"]
    if not total or breached < min_support:
        return []
    rate = breached / total
    found = []
    for outcome, n in counts.outcomes.items():
        kind, _, rest = outcome.partition(":")
        dimension, _, value = rest.partition("=")
        if kind != "clock" or dimension not in DIMENSIONS:
            continue
        b = counts.outcomes[f"breach:{rest}"]
        if b < min_support or not n or b / n < 2 * rate or n == total:
            continue
        table = [[b, n - b], [breached - b, total - n - (breached - b)]]
        p = float(fisher_exact(table, alternative="greater").pvalue)
        if p < alpha:
            found.append(Concentration(dimension, value, n, b, b / n, rate, p))
    return sorted(found, key=lambda c: (-c.breached, c.dimension, c.value))


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
