"""Reads about SLAs: countdowns per case, what breaches soon, attainment per queue, timeline entries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q

from cases import clock as case_clock
from cases.models import Case
from cases.sla.models import BREACH_RULE, EscalationRule, SlaClock, SlaFire


@dataclass(frozen=True)
class Countdown:
    case_id: int
    kind: str
    kind_label: str
    due_at: dt.datetime | None
    seconds_left: int | None  # negative once overdue; None while paused
    paused: bool

    @property
    def overdue(self) -> bool:
        return self.seconds_left is not None and self.seconds_left < 0

    @property
    def label(self) -> str:
        if self.paused:
            return "paused"
        seconds = abs(self.seconds_left or 0)
        hours, minutes = seconds // 3600, (seconds % 3600) // 60
        text = f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"
        return f"overdue {text}" if self.overdue else f"{text} left"


def _countdown(sla_clock: SlaClock, now: dt.datetime) -> Countdown:
    left = None if sla_clock.due_at is None else int((sla_clock.due_at - now).total_seconds())
    return Countdown(
        case_id=sla_clock.case_id,
        kind=sla_clock.kind,
        kind_label=sla_clock.get_kind_display(),
        due_at=sla_clock.due_at,
        seconds_left=left,
        paused=sla_clock.paused_at is not None,
    )


def sla_countdowns(*, case_ids: Iterable[int], now: dt.datetime | None = None) -> dict[int, Countdown]:
    """Per case, its most urgent running clock (the earliest due; a paused one only if nothing runs). One query."""
    now = now or case_clock.now()
    best: dict[int, SlaClock] = {}
    for sla_clock in SlaClock.objects.filter(case_id__in=list(case_ids), stopped_at=None):
        current = best.get(sla_clock.case_id)
        if (
            current is None
            or (current.due_at is None)
            or (sla_clock.due_at is not None and sla_clock.due_at < current.due_at)
        ):
            best[sla_clock.case_id] = sla_clock
    return {case_id: _countdown(c, now) for case_id, c in best.items()}


@dataclass(frozen=True)
class BreachingRow:
    case: Case
    clock: SlaClock
    countdown: Countdown


def sla_breaching_soon(
    *, now: dt.datetime | None = None, within: dt.timedelta = dt.timedelta(hours=2), queue: str = "", limit: int = 200
) -> list[BreachingRow]:
    """Running clocks due within `within` of now, overdue ones included, most urgent first (indexed on due_at)."""
    now = now or case_clock.now()
    clocks = SlaClock.objects.filter(stopped_at=None, due_at__lte=now + within).select_related(
        "case__assignee", "policy"
    )
    if queue:
        clocks = clocks.filter(case__queue=queue)
    return [BreachingRow(case=c.case, clock=c, countdown=_countdown(c, now)) for c in clocks.order_by("due_at")[:limit]]


@dataclass(frozen=True)
class AttainmentRow:
    queue: str
    kind: str
    met: int
    breached: int

    @property
    def total(self) -> int:
        return self.met + self.breached

    @property
    def percent(self) -> float | None:
        return round(100.0 * self.met / self.total, 1) if self.total else None


def sla_attainment(*, days: int, now: dt.datetime | None = None) -> list[AttainmentRow]:
    """Per queue and clock kind, over the last `days`: clocks met (stopped in time) and breached. One query.

    A clock counts in the window in which its outcome was decided: when it was
    stopped in time, or when it breached (still running or stopped late).
    """
    now = now or case_clock.now()
    since = now - dt.timedelta(days=days)
    met = Q(breached_at=None, stopped_at__gte=since, stopped_at__lte=now)
    breached = Q(breached_at__gte=since, breached_at__lte=now)
    rows = (
        SlaClock.objects.filter(met | breached)
        .values("case__queue", "kind")
        .annotate(met=Count("id", filter=met), breached=Count("id", filter=breached))
        .order_by("case__queue", "kind")
    )
    return [
        AttainmentRow(queue=r["case__queue"] or "", kind=r["kind"], met=r["met"], breached=r["breached"]) for r in rows
    ]


# --- Timeline ---------------------------------------------------------------------------

ACTION_TITLES = {
    EscalationRule.Action.NOTIFY: "SLA: notified {to}",
    EscalationRule.Action.REASSIGN: "SLA: reassigned to {to}",
    EscalationRule.Action.RISK_FLAG: "SLA: Salesforce account {account_id} risk flag set",
}


def _fire_title(fire: SlaFire, sla_clock: SlaClock) -> str:
    result = fire.result or {}
    if fire.rule_key == BREACH_RULE:
        return f"SLA breached: {sla_clock.get_kind_display().lower()} was due {sla_clock.due_at or fire.due_at:%Y-%m-%d %H:%M}"
    action = fire.rule.action if fire.rule else result.get("action", "")
    if fire.error:
        return f"SLA {fire.rule_key} failed"
    template = ACTION_TITLES.get(action, "SLA: {rule}")
    to = result.get("to")
    return template.format(
        to=", ".join(to) if isinstance(to, list) else (to or ""),
        account_id=result.get("account_id", ""),
        rule=fire.rule_key,
    )


def _fire_request(fire: SlaFire) -> dict | None:
    """The outside call a fire made, in the shape the timeline shows for steps ({operation, params})."""
    result = fire.result or {}
    action = fire.rule.action if fire.rule else result.get("action", "")
    if action == EscalationRule.Action.NOTIFY:
        return {"operation": "email.send", "params": {"to": result.get("to"), "subject": result.get("subject")}}
    if action == EscalationRule.Action.REASSIGN:
        operation = "zendesk.update_ticket" if result.get("zendesk_ticket") else "email.send"
        return {"operation": operation, "params": {"assignee_email": result.get("to")}}
    if action == EscalationRule.Action.RISK_FLAG:
        return {
            "operation": "salesforce.update_record",
            "params": {"object": "Account", "record_id": result.get("account_id"), "fields": result.get("fields")},
        }
    return None


def sla_timeline_entries(*, case: Case) -> list:
    """The case's SLA history as `cases.selectors.TimelineEntry` rows (kind "sla"): clocks, fires, stops."""
    from cases.selectors import TimelineEntry

    entries = []
    clocks = list(SlaClock.objects.filter(case=case).select_related("policy"))
    fires = SlaFire.objects.filter(clock__in=clocks, fired_at__isnull=False).select_related("rule").order_by("fired_at")
    by_id = {c.id: c for c in clocks}
    for sla_clock in clocks:
        label = sla_clock.get_kind_display()
        due = f"{sla_clock.due_at:%Y-%m-%d %H:%M} UTC" if sla_clock.due_at else "paused"
        entries.append(
            TimelineEntry(
                at=sla_clock.started_at,
                kind="sla",
                title=f"SLA clock started: {label.lower()} due {due}",
                status="running" if sla_clock.stopped_at is None else "stopped",
                result={
                    "policy": sla_clock.policy.name,
                    "target": str(sla_clock.target),
                    "business_hours": sla_clock.business_hours,
                    "paused_seconds": sla_clock.paused_seconds,
                },
                links=[(f"SLA policy {sla_clock.policy.name}", f"/admin/sla/slapolicy/{sla_clock.policy_id}/change/")],
            )
        )
        if sla_clock.stopped_at:
            met = sla_clock.breached_at is None
            entries.append(
                TimelineEntry(
                    at=sla_clock.stopped_at,
                    kind="sla",
                    status="met" if met else "breached",
                    title=f"SLA clock stopped: {label.lower()} {'met' if met else 'missed'}",
                )
            )
    for fire in fires:
        sla_clock = by_id[fire.clock_id]
        entries.append(
            TimelineEntry(
                at=fire.fired_at,
                kind="sla",
                title=_fire_title(fire, sla_clock),
                status="failed" if fire.error else "succeeded",
                step_key=fire.rule_key,
                request=_fire_request(fire),
                instruction=fire.rule.instruction if fire.rule else "",
                result=fire.result,
                error=fire.error,
                attempt=fire.attempts,
                idempotency_key=f"sla-{fire.id}",
            )
        )
    entries.sort(key=lambda e: e.at)
    return entries
