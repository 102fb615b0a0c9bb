"""Review hot spots (steps that hold most, and how consistently people decide them) and reviewer overrides.

Both are counted in SQL (GROUP BY step, outcome): the database returns one
row per step and outcome, whatever the number of cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F

from cases.models import Decision, ReviewItem, Run


@dataclass(frozen=True)
class HotSpot:
    step_key: str
    holds: int
    decided: int
    top_outcome: str
    top_count: int
    evidence: list[int]

    @property
    def same_share(self) -> float:
        """Share of decided holds decided the same way: near 1, the SOP could decide it itself."""
        return self.top_count / self.decided if self.decided else 0.0


@dataclass(frozen=True)
class OverrideGroup:
    step_key: str
    reason: str
    proposed: str
    chosen: str
    count: int
    evidence: list[int]


def _items(procedure_id: int, since: dt.datetime):
    return ReviewItem.objects.filter(
        run__version__procedure_id=procedure_id, run__mode=Run.Mode.LIVE, created_at__gte=since
    ).order_by()


def hotspots_find(*, procedure_id: int, since: dt.datetime, min_support: int, evidence_cap: int) -> list[HotSpot]:
    items = _items(procedure_id, since)
    holds = dict(items.values_list("step_key").annotate(n=Count("id")).values_list("step_key", "n"))
    decided: dict[str, list[tuple[str, int]]] = {}
    for step, outcome, n in (
        items.filter(status=ReviewItem.Status.DECIDED)
        .values_list("step_key", "outcome")
        .annotate(n=Count("id"))
        .values_list("step_key", "outcome", "n")
    ):
        decided.setdefault(step, []).append((outcome, n))
    spots = []
    for step, count in holds.items():
        if count < min_support:
            continue
        outcomes = decided.get(step, [])
        top, top_count = max(outcomes, key=lambda o: (o[1], o[0])) if outcomes else ("", 0)
        evidence = list(
            items.filter(step_key=step, status=ReviewItem.Status.DECIDED, outcome=top)
            .order_by("-created_at")
            .values_list("case_id", flat=True)[:evidence_cap]
        )
        spots.append(HotSpot(step, count, sum(n for _, n in outcomes), top, top_count, evidence))
    return sorted(spots, key=lambda s: (-s.holds, s.step_key))


def overrides_find(
    *, procedure_id: int, since: dt.datetime, min_support: int, evidence_cap: int
) -> list[OverrideGroup]:
    """Reviewers choosing differently from the agent's proposal, grouped by step, kind of edge and choice."""
    overrides = (
        Decision.objects.filter(procedure_id=procedure_id, source=Decision.Source.REVIEWER, decided_at__gte=since)
        .exclude(proposed_outcome="")
        .exclude(outcome=F("proposed_outcome"))
        .order_by()
    )
    groups = []
    for step, reason, proposed, chosen, n in (
        overrides.values_list("step_key", "reason", "proposed_outcome", "outcome")
        .annotate(n=Count("id"))
        .values_list("step_key", "reason", "proposed_outcome", "outcome", "n")
    ):
        if n < max(2, min_support // 2):
            continue
        evidence = list(
            overrides.filter(step_key=step, reason=reason, proposed_outcome=proposed, outcome=chosen)
            .order_by("-decided_at")
            .values_list("item__case_id", flat=True)[:evidence_cap]
        )
        groups.append(OverrideGroup(step, reason, proposed, chosen, n, evidence))
    return sorted(groups, key=lambda g: (-g.count, g.step_key))
