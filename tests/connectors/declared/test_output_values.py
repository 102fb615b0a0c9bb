"""Value lists of declared outputs (enum): from OpenAPI and MCP output schemas or typed in, checked in mocks, and a
condition comparing a declared output to a value it can never return is a compile warning."""

from __future__ import annotations

import sys

import pytest

from connectors.declared import services
from connectors.declared.mcp import mcp_import
from connectors.declared.models import DeclaredOperation
from procedures.compiler.dispatch import compile_source
from procedures.compiler.validate import graph_warnings
from procedures.steps import parse
from tests.api.conftest import signed_in
from tests.connectors.declared.test_openapi_fields_admin import SPEC
from tests.support import declared_tools
from tests.support.processes import ROOT

pytestmark = pytest.mark.django_db


def impossible(warnings) -> list[str]:
    return [w.message for w in warnings if w.code == "impossible_value"]


def test_openapi_enum_becomes_the_outputs_values_and_a_condition_outside_them_is_flagged(tool_server, ops_manager):
    client = signed_in(ops_manager)
    client.post("/api/v1/endpoints/", {"name": "billing", "base_url": tool_server.url}, format="json")
    response = client.post(
        "/api/v1/declared-operations/import-openapi/",
        {"document": SPEC, "system": "billing", "endpoint": "billing", "pick": ["getAccountStatus"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    outputs = {o["name"]: o for o in DeclaredOperation.objects.get(name="billing.get_account_status").outputs}
    assert outputs["account_status"]["enum"] == ["active", "suspended"]
    assert "enum" not in outputs["account_region"]

    sop = "Look up the account status in the billing system.\nIf the account is closed, tag the ticket closed-account."
    result = compile_source(sop, compiler="rules")
    [message] = impossible(result.warnings)
    assert 'billing.account_status to "closed"' in message or "billing.account_status to 'closed'" in message
    assert "its values: active, suspended" in message
    fine = compile_source(sop.replace("closed,", "suspended,"), compiler="rules")
    assert not impossible(fine.warnings)


def test_a_hand_written_condition_on_a_value_the_tool_never_returns_is_a_warning(tool_server):
    declared_tools.declare(billing_url=tool_server.url, outage_url=tool_server.url)
    graph = parse(
        {
            "title": "Fraud",
            "start": "lookup",
            "steps": [
                {"kind": "gather", "key": "lookup", "title": "Billing", "operation": "billing.get_account_status",
                 "params": {"email": "{{ case.requester_email }}"}, "save_as": "billing", "next": "fraud"},
                {"kind": "decide", "key": "fraud", "title": "Fraud?",
                 "branches": [{"when": "billing.account_status == 'suspended for fraud'", "next": "done",
                               "label": "suspended for fraud"},
                              {"when": "billing.suspension_reason in ['fraud', 'chargeback']", "next": "done"}],
                 "otherwise": "done"},
                {"kind": "end", "key": "done", "title": "Done", "outcome": "resolved"},
            ],
        }
    )  # fmt: skip
    messages = impossible(graph_warnings(graph))
    assert len(messages) == 2
    assert "'suspended for fraud'" in messages[0] and "its values: active, suspended, closed" in messages[0]
    assert "'chargeback'" in messages[1] and "fraud, non-payment" in messages[1]


def test_a_custom_fields_choices_are_its_values(db):
    services.custom_fields_select(
        system="zendesk",
        sobject="Ticket",
        wanted=["Customer region"],
        available=[
            {"field_id": "360002", "title": "Customer region", "type": "string", "choices": ["eu-west", "us-east"]}
        ],
    )
    graph = parse(
        {
            "title": "Region",
            "start": "where",
            "steps": [
                {"kind": "decide", "key": "where", "title": "Where?",
                 "branches": [{"when": 'case.fields.customer_region == "eu-central"', "next": "done"},
                              {"when": 'case.fields.customer_region == "eu-west"', "next": "done"}],
                 "otherwise": "done"},
                {"kind": "end", "key": "done", "title": "Done", "outcome": "resolved"},
            ],
        }
    )  # fmt: skip
    [message] = impossible(graph_warnings(graph))
    assert "'eu-central'" in message and "Customer region" in message


def test_bad_value_lists_and_mocks_outside_them_are_refused(tool_server, ops_manager):
    client = signed_in(ops_manager)
    client.post("/api/v1/endpoints/", {"name": "billing", "base_url": tool_server.url}, format="json")
    base = {"name": "billing.get_status", "summary": "Account status", "endpoint": "billing", "path": "/s"}
    response = client.post(
        "/api/v1/declared-operations/", {**base, "outputs": [{"name": "status", "enum": "active"}]}, format="json"
    )
    assert response.status_code == 400 and "enum lists the values" in response.json()["error"]["fields"]["outputs"][0]
    response = client.post(
        "/api/v1/declared-operations/",
        {**base, "outputs": [{"name": "status", "enum": ["active", "closed"]}],
         "mocks": [{"match": {}, "result": {"status": "frozen"}}]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "status 'frozen' is not a value it can take (active, closed)" in str(response.json()["error"])
    assert not DeclaredOperation.objects.exists()


def test_mcp_output_schema_literals_become_values(tmp_path):
    server = services.mcp_server_save(
        name="outage-mcp",
        transport="stdio",
        command=f"{sys.executable} {ROOT / 'tests' / 'support' / 'mcp_outage_server.py'}",
        timeout=60,
    )
    [op] = mcp_import(server=server, system="outage", writes={"region_health": False})
    assert {o["name"]: o.get("enum") for o in op.outputs} == {"region": None, "state": ["ok", "degraded", "down"]}
