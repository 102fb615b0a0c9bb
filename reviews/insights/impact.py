"""Simulated impact of an amendment: the last N matching cases dry-run through the draft and the published version.

Each case is replayed with `cases.replay.replay_run` — the one engine entry
point used here — once per version, one ticket per call, so every case gets
its own path (end outcome, the step it would stop at, the writes it would
make). Nothing is kept: replay_run walks the cases in memory and stores no run.
"""

from __future__ import annotations

from dataclasses import dataclass

from cases.casefacts import NormalisedEvent
from cases.models import Case
from cases.replay import Coverage, replay_run
from procedures.models import ProcedureVersion
from reviews.models import MinedCase


@dataclass(frozen=True)
class Path:
    status: str  # completed, waiting, held, failed
    outcome: str
    held_at: str
    actions: tuple[str, ...]

    def to_json(self) -> dict:
        return {"status": self.status, "outcome": self.outcome, "held_at": self.held_at, "actions": list(self.actions)}


def case_event(case: Case) -> NormalisedEvent:
    """The case as it arrived, for a dry run (its facts, not what the run learned since)."""
    facts = {k: v for k, v in (case.facts or {}).items() if k not in ("replay", "sample")}
    return NormalisedEvent(
        source=case.source,
        event_type="ticket.created",
        url=case.external_url,
        subject=case.subject,
        description=case.description,
        requester_email=case.requester_email or None,
        requester_name=case.requester_name or None,
        organization=case.account_name or None,
        priority=case.priority,
        facts=facts,
    )


def _path(coverage: Coverage) -> Path:
    actions = tuple(sorted(coverage.actions))
    if coverage.unattended:
        return Path("completed", next(iter(coverage.outcomes), ""), "", actions)
    if coverage.held:
        (step, _reason), *_ = coverage.held
        return Path("held", "", step, actions)
    if coverage.waiting:
        return Path("waiting", "", "", actions)
    return Path("failed", "", "", actions)


def case_path(*, version: ProcedureVersion, case: Case) -> Path:
    return _path(replay_run(version=version, tickets=[case_event(case)]))


def matching_cases(*, procedure_id: int, attributes: list[str], limit: int) -> list[int]:
    """The most recent mined cases of the procedure that have every one of `attributes`."""
    wanted = set(attributes)
    found: list[int] = []
    rows = MinedCase.objects.filter(procedure_id=procedure_id).order_by("-opened_at", "-case_id")
    for case_id, text in rows.values_list("case_id", "attributes").iterator(chunk_size=2000):
        if wanted <= set(text.split("\n")):
            found.append(case_id)
            if len(found) >= limit:
                break
    return found


def impact_simulate(
    *, draft: ProcedureVersion, published: ProcedureVersion, case_ids: list[int], did: set[int]
) -> dict:
    """Replay `case_ids` through both versions. `did`: the cases where people did what the amendment automates."""
    changed, holds_removed, agree = [], 0, 0
    rows = []
    for case in Case.objects.filter(id__in=case_ids).order_by("-opened_at"):
        before = case_path(version=published, case=case)
        after = case_path(version=draft, case=case)
        moved = before != after
        if moved:
            changed.append(case.id)
        if before.status == "held" and after.status != "held":
            holds_removed += 1
        if moved == (case.id in did):
            agree += 1
        rows.append({"case": case.id, "published": before.to_json(), "draft": after.to_json(), "changed": moved})
    total = len(rows)
    return {
        "cases": total,
        "changed_path": len(changed),
        "changed_cases": changed,
        "holds_removed": holds_removed,
        "agreement": round(agree / total, 3) if total else None,
        "draft_version": draft.number,
        "published_version": published.number,
        "rows": rows,
    }
