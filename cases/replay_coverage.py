"""What a replay reports: how far each ticket got, where it stopped for a person, what it would have written.

Both ways of replaying fill the same `Coverage` with the same rules
(`coverage_add`): the in-memory replay (`cases/replay_core.py`) and the
persistent dry run (`cases/replay_persistent.py`), so their figures can be
compared ticket for ticket.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cases.casefacts import fact_at
from cases.expressions import PLACEHOLDER
from procedures.steps import Graph


@dataclass
class Coverage:
    total: int = 0
    unattended: int = 0  # ran to an end with nobody involved
    waiting: int = 0  # reached a durable wait (timer or customer) with nobody involved so far
    held: Counter = field(default_factory=Counter)  # (step, reason) → count
    outcomes: Counter = field(default_factory=Counter)
    actions: Counter = field(default_factory=Counter)  # would-be writes: operation → count
    errors: int = 0

    def table(self) -> str:
        def pct(n: int) -> str:
            return f"{100 * n / self.total:5.1f}%" if self.total else "  -  "

        held = sum(self.held.values())
        lines = [
            f"{'Tickets replayed':<44}{self.total:>7}",
            f"{'Ran to the end unattended':<44}{self.unattended:>7} {pct(self.unattended)}",
            f"{'Waiting (timer or customer), unattended':<44}{self.waiting:>7} {pct(self.waiting)}",
            f"{'Stopped at an edge for a person':<44}{held:>7} {pct(held)}",
        ]
        for (step, reason), count in self.held.most_common():
            lines.append(f"    {step + ' — ' + reason:<40}{count:>7} {pct(count)}")
        if self.errors:
            lines.append(f"{'Failed (see the runs)':<44}{self.errors:>7} {pct(self.errors)}")
        lines.append("End outcomes:")
        for outcome, count in self.outcomes.most_common():
            lines.append(f"    {outcome:<40}{count:>7}")
        lines.append("Actions that would have been taken:")
        for operation, count in self.actions.most_common():
            lines.append(f"    {operation:<40}{count:>7}")
        return "\n".join(lines)

    def key(self) -> tuple:
        """Every figure, for comparing two replays of the same file."""
        return (
            self.total,
            self.unattended,
            self.waiting,
            dict(self.held),
            dict(self.outcomes),
            dict(self.actions),
            self.errors,
        )


def coverage_add(
    coverage: Coverage,
    *,
    status: str,
    outcome: str,
    step_key: str,
    hold_reason: str,
    actions: Iterable[str],
    missing: Sequence[str],
) -> None:
    """Count one ticket's run: `status` as `Run.status` (completed, waiting, held, anything else for failed).

    `missing`: facts the step it stopped at reads that are empty for this ticket. A ticket that
    stopped because its export lacked a fact is a missing fact, not a failed action.
    """
    coverage.total += 1
    for operation in actions:
        coverage.actions[operation] += 1
    if status == "completed":
        coverage.unattended += 1
        coverage.outcomes[outcome] += 1
    elif status == "waiting":
        coverage.waiting += 1
    elif status == "held":
        reason = hold_reason or "?"
        if missing and reason != "missing_fact":
            reason = f"missing fact {', '.join(missing)}"  # the ticket lacked it; the step did not fail
        coverage.held[(step_key, reason)] += 1
    elif missing:
        coverage.held[(step_key, f"missing fact {', '.join(missing)}")] += 1
    else:
        coverage.errors += 1


_PATH = re.compile(r"\b([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+)")


def missing_inputs(graph: Graph, step_key: str, *, facts: dict[str, Any], case: dict[str, Any]) -> list[str]:
    """Facts the step's parameters read that are empty for this case (`case.requester_email`, ...)."""
    try:
        step = graph.step(step_key)
    except KeyError:
        return []
    names = {**(facts or {}), "case": case}
    missing = []
    for template in (getattr(step, "params", None) or {}).values():
        for expression in PLACEHOLDER.findall(template) if isinstance(template, str) else []:
            for path in _PATH.findall(expression):
                if fact_at(path, names) in (None, "", []) and path not in missing:
                    missing.append(path)
    return missing
