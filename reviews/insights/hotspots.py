"""Review hot spots (steps that hold most, and how consistently people decide them) and reviewer overrides.

Both read the window's running counts (`reviews.insights.counts`): a case
held at a step carries `held:step`, its decision `decided:step=outcome`, and a
reviewer's choice against the agent's proposal
`overrode:step⇥reason⇥proposed⇥chosen`. Cases are counted, once each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reviews.insights.counts import Counts


@dataclass
class HotSpot:
    step_key: str
    holds: int
    decided: int
    top_outcome: str
    top_count: int
    evidence: list[int] = field(default_factory=list)

    @property
    def same_share(self) -> float:
        """Share of decided holds decided the same way: near 1, the SOP could decide it itself."""
        return self.top_count / self.decided if self.decided else 0.0

    @property
    def evidence_key(self) -> tuple[str, str]:
        return "", f"decided:{self.step_key}={self.top_outcome}"


@dataclass
class OverrideGroup:
    step_key: str
    reason: str
    proposed: str
    chosen: str
    count: int
    evidence: list[int] = field(default_factory=list)

    @property
    def evidence_key(self) -> tuple[str, str]:
        return "", f"overrode:{self.step_key}\t{self.reason}\t{self.proposed}\t{self.chosen}"


def hotspots_find(*, counts: Counts, min_support: int) -> list[HotSpot]:
    decided: dict[str, list[tuple[str, int]]] = {}
    for outcome, n in counts.outcomes.items():
        if outcome.startswith("decided:"):
            step, _, chosen = outcome.removeprefix("decided:").rpartition("=")
            decided.setdefault(step, []).append((chosen, n))
    spots = []
    for outcome, holds in counts.outcomes.items():
        if not outcome.startswith("held:") or holds < min_support:
            continue
        step = outcome.removeprefix("held:")
        outcomes = decided.get(step, [])
        top, top_count = max(outcomes, key=lambda o: (o[1], o[0])) if outcomes else ("", 0)
        spots.append(HotSpot(step, holds, sum(n for _, n in outcomes), top, top_count))
    return sorted(spots, key=lambda s: (-s.holds, s.step_key))


def overrides_find(*, counts: Counts, min_support: int) -> list[OverrideGroup]:
    """Reviewers choosing differently from the agent's proposal, grouped by step, kind of edge and choice."""
    groups = []
    for outcome, n in counts.outcomes.items():
        if not outcome.startswith("overrode:") or n < max(2, min_support // 2):
            continue
        step, reason, proposed, chosen = (outcome.removeprefix("overrode:").split("\t") + ["", "", ""])[:4]
        groups.append(OverrideGroup(step, reason, proposed, chosen, n))
    return sorted(groups, key=lambda g: (-g.count, g.step_key, g.chosen))
