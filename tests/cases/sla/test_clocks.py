"""Clock services: matching, stopping, pausing while waiting on the customer, re-matching when facts change."""

from __future__ import annotations

import datetime as dt

from cases.models import Case
from cases.sla.clocks import sla_policy_for_case
from cases.sla.models import SlaClock, SlaFire, SlaPolicy
from tests.cases.sla.conftest import at, case_event, open_case, sweep_at, sweep_every_minute
from tests.factories import CaseFactory


def clock(case, kind="first_response"):
    return SlaClock.objects.get(case=case, kind=kind)


def fire(case, key, kind="first_response"):
    return SlaFire.objects.get(clock__case=case, clock__kind=kind, rule_key=key)


def test_policies_match_by_tier_then_fall_back_to_everyone_else(sla_sop):
    assert sla_policy_for_case(case=CaseFactory.build(facts={"tier": "Enterprise"})).name == "Enterprise customers"
    assert sla_policy_for_case(case=CaseFactory.build(facts={"plan": "pro"})).name == "Pro customers"
    assert sla_policy_for_case(case=CaseFactory.build(facts={})).name == "Everyone else"


def test_policies_match_priority_queue_and_source(sla_sop):
    urgent = SlaPolicy.objects.create(
        name="Urgent billing by email",
        position=1,
        match_priorities=["urgent"],
        match_queues=["billing"],
        match_sources=["api"],
        first_response_target=dt.timedelta(minutes=30),
    )
    case = CaseFactory.build(priority="urgent", queue="billing", source="api", facts={"tier": "enterprise"})
    assert sla_policy_for_case(case=case) == urgent
    case.source = "zendesk"
    assert sla_policy_for_case(case=case).name == "Enterprise customers"
    urgent.enabled = False
    urgent.save()
    case.source = "api"
    assert sla_policy_for_case(case=case).name == "Enterprise customers"


def test_starting_twice_creates_one_set_of_clocks(sla_sop):
    case = open_case(at(18, 10))
    case_event(case, at(18, 10, 1), "created")
    assert sorted(SlaClock.objects.filter(case=case).values_list("kind", flat=True)) == [
        "assignment",
        "first_response",
        "resolution",
    ]
    assert SlaFire.objects.filter(clock__case=case).count() == 3 + 4  # a breach marker per clock + 4 rules


def test_no_policy_no_clocks(db):
    case = open_case(at(18, 10))
    assert not SlaClock.objects.filter(case=case).exists()


def test_waiting_on_the_customer_pauses_and_resuming_moves_due_times(sla_sop, agent):
    case = open_case(at(18, 10))
    case_event(case, at(18, 10, 5), "assigned", assignee=agent)
    case_event(case, at(18, 10, 30), "status_changed", status=Case.Status.WAITING)
    paused = clock(case)
    assert (paused.paused_at, paused.due_at, paused.consumed) == (at(18, 10, 30), None, dt.timedelta(minutes=30))
    assert fire(case, "first-response-warn-15m").due_at is None
    assert all(not r.fired for r in sweep_every_minute(at(18, 11, 40), at(18, 12, 5)))

    case_event(case, at(18, 13), "status_changed", status=Case.Status.OPEN)
    resumed = clock(case)
    assert (resumed.due_at, resumed.paused_at, resumed.paused_seconds) == (at(18, 14, 30), None, 9000)
    assert fire(case, "first-response-warn-15m").due_at == at(18, 14, 15)
    assert not sweep_at(at(18, 14, 14)).fired
    assert fire(case, "first-response-warn-15m").id in sweep_at(at(18, 14, 15)).fired


def test_business_hours_clock_paused_overnight_resumes_with_what_was_left(sla_sop):
    case = open_case(at(18, 10), tier="pro")  # Wednesday 10:00; 8 business hours -> Thursday 10:00
    assert clock(case).due_at == at(19, 10)
    case_event(case, at(18, 16), "status_changed", status=Case.Status.WAITING)  # 6 business hours used
    case_event(case, at(20, 10), "status_changed", status=Case.Status.OPEN)  # Friday 10:00
    assert clock(case).due_at == at(20, 12)
    assert clock(case).consumed == dt.timedelta(hours=6)


