"""Clock services: start a case's clocks, stop them, pause while the customer owes us, resume.

Clock time is open time (business hours when the target says so) since the
clock started, pauses excluded. A clock keeps `consumed` (clock time used
before the current running stretch began at `resumed_at`), so every due time
is `add_business_time(resumed_at, at - consumed, calendar)`. While paused,
`due_at` is empty on the clock and on its unfired fires, so the sweep's
indexed `due_at <= now` never sees them.

Callers hold the case (the engine's event handling locks the Case row); each
service owns its transaction and is safe to call twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from cases import clock as case_clock
from cases.models import Case
from cases.sla.calendars import Calendar, add_business_time, business_time_between, calendar_parse
from cases.sla.models import (
    BREACH_RULE,
    BusinessCalendar,
    ClockKind,
    EscalationRule,
    SlaClock,
    SlaFire,
    SlaPolicy,
    SlaQueue,
)

STOPPING_STATUSES = (Case.Status.RESOLVED, Case.Status.CLOSED)
PAUSING_STATUSES = (Case.Status.WAITING,)


def sla_status_change_matters(before: str, after: str) -> bool:
    """Whether moving a case from `before` to `after` can change its clocks (pause, resume, stop, reopen).

    Clocks run under every status that neither pauses nor stops them (open, held), so a move
    between two of those changes nothing; a status change with nothing else is all it can be.
    """
    running = set(Case.Status.values) - set(STOPPING_STATUSES) - set(PAUSING_STATUSES)
    return not {before, after} <= running


EVENT_KINDS = ("created", "assigned", "first_public_reply", "resolved", "status_changed", "updated")


def case_tier(case: Case) -> str:
    facts = case.facts or {}
    return str(facts.get("tier") or facts.get("plan") or "").strip().lower()


def _matches(values: list, actual: str) -> bool:
    return not values or actual.lower() in {str(v).strip().lower() for v in values}


def sla_policy_for_case(*, case: Case, policies: Iterable[SlaPolicy] | None = None) -> SlaPolicy | None:
    """The first enabled policy (by position) whose tiers, priorities, queues and sources all match."""
    candidates = (
        policies
        if policies is not None
        else SlaPolicy.objects.filter(enabled=True).select_related("calendar").order_by("position", "id")
    )
    tier = case_tier(case)
    for policy in candidates:
        if (
            _matches(policy.match_tiers, tier)
            and _matches(policy.match_priorities, case.priority or "")
            and _matches(policy.match_queues, case.queue or "")
            and _matches(policy.match_sources, case.source or "")
        ):
            return policy
    return None


def clock_calendar(*, policy: SlaPolicy, queue: str, business_hours: bool) -> Calendar | None:
    """The calendar a clock counts in: none (24x7), else the queue's, else the policy's, in the queue's zone."""
    if not business_hours:
        return None
    sla_queue = SlaQueue.objects.select_related("calendar").filter(name=queue).first() if queue else None
    calendar = (sla_queue and sla_queue.calendar) or policy.calendar
    time_zone = (sla_queue and sla_queue.time_zone) or ""
    if calendar is None:
        default = BusinessCalendar(name="default", time_zone=time_zone or "UTC")
        return calendar_parse(time_zone=default.time_zone, weekly_hours=default.weekly_hours, holidays=[])
    return calendar.spec(time_zone=time_zone)


def _due(sla_clock: SlaClock, at: dt.timedelta, calendar: Calendar | None) -> dt.datetime:
    remaining = max(at - sla_clock.consumed, dt.timedelta(0))
    return add_business_time(sla_clock.resumed_at, remaining, calendar)


def _rule_at(rule: EscalationRule, target: dt.timedelta) -> dt.timedelta:
    at = target + rule.offset if rule.anchor == EscalationRule.Anchor.DUE else rule.offset
    return max(at, dt.timedelta(0))


