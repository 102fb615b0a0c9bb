"""What a live run does to its case: its status (with the SLA clocks following) and the tier a CRM read reveals.

Only live runs call these; dry runs and shadow runs never write case data, clocks or timers.
"""

from __future__ import annotations

import datetime as dt

from cases import clock, engine
from cases.models import Case
from cases.sla.clocks import sla_on_case_event, sla_status_change_matters

END_CASE_STATUS = {"closed": Case.Status.CLOSED, "abandoned": Case.Status.CLOSED}
DONE = (Case.Status.RESOLVED, Case.Status.CLOSED)


def end_case_status(end: engine.End) -> str | None:
    """What a run's end does to its case: the end step's `case_status`, else closed for closed/abandoned ends.

    An end that only says the SOP is done (`resolved`, `handed_off`, `stopped`,
    or running off the last step) leaves the case's status to people and the
    source system: an SOP that escalates has done its part, the case is not solved.
    """
    return end.case_status or END_CASE_STATUS.get(end.outcome)


def case_status(case_id: int, status: str, now: dt.datetime, *, by_run: bool = True) -> None:
    """Set a live case's status and bring its SLA clocks in line (stop, pause, resume, restart).

    `by_run`: a run holding or waiting never reopens a case someone already resolved or closed.
    """
    case = Case.objects.select_for_update().get(id=case_id)
    if case.status == status or (by_run and case.status in DONE and status not in DONE):
        return
    was = case.status
    case.status = status
    if status in DONE:
        case.resolved_at = case.resolved_at or now
    else:
        case.resolved_at = None
    case.save(update_fields=["status", "resolved_at", "updated_at"])
    if sla_status_change_matters(was, status):  # open ↔ held leaves the clocks running: two reads saved per hold
        sla_on_case_event(case=case, event_kind="status_changed", now=now)


def tier_learn(case: Case, result: dict, now: dt.datetime) -> bool:
    """A plan read from the CRM (e.g. Salesforce `plan`) is the case's tier, which picks its SLA policy.

    `case` may be partly loaded (the engine reads only what SOPs read); its facts are brought up to date.
    Returns True when they changed (the case's names must be read again).
    """
    plan = str(result.get("plan") or "").strip().lower()
    if not plan or (case.facts or {}).get("tier"):
        return False
    fresh = Case.objects.select_for_update().get(id=case.id)  # every field: the SLA policy may read any
    if not (fresh.facts or {}).get("tier"):
        fresh.facts, fresh.updated_at = {**(fresh.facts or {}), "tier": plan}, clock.now()
        # An UPDATE, not save(): the case's history leaves facts out, so a history row would record nothing.
        Case.objects.filter(id=fresh.id).update(facts=fresh.facts, updated_at=fresh.updated_at)
        sla_on_case_event(case=fresh, event_kind="updated", now=now)
    case.facts = fresh.facts
    return True
