"""Every row of shared/scenarios/sla-routing.md, with time moved by time-machine and actions in the sandbox.

The SOP is compiled from sopdesk/demo/scenarios/sla-routing.md; escalations go
out through the real connectors: email into the aiosmtpd sink, the Zendesk
reassignment and the Salesforce risk flag into the emulators.
"""

from __future__ import annotations

import datetime as dt

from cases.sla.models import SlaClock, SlaFire, SlaQueue
from cases.sla.selectors import sla_timeline_entries
from tests.cases.sla.conftest import (
    AGENT_EMAIL,
    LEAD_EMAIL,
    VP_EMAIL,
    at,
    case_event,
    open_case,
    sweep_at,
    sweep_every_minute,
)

ACME_DOMAIN = "acme.example"


def fired(case, key=None):
    fires = SlaFire.objects.filter(clock__case=case, fired_at__isnull=False)
    return list(fires.filter(rule_key=key) if key else fires.exclude(rule_key="breach"))


def test_enterprise_assigned_and_answered_in_time_has_no_escalation_and_no_warning(sla_sop, agent, lead, sandbox):
    case = open_case(at(18, 10))
    sweep_every_minute(at(18, 10), at(18, 10, 9))
    case_event(case, at(18, 10, 10), "assigned", assignee=agent)
    sweep_every_minute(at(18, 10, 10), at(18, 10, 59))
    case_event(case, at(18, 11), "first_public_reply", first_response_at=at(18, 11))
    sweep_every_minute(at(18, 11), at(18, 13))

    assert fired(case) == []
    assert fired(case, "breach") == []
    assert sandbox.mail() == []
    first, assignment = (
        SlaClock.objects.get(case=case, kind="first_response"),
        SlaClock.objects.get(case=case, kind="assignment"),
    )
    assert (first.stopped_at, first.breached_at) == (at(18, 11), None)
    assert (assignment.stopped_at, assignment.breached_at) == (at(18, 10, 10), None)
    assert SlaFire.objects.filter(clock__case=case, cancelled_at__isnull=False).count() >= 3


def test_enterprise_unassigned_at_10_30_goes_to_the_queues_team_lead_once(sla_sop, lead, sandbox):
    case = open_case(at(18, 10), source="zendesk", external_id="1", facts={"ticket_id": "1"})
    reports = sweep_every_minute(at(18, 10), at(18, 10, 29))
    assert all(not r.fired for r in reports)
    assert sandbox.inspect("zendesk")["tickets"][1]["assignee_id"] is None

    sweep_at(at(18, 10, 30))
    sweep_at(at(18, 10, 30))  # the schedule firing twice on the 30 s grid changes nothing
    sweep_every_minute(at(18, 10, 31), at(18, 11))

    [escalation] = fired(case, "unassigned-to-team-lead")
    assert escalation.fired_at == at(18, 10, 30)
    assert escalation.error == ""
    assert sandbox.inspect("zendesk")["tickets"][1]["assignee_id"] == 110  # Lee Lead in the sandbox
    case.refresh_from_db()
    assert case.assignee == lead
    assignment = SlaClock.objects.get(case=case, kind="assignment")
    assert assignment.stopped_at == at(18, 10, 30)
    mails = [m for m in sandbox.mail() if "Assigned to you" in m["subject"]]
    assert [m["to"] for m in mails] == [[LEAD_EMAIL]]
    titles = [e.title for e in sla_timeline_entries(case=case)]
    assert f"SLA: reassigned to {LEAD_EMAIL}" in titles


def test_enterprise_without_first_response_warns_assignee_and_team_lead_at_11_45_once(sla_sop, agent, lead, sandbox):
    case = open_case(at(18, 10))
    case_event(case, at(18, 10, 10), "assigned", assignee=agent)
    reports = sweep_every_minute(at(18, 10), at(18, 11, 44))
    assert all(not r.fired for r in reports)

    sweep_at(at(18, 11, 45))
    sweep_at(at(18, 11, 45))
    sweep_every_minute(at(18, 11, 46), at(18, 12, 30))

    [warning] = fired(case, "first-response-warn-15m")
    assert warning.fired_at == at(18, 11, 45)
    warnings = [m for m in sandbox.mail() if m["subject"].strip().startswith("SLA warning")]
    assert len(warnings) == 1
    assert sorted(warnings[0]["to"]) == sorted([AGENT_EMAIL, LEAD_EMAIL])
    assert "first response" in warnings[0]["subject"]
    assert warnings[0]["message_id"] == warning.result["message_id"]
    # the first-response breach at 12:00 is recorded on the clock, without a second message
    assert SlaClock.objects.get(case=case, kind="first_response").breached_at == at(18, 12)
    titles = [e.title for e in sla_timeline_entries(case=case)]
    assert f"SLA: notified {AGENT_EMAIL}, {LEAD_EMAIL}" in titles
    assert any(t.startswith("SLA breached: first response") for t in titles)


def test_pro_case_opened_friday_16_00_is_due_monday_16_00(sla_sop):
    case = open_case(at(20, 16), tier="pro")
    first = SlaClock.objects.get(case=case, kind="first_response")
    assert first.due_at == at(23, 16)
    assert first.business_hours
    warn = SlaFire.objects.get(clock=first, rule_key="first-response-warn-15m")
    assert warn.due_at == at(23, 15, 45)


def test_pro_case_is_due_monday_16_00_in_the_queues_time_zone(sla_sop):
    SlaQueue.objects.create(name="berlin", time_zone="Europe/Berlin")
    case = open_case(dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC), tier="pro", queue="berlin")  # 16:00 in Berlin
    first = SlaClock.objects.get(case=case, kind="first_response")
    assert first.due_at == dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)  # Monday 16:00 in Berlin


def test_resolution_window_passing_notifies_the_vp_once_and_flags_the_salesforce_account(sla_sop, agent, sandbox):
    case = open_case(at(18, 10), requester_email=f"alice@{ACME_DOMAIN}")
    case_event(case, at(18, 10, 5), "assigned", assignee=agent)
    case_event(case, at(18, 10, 30), "first_public_reply", first_response_at=at(18, 10, 30))
    resolution = SlaClock.objects.get(case=case, kind="resolution")
    assert resolution.due_at == at(19, 10)  # the compiled default: 24 hours

    assert not sweep_at(at(19, 9, 59)).fired
    first_sweep = sweep_at(at(19, 10))
    second_sweep = sweep_at(at(19, 10))
    sweep_every_minute(at(19, 10, 1), at(19, 10, 5))

    assert len(first_sweep.fired) == 3  # VP notice, risk flag, breach marker
    assert second_sweep.fired == []
    vp_mail = [m for m in sandbox.mail() if VP_EMAIL in m["to"]]
    assert len(vp_mail) == 1
    assert vp_mail[0]["subject"].strip().startswith("SLA breached: resolution")
    accounts = sandbox.inspect("salesforce")["records"]["Account"]
    [acme] = [a for a in accounts.values() if a.get("Domain__c") == ACME_DOMAIN]
    assert acme["Risk_Flag__c"] is True
    [flag] = fired(case, "resolution-breach-risk-flag")
    assert flag.result["account_id"] == acme["Id"]
    resolution.refresh_from_db()
    assert resolution.breached_at == at(19, 10)
    titles = [e.title for e in sla_timeline_entries(case=case)]
    assert f"SLA: notified {VP_EMAIL}" in titles
    assert f"SLA: Salesforce account {acme['Id']} risk flag set" in titles