def _stop_time(case: Case, kind: str, now: dt.datetime) -> dt.datetime | None:
    """When this clock's stopping event already happened, from the case's own fields; else None."""
    if case.status in STOPPING_STATUSES or case.resolved_at:
        return case.resolved_at or now
    if kind == ClockKind.FIRST_RESPONSE and case.first_response_at:
        return case.first_response_at
    if kind == ClockKind.ASSIGNMENT and (case.assignee_id or (case.facts or {}).get("assignee_email")):
        return now
    return None


def _fires(sla_clock: SlaClock, rules: list[EscalationRule], calendar: Calendar | None) -> list[SlaFire]:
    """The breach marker and one fire per rule on this clock's kind, with due times (none while paused)."""
    fires = [SlaFire(clock=sla_clock, rule_key=BREACH_RULE, at=sla_clock.target)]
    fires += [
        SlaFire(clock=sla_clock, rule=rule, rule_key=rule.key, at=_rule_at(rule, sla_clock.target))
        for rule in rules
        if rule.clock == sla_clock.kind
    ]
    for fire in fires:
        fire.due_at = None if sla_clock.paused_at else _due(sla_clock, fire.at, calendar)
    return fires


class _Calendars:
    """The calendars one service call needs, each looked up once (a queue's calendar is a query)."""

    def __init__(self, queue: str):
        self.queue = queue
        self._known: dict[tuple[int, bool], Calendar | None] = {}

    def get(self, policy: SlaPolicy, business_hours: bool) -> Calendar | None:
        key = (policy.id, business_hours)
        if key not in self._known:
            self._known[key] = clock_calendar(policy=policy, queue=self.queue, business_hours=business_hours)
        return self._known[key]


def _new_clock(case: Case, policy: SlaPolicy, kind: str, calendar: Calendar | None) -> SlaClock:
    sla_clock = SlaClock(
        case=case,
        policy=policy,
        kind=kind,
        target=policy.target(kind),
        business_hours=policy.business_hours(kind),
        started_at=case.opened_at,
        resumed_at=case.opened_at,
        consumed=dt.timedelta(0),
    )
    sla_clock.due_at = _due(sla_clock, sla_clock.target, calendar)
    return sla_clock


def _stop_unsaved(sla_clock: SlaClock, fires: list[SlaFire], at: dt.datetime, now: dt.datetime) -> None:
    """`_stop` on a clock and its fires not yet stored: the same outcome, written by the one insert."""
    breached = sla_clock.due_at is not None and at > sla_clock.due_at
    sla_clock.stopped_at, sla_clock.paused_at = at, None
    if breached:
        sla_clock.breached_at = sla_clock.due_at
    for fire in fires:
        if breached and fire.rule_key == BREACH_RULE:
            fire.fired_at, fire.result = sla_clock.due_at, {"late_stop": at.isoformat()}
        else:
            fire.cancelled_at = now


def _pause_unsaved(sla_clock: SlaClock, fires: list[SlaFire], calendar: Calendar | None, now: dt.datetime) -> None:
    """`sla_clocks_pause` on a clock and its fires not yet stored."""
    sla_clock.consumed += business_time_between(sla_clock.resumed_at, now, calendar)
    sla_clock.paused_at, sla_clock.due_at = now, None
    for fire in fires:
        if fire.due_at is not None and fire.due_at > now:
            fire.due_at = None


