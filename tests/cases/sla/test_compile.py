"""The SLA SOP compiles into policies and an escalation chain; what the parser skips is reported."""

from __future__ import annotations

import datetime as dt

from cases.sla.compile import sla_parse, sla_policies_from_sop
from cases.sla.models import EscalationRule, SlaPolicy
from tests.cases.sla.conftest import SOP_PATH

H = dt.timedelta(hours=1)


def test_the_demo_sop_parses_into_three_tiers_and_four_rules():
    spec = sla_parse(SOP_PATH.read_text())
    assert [(p.name, p.tiers, p.first_response, p.first_response_business) for p in spec.policies] == [
        ("Enterprise customers", ["enterprise"], 2 * H, False),
        ("Pro customers", ["pro"], 8 * H, True),
        ("Everyone else", [], 24 * H, False),
    ]
    assert spec.assignment == dt.timedelta(minutes=30)
    assert spec.weekly_hours == {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    rules = {r.key: r for r in spec.rules}
    assert rules["unassigned-to-team-lead"].offset == dt.timedelta(minutes=30)
    assert rules["unassigned-to-team-lead"].anchor == "start"
    assert rules["first-response-warn-15m"].offset == -dt.timedelta(minutes=15)
    assert rules["first-response-warn-15m"].roles == ["assignee", "team_lead"]
    assert rules["resolution-breach-notify"].roles == ["vp_customer_success"]
    assert rules["resolution-breach-risk-flag"].action == "risk_flag"
    assert spec.not_understood == []  # the title line is a heading, not a rule
    assert any("no resolution target" in w for w in spec.warnings)
    assert any("queue's time zone" in w for w in spec.warnings)


def test_unknown_sentences_are_reported_not_guessed():
    spec = sla_parse("- Gold customers get a first response within 1 hour.\n- Page the on-call engineer at night.")
    assert [p.name for p in spec.policies] == ["Gold customers"]
    assert spec.not_understood == ["Page the on-call engineer at night."]


def test_resolution_targets_and_explicit_time_zone_are_read():
    spec = sla_parse(
        "Gold customers get a first response within 30 minutes (Monday to Saturday, 8:00 to 18:00 in Europe/Berlin). "
        "Gold customers are resolved within 3 business days."
    )
    policy = spec.policies[0]
    assert policy.first_response == dt.timedelta(minutes=30)
    assert (policy.resolution, policy.resolution_business) == (3 * 24 * H, True)
    assert spec.time_zone == "Europe/Berlin"
    assert set(spec.weekly_hours) == {"mon", "tue", "wed", "thu", "fri", "sat"}


def test_compiling_twice_updates_the_same_policies(db):
    first = sla_policies_from_sop(text=SOP_PATH.read_text())
    second = sla_policies_from_sop(text=SOP_PATH.read_text())
    assert [p.id for p in first.policies] == [p.id for p in second.policies]
    assert SlaPolicy.objects.count() == 3
    assert EscalationRule.objects.count() == 3 * 4
    pro = SlaPolicy.objects.get(name="Pro customers")
    assert pro.calendar is not None and pro.first_response_business_hours
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == [
        "Enterprise customers",
        "Pro customers",
        "Everyone else",
    ]
    assert pro.history.count() == 2


def test_the_compile_command_reports_policies_warnings_and_what_it_skipped(db, capsys):
    from django.core.management import call_command

    call_command("sla_compile", str(SOP_PATH))
    out = capsys.readouterr().out
    assert "policy Enterprise customers: first_response 2:00:00, assignment 0:30:00, resolution 1 day, 0:00:00;" in out
    assert "policy Pro customers: first_response 8:00:00 business" in out
    assert "not understood" not in out
    assert "warning:" in out


def test_recompiling_keeps_pending_fires_attached_to_their_rules(sla_sop):
    from cases.sla.models import SlaFire
    from tests.cases.sla.conftest import at, open_case

    case = open_case(at(18, 10))
    before = dict(SlaFire.objects.filter(clock__case=case).exclude(rule=None).values_list("id", "rule_id"))
    sla_policies_from_sop(text=SOP_PATH.read_text())
    after = dict(SlaFire.objects.filter(clock__case=case).exclude(rule=None).values_list("id", "rule_id"))
    assert before == after and len(after) == 4
