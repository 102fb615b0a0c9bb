"""Which published procedures an event starts: source, event type, tags, group, fields, condition."""

from __future__ import annotations

from dataclasses import dataclass

from cases import graphcache
from cases.expressions import ExpressionError, evaluate
from procedures.models import Procedure, ProcedureVersion

RUN_MODES = ("live", "dry_run", "shadow")


@dataclass(frozen=True)
class Match:
    version: ProcedureVersion
    mode: str


def trigger_of(procedure: Procedure, version: ProcedureVersion) -> dict:
    """The procedure's own trigger JSON if set, else the compiled graph's trigger."""
    if procedure.trigger:
        return dict(procedure.trigger)
    return graphcache.version_graph(version).trigger.model_dump(exclude_none=True)


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


def procedures_matching(*, source: str, event_types: list[str], case: dict) -> list[tuple[str, Match]]:
    """(event type, match) for each event type and each active published procedure whose trigger it satisfies.

    The procedures are read once for all the event types (a new case is its source's event and
    `case.created`). A trigger may carry `"mode": "shadow"` (or "dry_run") to run beside people without writing.
    """
    procedures = list(
        Procedure.objects.filter(published_version__isnull=False)
        .exclude(status__in=[Procedure.Status.PAUSED, Procedure.Status.ARCHIVED])
        .select_related("published_version")
        .order_by("id")
    )
    found = []
    for event_type in event_types:
        for procedure in procedures:
            trigger = trigger_of(procedure, procedure.published_version)
            if trigger_matches(trigger, source=source, event_type=event_type, case=case):
                mode = trigger.get("mode") if trigger.get("mode") in RUN_MODES else "live"
                found.append((event_type, Match(version=procedure.published_version, mode=mode)))
    return found
