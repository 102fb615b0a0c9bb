"""The SLA sweep: fire every due warning, escalation and breach marker, exactly once each.

Cost is proportional to the due fires, not to open cases:

1. one SELECT of due, unfired, uncancelled SlaFire rows through the partial
   index `sla_fire_pending_due_idx` (due_at <= now ORDER BY due_at LIMIT),
   joined to their clock, policy, case, assignee and rule;
2. claims, in one transaction: per fire a compare-and-set `UPDATE … SET
   fired_at = now WHERE id = … AND fired_at IS NULL AND cancelled_at IS NULL`.
   A concurrent sweep's UPDATE of the same row waits for this commit (a row
   lock on PostgreSQL, the write lock on SQLite), then matches 0 rows and
   skips the fire. Both sweeps claim in (due_at, id) order, so they cannot
   deadlock. Claims commit before any action starts;
3. one SELECT of the contact directory, only when a claimed rule needs it;
4. per claimed rule: the action through connectors (outside any transaction)
   and one UPDATE recording its result or error, committed at once;
5. for the breach markers (no outside action), one UPDATE recording them and
   one UPDATE setting `breached_at` on their clocks, in one transaction.

So N due breach markers cost N + 3 statements and two commits; each due rule
adds one statement plus what its connector records (the email ledger: 4).
A retryable connector failure gives the fire back (fired_at cleared, due
again after a backoff) until MAX_ATTEMPTS; the idempotency key `sla-<fire
id>` makes the retry a replay, not a second email. A worker killed between
claim and record leaves a fire with fired_at set and no result; after
CLAIM_LEASE the next sweep gives it back (one UPDATE on the partial index
`sla_fire_unrecorded_idx`) and performs it again under the same idempotency
key, so the connector replays rather than repeats.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F

from cases import clock as case_clock
from cases.sla.actions import contact_directory, sla_fire_perform
from cases.sla.models import BREACH_RULE, SlaClock, SlaFire
from connectors.base import ConnectorError

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 500
MAX_ATTEMPTS = 5
CLAIM_LEASE = dt.timedelta(minutes=10)


@dataclass
class SweepReport:
    now: dt.datetime
    limit: int = DEFAULT_LIMIT
    selected: int = 0
    fired: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    lost_race: list[int] = field(default_factory=list)
    released: int = 0
    breached_clocks: list[int] = field(default_factory=list)
    stopped_cases: list[int] = field(default_factory=list)  # resolved or closed: clocks stopped, nothing fired

    @property
    def more_due(self) -> bool:
        return self.selected >= self.limit


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), 30))


def sla_sweep(*, now: dt.datetime | None = None, limit: int = DEFAULT_LIMIT) -> SweepReport:
    """Fire the SLA fires due at `now` (default: the case clock). Safe to run in several workers at once."""
    now = now or case_clock.now()
    report = SweepReport(now=now, limit=limit)
    report.released = SlaFire.objects.filter(
        fired_at__lte=now - CLAIM_LEASE, result__isnull=True, cancelled_at=None
    ).update(fired_at=None, error=f"claimed before {now - CLAIM_LEASE:%Y-%m-%d %H:%M} but never recorded; retried")
    due = list(
        SlaFire.objects.filter(fired_at=None, cancelled_at=None, due_at__lte=now)
        .select_related("clock__policy", "clock__case__assignee", "rule")
        .order_by("due_at", "id")[:limit]
    )
    report.selected = len(due)
    due = _drop_finished_cases(due, now, report)
    if not due:
        return report
    claimed = []
    with transaction.atomic():
        for fire in due:
            if SlaFire.objects.filter(id=fire.id, fired_at=None, cancelled_at=None).update(
                fired_at=now, attempts=F("attempts") + 1
            ):
                fire.fired_at, fire.attempts = now, fire.attempts + 1
                claimed.append(fire)
            else:
                report.lost_race.append(fire.id)
    rules = [f for f in claimed if f.rule_key != BREACH_RULE]
    markers = [f for f in claimed if f.rule_key == BREACH_RULE]
    directory = contact_directory() if rules else {}
    for fire in rules:
        try:
            result = sla_fire_perform(fire=fire, directory=directory)
        except ConnectorError as exc:
            _record_failure(fire, exc, now, report)
            continue
        except Exception as exc:  # a bug in one action must not stop the others
            logger.exception("SLA fire %s failed", fire.id)
            _record_failure(fire, exc, now, report)
            continue
        SlaFire.objects.filter(id=fire.id).update(result=result, error="")
        report.fired.append(fire.id)
    if markers:
        with transaction.atomic():
            SlaFire.objects.filter(id__in=[f.id for f in markers]).update(result={"action": "breach"}, error="")
            clock_ids = [f.clock_id for f in markers]
            SlaClock.objects.filter(id__in=clock_ids, breached_at=None).update(breached_at=F("due_at"))
        report.fired += [f.id for f in markers]
        report.breached_clocks = clock_ids
    return report


def _drop_finished_cases(due: list[SlaFire], now: dt.datetime, report: SweepReport) -> list[SlaFire]:
    """Fires on cases already resolved or closed are never performed: their clocks are stopped instead.

    Every path that resolves a case stops its clocks (`sla_on_case_event`); this
    is the guarantee for any path that did not (a bulk update, a restore), so
    no escalation rule acts on a finished case.
    """
    from cases.sla.clocks import STOPPING_STATUSES, sla_on_case_event

    finished = {f.clock.case_id: f.clock.case for f in due if f.clock.case.status in STOPPING_STATUSES}
    for case in finished.values():
        sla_on_case_event(case=case, event_kind="resolved", now=now)
        report.stopped_cases.append(case.id)
    return [f for f in due if f.clock.case_id not in finished]


def _record_failure(fire: SlaFire, exc: Exception, now: dt.datetime, report: SweepReport) -> None:
    message = f"{getattr(exc, 'code', type(exc).__name__)}: {exc}"
    if getattr(exc, "retryable", False) and fire.attempts < MAX_ATTEMPTS:
        SlaFire.objects.filter(id=fire.id, fired_at=now).update(
            fired_at=None, due_at=now + _backoff(fire.attempts), error=f"attempt {fire.attempts}: {message}"
        )
        report.retrying.append(fire.id)
        return
    SlaFire.objects.filter(id=fire.id).update(result={"failed": True}, error=message)
    report.failed.append(fire.id)