def _clocks_start(
    case: Case,
    policy: SlaPolicy | None,
    now: dt.datetime,
    *,
    kinds: Iterable[str] = ClockKind.values,
    rules: list[EscalationRule] | None = None,
    pause: bool = True,
) -> list[SlaClock]:
    """The policy's clocks of `kinds`, stopped (or paused) as the case already is: two INSERTs for all of them."""
    if policy is None:
        return []
    rules = list(policy.rules.all()) if rules is None else rules
    calendars = _Calendars(case.queue)
    clocks: list[SlaClock] = []
    fires: list[SlaFire] = []
    for kind in kinds:
        if policy.target(kind) is None:
            continue
        calendar = calendars.get(policy, policy.business_hours(kind))
        sla_clock = _new_clock(case, policy, kind, calendar)
        clock_fires = _fires(sla_clock, rules, calendar)
        stop_at = _stop_time(case, kind, now)
        if stop_at is not None:
            _stop_unsaved(sla_clock, clock_fires, max(stop_at, sla_clock.started_at), now)
        elif pause and case.status in PAUSING_STATUSES:
            _pause_unsaved(sla_clock, clock_fires, calendar, now)
        clocks.append(sla_clock)
        fires += clock_fires
    with transaction.atomic(savepoint=False):  # inside the intake's transaction: no savepoint of its own
        SlaClock.objects.bulk_create(clocks)
        SlaFire.objects.bulk_create(fires)  # each fire's clock id is taken from its clock, saved just above
    return clocks


def sla_clocks_start(*, case: Case, now: dt.datetime | None = None) -> list[SlaClock]:
    """Start one clock per target of the case's policy, with one fire per rule and a breach marker.

    Clocks start at `case.opened_at`. Does nothing when the case already has
    clocks or no policy matches. A case already waiting starts paused.
    """
    now = now or case_clock.now()
    if SlaClock.objects.filter(case=case).exists():
        return []
    return _clocks_start(case, sla_policy_for_case(case=case), now)


def sla_clocks_rematch(*, case: Case, now: dt.datetime | None = None) -> bool:
    """Move running clocks to the policy that matches now (tier learned later, priority or queue changed).

    Due times are recomputed from the clock's start under the new targets;
    rules that already fired stay fired and are not fired again. Stopped
    clocks keep their outcome. Returns whether anything changed.
    """
    now = now or case_clock.now()
    clocks = list(SlaClock.objects.select_related("policy").filter(case=case))
    return _rematch(case, clocks, sla_policy_for_case(case=case), now)


def _rematch(case: Case, clocks: list[SlaClock], policy: SlaPolicy | None, now: dt.datetime) -> bool:
    """`sla_clocks_rematch` on the case's clocks as loaded (kept up to date in memory); started clocks are appended."""
    by_kind = {c.kind: c for c in clocks}
    running = [c for c in clocks if c.stopped_at is None]
    if policy is None or not clocks or all(c.policy_id == policy.id for c in running):
        return False
    rules = list(policy.rules.all())
    calendars = _Calendars(case.queue)
    running_ids = [c.id for c in running]
    moved: list[SlaClock] = []
    fires: list[SlaFire] = []
    with transaction.atomic(savepoint=False):  # callers hold the case in their transaction; a failure aborts it
        SlaFire.objects.filter(clock_id__in=running_ids, fired_at=None).delete()
        done: dict[int, set[str]] = {}
        for clock_id, rule_key in SlaFire.objects.filter(clock_id__in=running_ids).values_list("clock_id", "rule_key"):
            done.setdefault(clock_id, set()).add(rule_key)
        for sla_clock in running:
            target = policy.target(sla_clock.kind)
            if target is None:
                sla_clock.stopped_at, sla_clock.paused_at, sla_clock.due_at = now, None, None
                continue
            sla_clock.policy, sla_clock.target = policy, target
            sla_clock.business_hours = policy.business_hours(sla_clock.kind)
            calendar = calendars.get(policy, sla_clock.business_hours)
            sla_clock.due_at = None if sla_clock.paused_at else _due(sla_clock, target, calendar)
            moved.append(sla_clock)
            fired = done.get(sla_clock.id, set())
            fires += [f for f in _fires(sla_clock, rules, calendar) if f.rule_key not in fired]
        stopped = [c.id for c in running if c.stopped_at is not None]
        if stopped:
            SlaClock.objects.filter(id__in=stopped).update(stopped_at=now, paused_at=None, due_at=None)
        if moved:
            SlaClock.objects.bulk_update(moved, ["policy", "target", "business_hours", "due_at"])
        SlaFire.objects.bulk_create(fires)
        missing = [kind for kind in ClockKind.values if kind not in by_kind]
        clocks += _clocks_start(case, policy, now, kinds=missing, rules=rules, pause=False)
    return True