def test_a_case_opened_waiting_starts_paused(sla_sop):
    case = open_case(at(18, 10), status=Case.Status.WAITING)
    assert SlaClock.objects.filter(case=case, paused_at=at(18, 10), due_at=None).count() == 3


def test_a_reply_after_the_due_time_records_the_breach_without_acting(sla_sop, agent):
    case = open_case(at(18, 10))
    case_event(case, at(18, 10, 5), "assigned", assignee=agent)
    case_event(case, at(18, 12, 30), "first_public_reply", first_response_at=at(18, 12, 30))
    first = clock(case)
    assert (first.stopped_at, first.breached_at) == (at(18, 12, 30), at(18, 12))
    breach = fire(case, "breach")
    assert breach.fired_at == at(18, 12) and breach.result == {"late_stop": at(18, 12, 30).isoformat()}
    warn = fire(case, "first-response-warn-15m")
    assert (warn.fired_at, warn.cancelled_at) == (None, at(18, 12, 30))
    assert sweep_at(at(18, 12, 31)).selected == 0


def test_resolving_stops_every_clock_and_cancels_what_has_not_fired(sla_sop, agent):
    case = open_case(at(18, 10))
    case_event(case, at(18, 10, 20), "resolved", status=Case.Status.RESOLVED, resolved_at=at(18, 10, 20))
    assert set(SlaClock.objects.filter(case=case).values_list("stopped_at", flat=True)) == {at(18, 10, 20)}
    assert not SlaFire.objects.filter(clock__case=case, fired_at=None, cancelled_at=None).exists()
    assert sweep_at(at(19, 12)).selected == 0


def test_a_tier_learned_later_moves_the_clocks_to_the_matching_policy(sla_sop):
    case = open_case(at(18, 10), tier="")
    assert clock(case).due_at == at(19, 10)  # everyone else: 24 hours
    case_event(case, at(18, 10, 20), "updated", facts={"tier": "enterprise"})
    first = clock(case)
    assert (first.policy.name, first.due_at) == ("Enterprise customers", at(18, 12))
    assert fire(case, "first-response-warn-15m").due_at == at(18, 11, 45)
    assert SlaFire.objects.filter(clock=first, rule_key="breach").count() == 1


def test_a_rule_fired_before_the_rematch_is_not_fired_again(sla_sop, lead):
    case = open_case(at(18, 10), tier="")
    assert len(sweep_at(at(18, 10, 30)).fired) == 2  # unassigned -> team lead, and the assignment breach
    case_event(case, at(18, 10, 40), "updated", facts={"tier": "enterprise"})
    assert SlaFire.objects.filter(clock__case=case, rule_key="unassigned-to-team-lead").count() == 1


def test_a_queues_own_calendar_and_holidays_override_the_policys(sla_sop):
    from cases.sla.models import BusinessCalendar, SlaQueue

    calendar = BusinessCalendar.objects.create(name="Support EU", time_zone="UTC", holidays=["2026-11-23"])
    SlaQueue.objects.create(name="eu", calendar=calendar)
    case = open_case(at(20, 16), tier="pro", queue="eu")
    assert clock(case).due_at == at(24, 16)  # Monday is a holiday in this queue


def test_only_status_moves_that_pause_stop_or_resume_the_clocks_need_them():
    from cases.models import Case
    from cases.sla.clocks import sla_status_change_matters

    assert not sla_status_change_matters(Case.Status.OPEN, Case.Status.HELD)  # a run holds the case: clocks run on
    assert not sla_status_change_matters(Case.Status.HELD, Case.Status.OPEN)
    assert sla_status_change_matters(Case.Status.OPEN, Case.Status.WAITING)
    assert sla_status_change_matters(Case.Status.WAITING, Case.Status.HELD)
    assert sla_status_change_matters(Case.Status.HELD, Case.Status.RESOLVED)
    assert sla_status_change_matters(Case.Status.CLOSED, Case.Status.OPEN)
