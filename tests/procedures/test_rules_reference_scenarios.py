"""Golden graphs: the three reference SOPs compile with the rules compiler into graphs that run them correctly.

Each row of the scenarios' expected-outcome tables is replayed with the test
walker (`graph_walk.walk`), which follows branches by evaluating the compiled
CEL on sample facts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from procedures.compiler import compile_source
from procedures.steps import ActStep, ApproveStep, DecideStep, GatherStep, WaitStep
from tests.procedures.graph_walk import walk

EVAL_DIR = Path(__file__).parent / "compiler_eval"


def _compile(name: str):
    source = (EVAL_DIR / name).read_text()
    return source, compile_source(source, compiler="rules")


@pytest.fixture(scope="module")
def escalation():
    return _compile("11-escalation.md")


@pytest.fixture(scope="module")
def freight():
    return _compile("12-freight-claim.md")


BUG_CASE = {
    "subject": "Export crashes",
    "description": "Clicking export crashes the app.",
    "ticket_id": "101",
    "url": "https://acme.zendesk.com/agent/tickets/101",
    "requester_email": "ann@globex.com",
    "organization": "Globex",
    "tags": ["product-bug"],
}


def _account(plan: str) -> dict:
    return {"id": "001A", "name": "Globex", "plan": plan, "owner_email": "olga@acme.com"}


def _run_escalation(graph, plan: str, risk: int = 35):
    jira = {"key": "ENG-7", "url": "https://jira.example/browse/ENG-7"}
    results = {"account": _account(plan), "jira": jira, "opportunity": {"id": "006B", "risk_score": risk}}
    return walk(graph, BUG_CASE, results=results)


# --- escalation -------------------------------------------------------------------------------


def test_escalation_starts_by_reading_the_account_plan_from_salesforce(escalation):
    _, result = escalation
    first = result.graph.step(result.graph.start)
    assert isinstance(first, GatherStep)
    assert first.operation == "salesforce.query_account"
    assert first.save_as == "account"
    assert "plan" in first.required


def test_escalation_free_plan_replies_and_tags_without_jira(escalation):
    _, result = escalation
    trace = _run_escalation(result.graph, "Free")
    assert trace.ops() == ["salesforce.query_account", "zendesk.reply", "zendesk.add_tags"]
    assert trace.calls("zendesk.add_tags")[0]["tags"] == ["community-bug"]
    assert trace.outcome == "stopped"


def test_escalation_enterprise_opens_highest_bug_links_it_raises_risk_and_emails_the_owner(escalation):
    _, result = escalation
    trace = _run_escalation(result.graph, "Enterprise", risk=35)
    [issue] = trace.calls("jira.create_issue")
    assert issue["project"] == "ENG"
    assert issue["issue_type"] == "Bug"
    assert issue["summary"] == "Export crashes"
    assert issue["priority"] == "Highest"
    for text in ("Clicking export crashes the app.", "Globex", "Enterprise", BUG_CASE["url"]):
        assert text in issue["description"]
    [note] = trace.calls("zendesk.add_note")
    assert "ENG-7" in note["body"]
    assert trace.calls("zendesk.add_tags")[0]["tags"] == ["jira-linked"]
    [update] = trace.calls("salesforce.update_record")
    assert update["object"] == "Opportunity"
    assert update["record_id"] == "006B"
    assert list(update["fields"].values()) == [45]
    [mail] = trace.calls("email.send")
    assert mail["to"] == ["olga@acme.com"]
    assert "https://jira.example/browse/ENG-7" in mail["body"]
    assert trace.outcome == "resolved"


def test_escalation_pro_gets_high_priority_risk_capped_at_100_and_no_email(escalation):
    _, result = escalation
    trace = _run_escalation(result.graph, "Pro", risk=95)
    assert trace.calls("jira.create_issue")[0]["priority"] == "High"
    assert list(trace.calls("salesforce.update_record")[0]["fields"].values()) == [100]
    assert trace.calls("email.send") == []


def test_escalation_without_a_salesforce_account_is_held_before_any_write(escalation):
    _, result = escalation
    trace = walk(result.graph, BUG_CASE, results={"account": {}})
    assert trace.outcome == "held"
    assert trace.ops() == []


def test_escalation_steps_carry_the_span_of_their_sentence(escalation):
    source, result = escalation
    for step in result.graph.steps:
        if step.span and step.instruction:
            assert source[step.span.start : step.span.end] == step.instruction, step.key
    jira = next(s for s in result.graph.steps if isinstance(s, ActStep) and s.operation == "jira.create_issue")
    assert "open a Bug in the Jira project ENG" in jira.instruction
    assert jira.params["summary"] == "{{ case.subject }}"


def test_escalation_plan_decisions_are_cel_on_account_plan(escalation):
    _, result = escalation
    conditions = [b.when for s in result.graph.steps if isinstance(s, DecideStep) for b in s.branches]
    assert 'account.plan == "Free"' in conditions
    assert 'account.plan == "Enterprise"' in conditions


# --- freight claim ----------------------------------------------------------------------------

CLAIM = {
    "ticket_id": "202",
    "subject": "Damaged pallet",
    "description": "Pallet arrived crushed.",
    "requester_email": "c@shipper.com",
    "amount": 1200.0,
    "fields": {
        "tracking_number": "1Z999",
        "carrier": "ACME Freight",
        "ship_date": "2026-10-01",
        "declared_value": 1500,
    },
    "attachments": [],
}
SHIPMENT = {"tracking_number": "1Z999", "carrier": "ACME Freight", "ship_date": "2026-10-01", "declared_value": 1500}
PHOTOS = [
    {"kind": "photo", "name": "a.jpg", "url": "https://files/a.jpg"},
    {"kind": "photo", "name": "b.jpg", "url": "https://files/b.jpg"},
]


def _claim(**changes) -> dict:
    return {**CLAIM, **changes}


def _run_freight(graph, case, **kwargs):
    results = {
        "shipment": SHIPMENT,
        "claim": {"claim_id": "CL-1", "status": "filed"},
        "settlement": {"settled_amount": 950},
    }
    return walk(graph, case, results={**results, **kwargs.pop("results", {})}, **kwargs)


def test_freight_small_matching_claim_is_filed_at_once_without_approval(freight):
    _, result = freight
    trace = _run_freight(result.graph, _claim(), events={"claim.settled": [3]})
    assert trace.ops()[:2] == ["carrier.lookup_shipment", "carrier.file_claim"]
    filed = trace.calls("carrier.file_claim")[0]
    assert filed["amount"] == 1200.0
    assert filed["tracking_number"] == "1Z999"
    assert not any(isinstance(result.graph.step(k), ApproveStep) for k in trace.visited)


def test_freight_large_claim_with_photos_waits_for_a_claims_manager_then_files_both_photos(freight):
    _, result = freight
    case = _claim(amount=8400.0, attachments=PHOTOS)
    waiting = _run_freight(result.graph, case)
    assert waiting.outcome == "waiting"
    assert "carrier.file_claim" not in waiting.ops()
    approved = _run_freight(result.graph, case, approvals={"Claims managers": True}, events={"claim.settled": [2]})
    assert approved.calls("carrier.file_claim")[0]["photos"] == ["https://files/a.jpg", "https://files/b.jpg"]


def test_freight_large_claim_without_photo_asks_for_one_and_files_nothing(freight):
    _, result = freight
    trace = _run_freight(result.graph, _claim(amount=8400.0), approvals={"Claims managers": True})
    assert "carrier.file_claim" not in trace.ops()
    assert "photo" in trace.calls("zendesk.reply")[0]["body"]
    approval = next(s for s in result.graph.steps if isinstance(s, ApproveStep))
    assert approval.role == "Claims managers"
    assert [(e.kind, e.min_count) for e in approval.evidence] == [("photo", 1)]


def test_freight_declared_value_mismatch_asks_the_claimant_and_files_nothing(freight):
    _, result = freight
    case = _claim(fields={**CLAIM["fields"], "declared_value": 9000})
    trace = _run_freight(result.graph, case)
    assert trace.ops() == ["carrier.lookup_shipment", "zendesk.reply"]
    assert trace.outcome == "abandoned"


def test_freight_mismatch_corrected_by_reply_loops_back_through_the_lookup(freight):
    _, result = freight
    case = _claim(fields={**CLAIM["fields"], "declared_value": 9000})
    shipments = [SHIPMENT, {**SHIPMENT, "declared_value": 9000}]
    trace = _run_freight(
        result.graph, case, results={"shipment": shipments}, events={"customer.replied": [1], "claim.settled": [2]}
    )
    assert trace.ops()[:4] == [
        "carrier.lookup_shipment",
        "zendesk.reply",
        "carrier.lookup_shipment",
        "carrier.file_claim",
    ]
    reply_wait = next(
        s for s in result.graph.steps if isinstance(s, WaitStep) and s.for_event == "customer.replied" and s.delay
    )
    assert reply_wait.delay.days == 5


def test_freight_silent_carrier_gets_follow_ups_at_7_14_30_then_hand_off(freight):
    _, result = freight
    trace = _run_freight(result.graph, _claim())
    assert [day for op, _, day in trace.actions if op == "carrier.send_follow_up"] == [7, 14, 30]
    assert trace.outcome == "handed_off"
    assert trace.end_step.handoff_role == "Claims managers"


def test_freight_settlement_on_day_10_stops_follow_ups_records_amount_and_closes(freight):
    _, result = freight
    trace = _run_freight(result.graph, _claim(), events={"claim.settled": [10]})
    assert [day for op, _, day in trace.actions if op == "carrier.send_follow_up"] == [7]
    assert trace.ops()[-1] == "carrier.claim_status"
    assert trace.outcome == "closed"
    assert trace.end_step.case_status == "closed"


def test_freight_follow_up_waits_are_anchored_to_filing_and_end_on_settlement(freight):
    _, result = freight
    filing = next(s for s in result.graph.steps if isinstance(s, ActStep) and s.operation == "carrier.file_claim")
    waits = [s for s in result.graph.steps if isinstance(s, WaitStep) and s.anchor == filing.key]
    assert [w.delay.days for w in waits] == [7, 14, 30]
    assert {w.for_event for w in waits} == {"claim.settled"}


# --- SLA routing -------------------------------------------------------------------------------


def test_sla_routing_compiles_with_sla_targets_reported_as_policies():
    source, result = _compile("13-sla-routing.md")
    sla = [w for w in result.warnings if w.code == "sla_policy"]
    assert {w.excerpt for w in sla} >= {"Enterprise customers get a first response within 2 hours."}
    for warning in sla:
        assert source[warning.span.start : warning.span.end] == warning.excerpt
    events = {s.for_event for s in result.graph.steps if isinstance(s, WaitStep)}
    assert {"sla.first_response_due", "sla.breached"} <= events


def test_sla_routing_unassigned_case_asks_who_the_team_lead_is_and_breach_sets_the_risk_flag():
    _, result = _compile("13-sla-routing.md")
    # "goes to the team lead of its queue": a role, not an address — a person handles it, with the question shown
    [ask] = [w for w in result.warnings if w.code == "question" and "'team leads' is a role" in w.message]
    assert ask.excerpt.startswith("goes to the team lead")
    assert isinstance(result.graph.step(ask.step_key), DecideStep) and result.graph.step(ask.step_key).judgement
    case = {
        "ticket_id": "9",
        "subject": "Help",
        "url": "u",
        "requester_email": "x@y.z",
        "organization": "Y",
        "assignee_email": "",
    }
    results = {"account": _account("Enterprise")}
    events = {"sla.first_response_due": [0.05], "sla.breached": [0.2]}
    held = walk(result.graph, case, results=results, events=events)
    assert (held.outcome, held.visited[-1]) == ("held", ask.step_key)
    people = {s.key: "proceed" for s in result.graph.steps if isinstance(s, DecideStep) and s.judgement}
    trace = walk(result.graph, case, results=results, events=events, answers=people)
    sent_to = [address for c in trace.calls("email.send") for address in c["to"]]
    assert "team leads" not in sent_to and "vp of customer success" not in sent_to
    [flag] = trace.calls("salesforce.update_record")
    assert flag["object"] == "Account"
    assert list(flag["fields"].values()) == [True]
    assigned = walk(
        result.graph, {**case, "assignee_email": "a@b.c"}, results=results, events={"sla.first_response_due": [0.05]}
    )
    assert ask.step_key not in assigned.visited
