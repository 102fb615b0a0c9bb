"""Clocks follow the case's life: a run's end, a person, a bulk update, a reopen."""

from __future__ import annotations

import time_machine
from django.core import mail

from cases.models import Case, Run
from cases.services import case_status_set, run_advance, run_start
from cases.sla.models import SlaClock, SlaFire
from tests.cases.sla.conftest import at, case_event, open_case, sweep_at
from tests.factories import ProcedureVersionFactory


def ending(**end) -> dict:
    return {"title": "End", "start": "done", "steps": [{"kind": "end", "key": "done", "title": "Done", **end}]}


def run_to_end(case, graph, when):
    version = ProcedureVersionFactory(graph=graph, status="published")
    with time_machine.travel(when, tick=False):
        return run_advance(run_id=run_start(case=case, version=version, enqueue=False).id)


def running(case) -> set[str]:
    return set(SlaClock.objects.filter(case=case, stopped_at=None).values_list("kind", flat=True))


def test_a_run_ending_close_as_solved_stops_every_clock_and_no_rule_fires_afterwards(sla_sop, lead):
    case = open_case(at(18, 10))
    run = run_to_end(case, ending(outcome="closed", case_status="closed"), at(18, 10, 5))
    assert run.outcome == "closed"
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED and case.resolved_at == at(18, 10, 5)
    assert running(case) == set()
    assert not SlaFire.objects.filter(clock__case=case, fired_at=None, cancelled_at=None).exists()
    report = sweep_at(at(19, 12))
    assert (report.fired, mail.outbox) == ([], [])
    assert case.assignee is None  # the reassign rule never ran


def test_a_run_that_only_escalates_does_not_resolve_the_case(sla_sop):
    case = open_case(at(18, 10))
    run = run_to_end(case, ending(outcome="resolved"), at(18, 10, 5))
    assert (run.status, run.outcome) == (Run.Status.COMPLETED, "resolved")
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN and case.resolved_at is None
    assert running(case) == {"first_response", "assignment", "resolution"}


def test_a_person_resolving_stops_the_clocks(sla_sop):
    case = open_case(at(18, 10))
    with time_machine.travel(at(18, 10, 20), tick=False):
        case = case_status_set(case=case, status=Case.Status.RESOLVED)
    assert case.resolved_at == at(18, 10, 20) and running(case) == set()
    assert sweep_at(at(19, 12)).fired == []


def test_a_case_resolved_behind_the_engines_back_is_never_escalated(sla_sop, lead):
    case = open_case(at(18, 10))
    Case.objects.filter(id=case.id).update(status=Case.Status.RESOLVED)  # a bulk update: no clock was told
    report = sweep_at(at(18, 10, 30))  # the unassigned -> team lead rule is due now
    assert report.fired == [] and report.stopped_cases == [case.id]
    assert mail.outbox == [] and running(case) == set()
    assert sweep_at(at(19, 12)).selected == 0


def test_a_reopened_case_gets_its_resolution_clock_back_with_the_time_it_used(sla_sop, agent):
    import datetime as dt

    from cases.sla.models import SlaPolicy

    SlaPolicy.objects.create(
        name="Gold",
        position=1,
        match_tiers=["gold"],
        first_response_target=dt.timedelta(hours=1),
        resolution_target=dt.timedelta(hours=8),
    )
    case = open_case(at(18, 10), tier="gold")
    case_event(case, at(18, 10, 5), "assigned", assignee=agent)
    case_event(case, at(18, 10, 10), "first_public_reply", first_response_at=at(18, 10, 10))
    case_event(case, at(18, 11), "resolved", status=Case.Status.RESOLVED, resolved_at=at(18, 11))
    resolution = SlaClock.objects.get(case=case, kind="resolution")
    due_before = resolution.due_at
    assert resolution.stopped_at == at(18, 11)
    case_event(case, at(18, 15), "status_changed", status=Case.Status.OPEN, resolved_at=None)
    assert running(case) == {"resolution"}  # the first response stays met
    resolution.refresh_from_db()
    assert due_before == at(18, 18)
    assert resolution.due_at == at(18, 22)  # one hour used before, seven left from the reopen
    assert SlaFire.objects.get(clock=resolution, rule_key="breach").cancelled_at is None


def test_a_zendesk_reopen_clears_resolved_at(db):
    from cases.casefacts import NormalisedEvent, case_apply

    case = Case(status=Case.Status.RESOLVED, resolved_at=at(18, 11), opened_at=at(18, 10))
    case_apply(case=case, event=NormalisedEvent(source="zendesk", event_type="ticket.updated", status="open"))
    assert (case.status, case.resolved_at) == (Case.Status.OPEN, None)


def test_an_integration_solving_the_case_through_the_api_stops_its_clocks(sla_sop):
    from rest_framework.test import APIClient

    from cases.sla.clocks import sla_on_case_event
    from tests.factories import UserFactory

    api = APIClient()
    api.force_login(UserFactory(username="ada", is_staff=True, is_superuser=True))
    with time_machine.travel(at(18, 10), tick=False):
        body = {"event": "case.created", "case": {"external_id": "T-1", "subject": "Help", "tier": "enterprise"}}
        created = api.post("/api/v1/cases/", body, format="json")
    assert created.status_code == 201, created.content
    case = Case.objects.get(id=created.json()["case"]["id"])
    sla_on_case_event(case=case, event_kind="created")
    assert running(case)
    with time_machine.travel(at(18, 10, 30), tick=False):
        body = {"event": "case.updated", "case": {"external_id": "T-1", "status": "solved"}}
        assert api.post("/api/v1/cases/", body, format="json").status_code == 201
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED and running(case) == set()
