"""Which published procedures an event starts: source, event type, tags, group, fields, condition."""

from __future__ import annotations

from dataclasses import dataclass

from cases.expressions import ExpressionError, evaluate
from procedures.models import Procedure, ProcedureVersion
from procedures.steps import parse

RUN_MODES = ("live", "dry_run", "shadow")


@dataclass(frozen=True)
class Match:
    version: ProcedureVersion
    mode: str


def trigger_of(procedure: Procedure, version: ProcedureVersion) -> dict:
    """The procedure's own trigger JSON if set, else the compiled graph's trigger."""
    if procedure.trigger:
        return dict(procedure.trigger)
    return parse(version.graph).trigger.model_dump(exclude_none=True)


def trigger_matches(trigger: dict, *, source: str, event_type: str, case: dict) -> bool:
    wanted_source = trigger.get("source") or "any"
    if wanted_source not in ("any", source):
        return False
    events = trigger.get("events") or []
    if events and event_type not in events:
        return False
    tags = {t.lower() for t in case.get("tags") or []}
    if any(t.lower() not in tags for t in trigger.get("tags") or []):
        return False
    group = trigger.get("group")
    if group and str(case.get("group") or "").lower() != group.lower():
        return False
    fields = case.get("fields") or {}
    if any(fields.get(name) in (None, "") for name in trigger.get("fields") or []):
        return False
    condition = trigger.get("condition")
    if condition:
        try:
            return evaluate(condition, {"case": case}) is True
        except ExpressionError:
            return False
    return True


def procedures_matching(*, source: str, event_type: str, case: dict) -> list[Match]:
    """Published versions of active procedures whose trigger this event on this case satisfies.

    A procedure's trigger may carry `"mode": "shadow"` (or "dry_run") to run beside people without writing.
    """
    matches = []
    procedures = (
        Procedure.objects.filter(published_version__isnull=False)
        .exclude(status__in=[Procedure.Status.PAUSED, Procedure.Status.ARCHIVED])
        .select_related("published_version")
        .order_by("id")
    )
    for procedure in procedures:
        version = procedure.published_version
        trigger = trigger_of(procedure, version)
        if trigger_matches(trigger, source=source, event_type=event_type, case=case):
            mode = trigger.get("mode") if trigger.get("mode") in RUN_MODES else "live"
            matches.append(Match(version=version, mode=mode))
    return matches