def _stop(sla_clock: SlaClock, at: dt.datetime, now: dt.datetime) -> bool:
    breached = sla_clock.due_at is not None and at > sla_clock.due_at
    updated = SlaClock.objects.filter(id=sla_clock.id, stopped_at=None).update(
        stopped_at=at, paused_at=None, **({"breached_at": sla_clock.due_at} if breached else {})
    )
    if updated:
        if breached:  # stopped late: the breach marker records when it breached, without acting
            SlaFire.objects.filter(clock=sla_clock, rule_key=BREACH_RULE, fired_at=None).update(
                fired_at=sla_clock.due_at, result={"late_stop": at.isoformat()}
            )
        SlaFire.objects.filter(clock=sla_clock, fired_at=None, cancelled_at=None).update(cancelled_at=now)
        sla_clock.stopped_at, sla_clock.paused_at = at, None
        sla_clock.breached_at = sla_clock.due_at if breached else sla_clock.breached_at
    return bool(updated)


def sla_clock_stop(*, case: Case, kind: str, now: dt.datetime | None = None, at: dt.datetime | None = None) -> bool:
    """Stop the case's `kind` clock (first reply, assignment, resolution) and cancel what has not fired."""
    now = now or case_clock.now()
    sla_clock = SlaClock.objects.filter(case=case, kind=kind, stopped_at=None).first()
    if sla_clock is None:
        return False
    with transaction.atomic():
        return _stop(sla_clock, at or now, now)


def sla_clocks_pause(*, case: Case, now: dt.datetime | None = None) -> int:
    """Pause every running clock of the case (it waits on the customer). Returns how many paused."""
    now = now or case_clock.now()
    return _pause(case, list(SlaClock.objects.select_related("policy").filter(case=case)), now)


def _pause(case: Case, clocks: list[SlaClock], now: dt.datetime) -> int:
    paused = 0
    calendars = _Calendars(case.queue)
    with transaction.atomic():
        for sla_clock in clocks:
            if sla_clock.stopped_at is not None or sla_clock.paused_at is not None:
                continue
            calendar = calendars.get(sla_clock.policy, sla_clock.business_hours)
            sla_clock.consumed += business_time_between(sla_clock.resumed_at, now, calendar)
            sla_clock.paused_at, sla_clock.due_at = now, None
            sla_clock.save(update_fields=["consumed", "paused_at", "due_at"])
            SlaFire.objects.filter(clock=sla_clock, fired_at=None, cancelled_at=None, due_at__gt=now).update(
                due_at=None
            )
            paused += 1
    return paused


def sla_clocks_resume(*, case: Case, now: dt.datetime | None = None) -> int:
    """Resume paused clocks: due times move later by the open time spent paused."""
    now = now or case_clock.now()
    return _resume(case, list(SlaClock.objects.select_related("policy").filter(case=case)), now)


def _resume(case: Case, clocks: list[SlaClock], now: dt.datetime) -> int:
    resumed = 0
    calendars = _Calendars(case.queue)
    paused = [c for c in clocks if c.stopped_at is None and c.paused_at is not None]
    if not paused:
        return 0
    with transaction.atomic():
        for sla_clock in paused:
            calendar = calendars.get(sla_clock.policy, sla_clock.business_hours)
            sla_clock.paused_seconds += max(int((now - sla_clock.paused_at).total_seconds()), 0)
            sla_clock.paused_at, sla_clock.resumed_at = None, now
            sla_clock.due_at = _due(sla_clock, sla_clock.target, calendar)
            sla_clock.save(update_fields=["paused_seconds", "paused_at", "resumed_at", "due_at"])
            for fire in SlaFire.objects.filter(clock=sla_clock, fired_at=None, cancelled_at=None, due_at=None):
                fire.due_at = _due(sla_clock, fire.at, calendar)
                fire.save(update_fields=["due_at"])
            resumed += 1
    return resumed


