"""The breaching-soon and attainment pages, their selectors, and who may see them."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.urls import reverse

from cases.models import Case
from cases.sla.selectors import sla_attainment, sla_breaching_soon, sla_countdowns
from tests.cases.sla.conftest import at, case_event, open_case, sweep_at


def test_countdown_per_case_picks_the_most_urgent_running_clock(sla_sop, agent):
    case = open_case(at(18, 10))
    case_event(case, at(18, 10, 5), "assigned", assignee=agent)
    countdown = sla_countdowns(case_ids=[case.id], now=at(18, 11, 30))[case.id]
    assert (countdown.kind, countdown.seconds_left, countdown.label) == ("first_response", 1800, "30m left")
    overdue = sla_countdowns(case_ids=[case.id], now=at(18, 13, 5))[case.id]
    assert overdue.label == "overdue 1h 05m"
    case_event(case, at(18, 13, 10), "status_changed", status=Case.Status.WAITING)
    assert sla_countdowns(case_ids=[case.id], now=at(18, 13, 20))[case.id].label == "paused"


def test_breaching_soon_lists_clocks_due_within_the_window_most_urgent_first(sla_sop, agent):
    soon = open_case(at(18, 10))
    case_event(soon, at(18, 10, 5), "assigned", assignee=agent)
    later = open_case(at(18, 10), tier="pro")
    case_event(later, at(18, 10, 5), "assigned", assignee=agent)
    rows = sla_breaching_soon(now=at(18, 11), within=dt.timedelta(hours=2))
    assert [(r.case.id, r.clock.kind) for r in rows] == [(soon.id, "first_response")]
    assert sla_breaching_soon(now=at(18, 11), queue="elsewhere") == []


def test_attainment_per_queue_for_7_and_30_days(sla_sop, agent):
    met = open_case(at(18, 10))
    case_event(met, at(18, 10, 5), "assigned", assignee=agent)
    case_event(met, at(18, 11), "first_public_reply", first_response_at=at(18, 11))
    missed = open_case(at(18, 10))
    case_event(missed, at(18, 10, 5), "assigned", assignee=agent)
    sweep_at(at(18, 12))
    old = open_case(at(1, 10), queue="billing")
    case_event(old, at(1, 10, 5), "assigned", assignee=agent)
    case_event(old, at(1, 10, 30), "first_public_reply", first_response_at=at(1, 10, 30))

    week = {(r.queue, r.kind): r for r in sla_attainment(days=7, now=at(19, 9))}
    assert (week[("support", "first_response")].met, week[("support", "first_response")].breached) == (1, 1)
    assert week[("support", "first_response")].percent == 50.0
    assert week[("support", "assignment")].percent == 100.0
    assert ("billing", "first_response") not in week
    month = {(r.queue, r.kind): r for r in sla_attainment(days=30, now=at(19, 9))}
    assert month[("billing", "first_response")].percent == 100.0


def test_reviewers_and_ops_managers_see_the_pages(client, sla_sop, agent, reviewer, ops_manager):
    case = open_case(at(18, 10))
    case_event(case, at(18, 10, 5), "assigned", assignee=agent)
    for user in (reviewer, ops_manager):
        client.force_login(user)
        with time_machine.travel(at(18, 11, 30), tick=False):
            page = client.get(reverse("sla:breaching-soon"))
            attainment = client.get(reverse("sla:attainment"))
        assert page.status_code == 200
        assert f'data-case="{case.id}"' in page.text
        assert "30m left" in page.text
        assert attainment.status_code == 200
        assert "support" in attainment.text


def test_outsiders_are_refused_and_anonymous_users_sent_to_log_in(client, outsider):
    assert client.get(reverse("sla:breaching-soon")).status_code == 302
    client.force_login(outsider)
    assert client.get(reverse("sla:breaching-soon")).status_code == 403
    assert client.get(reverse("sla:attainment")).status_code == 403


def test_sla_entries_render_in_the_case_and_inbox_timelines(sla_sop, lead):
    from django.template.loader import render_to_string

    from cases.sla.selectors import sla_timeline_entries

    case = open_case(at(18, 10))
    sweep_at(at(18, 10, 30))
    entries = sla_timeline_entries(case=case)
    assert [e.kind for e in entries] == ["sla"] * len(entries)
    reassigned = next(e for e in entries if e.title == "SLA: reassigned to lead@sopdesk.example")
    assert reassigned.request["operation"] == "email.send"
    assert reassigned.instruction.startswith("A case that still has no assignee 30 minutes")
    assert reassigned.idempotency_key.startswith("sla-")
    for template in ("cases/_timeline.html", "reviews/_timeline.html"):
        html = render_to_string(template, {"entries": entries})
        assert "SLA: reassigned to lead@sopdesk.example" in html
        assert "SLA breached: assignment" in html


def test_the_case_timeline_includes_the_sla_actions(sla_sop, lead):
    from cases.selectors import case_timeline

    case = open_case(at(18, 10))
    sweep_at(at(18, 10, 30))
    titles = [(e.kind, e.title) for e in case_timeline(case=case)]
    assert ("sla", "SLA: reassigned to lead@sopdesk.example") in titles
    assert ("sla", "SLA breached: assignment was due 2026-11-18 10:30") in titles
