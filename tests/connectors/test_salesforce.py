"""Salesforce operations through simple-salesforce over HTTP to the emulator."""

from __future__ import annotations

import pytest

from connectors.base import Ambiguous, NotFound, PermanentError
from connectors.registry import get


def op(name):
    return get(name).load_handler()


def account_by_name(sandbox, name):
    return next(r for r in sandbox.inspect("salesforce")["records"]["Account"].values() if r["Name"] == name)


def test_query_account_by_email_domain_returns_plan_and_owner(sandbox):
    facts = op("salesforce.query_account")({"email": "alice@acme.example"})
    assert facts == {
        "id": account_by_name(sandbox, "Acme Corp")["Id"],
        "name": "Acme Corp",
        "plan": "Enterprise",
        "owner_email": "erin.am@sopdesk.example",
        "owner_name": "Erin Enterprise-AM",
        "risk_flag": False,
        "match_count": 1,
    }


def test_query_account_by_name_and_by_id(sandbox):
    by_name = op("salesforce.query_account")({"organization": "globex"})
    assert by_name["plan"] == "Pro"
    assert op("salesforce.query_account")({"account_id": by_name["id"]})["name"] == "Globex"


def test_query_account_without_match_raises_not_found(sandbox):
    with pytest.raises(NotFound):
        op("salesforce.query_account")({"email": "pat@nowhere.example"})


def test_query_account_with_two_matches_raises_ambiguous_with_candidates(sandbox):
    with pytest.raises(Ambiguous) as caught:
        op("salesforce.query_account")({"email": "dan@umbrella.example"})
    assert {c["name"] for c in caught.value.candidates} == {"Umbrella East", "Umbrella West"}


def test_query_open_opportunity_returns_risk_score_as_int(sandbox):
    account = op("salesforce.query_account")({"email": "alice@acme.example"})
    facts = op("salesforce.query_open_opportunity")({"account_id": account["id"]})
    assert facts["risk_score"] == 35 and isinstance(facts["risk_score"], int)
    assert facts["stage"] == "Negotiation"


def test_query_open_opportunity_none_open_raises_not_found(sandbox):
    account_id = sandbox.emulator("salesforce").insert("Account", {"Name": "Empty", "Domain__c": "empty.example"})
    with pytest.raises(NotFound):
        op("salesforce.query_open_opportunity")({"account_id": account_id})


def test_update_record_changes_the_remote_record(sandbox):
    account = op("salesforce.query_account")({"email": "bob@globex.example"})
    opportunity = op("salesforce.query_open_opportunity")({"account_id": account["id"]})

    result = op("salesforce.update_record")(
        {"object": "Opportunity", "record_id": opportunity["id"], "fields": {"Risk_Score__c": 100}},
        idempotency_key="run-1:raise-risk",
    )

    assert result == {"id": opportunity["id"], "updated": True}
    assert sandbox.inspect("salesforce")["records"]["Opportunity"][opportunity["id"]]["Risk_Score__c"] == 100


def test_update_record_with_an_unknown_field_is_permanent_with_the_remote_message(sandbox):
    account = op("salesforce.query_account")({"email": "bob@globex.example"})
    with pytest.raises(PermanentError) as caught:
        op("salesforce.update_record")({"object": "Account", "record_id": account["id"], "fields": {"Nope__c": 1}})
    assert caught.value.status == 400
    assert "No such column 'Nope__c'" in caught.value.remote_message


def test_update_record_retries_through_scripted_503s(sandbox):
    account = op("salesforce.query_account")({"email": "carol@initech.example"})
    sandbox.faults("salesforce", script=[503, 503, 204])

    op("salesforce.update_record")({"object": "Account", "record_id": account["id"], "fields": {"Risk_Flag__c": True}})

    assert sandbox.inspect("salesforce")["records"]["Account"][account["id"]]["Risk_Flag__c"] is True
    assert sandbox.requests("salesforce") == 4


def test_add_note_creates_one_task_on_the_account(sandbox):
    account = op("salesforce.query_account")({"email": "alice@acme.example"})
    result = op("salesforce.add_note")(
        {"account_id": account["id"], "subject": "Bug escalated", "body": "ENG-1"}, idempotency_key="run-1:note"
    )
    task = sandbox.inspect("salesforce")["records"]["Task"][result["id"]]
    assert task["WhatId"] == account["id"] and task["Description"] == "ENG-1"