def sla_clock_reopen(*, case: Case, now: dt.datetime | None = None) -> bool:
    """A resolved case was reopened: its resolution clock runs again from `now`.

    The time it already used still counts (resolution time is the case's total
    open time), a breach already recorded stays recorded, and the rules that
    had not fired when it stopped are due again from the clock's new stretch.
    First-response and assignment clocks, once met, stay met.
    """
    now = now or case_clock.now()
    clocks = list(SlaClock.objects.select_related("policy").filter(case=case))
    return _reopen(case, clocks, sla_policy_for_case(case=case), now)


def _reopen(case: Case, clocks: list[SlaClock], policy: SlaPolicy | None, now: dt.datetime) -> bool:
    sla_clock = next((c for c in clocks if c.kind == ClockKind.RESOLUTION and c.stopped_at is not None), None)
    if sla_clock is None or policy is None or policy.target(ClockKind.RESOLUTION) is None:
        return False
    calendar = clock_calendar(policy=sla_clock.policy, queue=case.queue, business_hours=sla_clock.business_hours)
    with transaction.atomic():
        sla_clock.consumed += business_time_between(sla_clock.resumed_at, sla_clock.stopped_at, calendar)
        sla_clock.stopped_at, sla_clock.paused_at, sla_clock.resumed_at = None, None, now
        sla_clock.due_at = _due(sla_clock, sla_clock.target, calendar)
        sla_clock.save(update_fields=["consumed", "stopped_at", "paused_at", "resumed_at", "due_at"])
        for fire in SlaFire.objects.filter(clock=sla_clock, fired_at=None, cancelled_at__isnull=False):
            fire.cancelled_at, fire.due_at = None, _due(sla_clock, fire.at, calendar)
            fire.save(update_fields=["cancelled_at", "due_at"])
    return True


def sla_on_case_event(*, case: Case, event_kind: str = "updated", now: dt.datetime | None = None) -> None:
    """Bring the case's clocks in line with the case after an inbound event. Idempotent.

    `event_kind` is one of EVENT_KINDS and only documents the caller's intent:
    the case's own fields decide. No clocks yet: start them. A case that is no
    longer resolved (reopened) gets its resolution clock back. Then stop the
    first-response clock once `first_response_at` is set, the assignment clock
    once there is an assignee, every clock once the case is resolved or
    closed; pause while the status is waiting, resume when it is not.

    The clocks and the policies are read once (two queries); writes happen only
    for what changes, so an event that changes nothing for the clocks writes nothing.
    """
    if event_kind not in EVENT_KINDS:
        raise ValueError(f"unknown SLA event kind {event_kind!r}; use one of {', '.join(EVENT_KINDS)}")
    now = now or case_clock.now()
    clocks = list(SlaClock.objects.select_related("policy").filter(case=case))
    policy = sla_policy_for_case(case=case)
    if not clocks:
        _clocks_start(case, policy, now)
        return
    if case.status not in STOPPING_STATUSES and not case.resolved_at:
        _reopen(case, clocks, policy, now)
    _rematch(case, clocks, policy, now)
    for sla_clock in clocks:
        if sla_clock.stopped_at is not None:
            continue
        stop_at = _stop_time(case, sla_clock.kind, now)
        if stop_at is not None:
            with transaction.atomic():
                _stop(sla_clock, max(stop_at, sla_clock.started_at), now)
    if case.status in PAUSING_STATUSES:
        _pause(case, clocks, now)
    elif case.status not in STOPPING_STATUSES:
        _resume(case, clocks, now)
