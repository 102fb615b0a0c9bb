"""OpenAPI import, custom Zendesk/Salesforce fields through the emulators, the admin pages, checks, refusals."""

from __future__ import annotations

import pytest

from connectors import health, registry
from connectors.declared import fields as custom_fields
from connectors.declared.models import DeclaredOperation, Endpoint
from tests.api.conftest import signed_in

pytestmark = pytest.mark.django_db

SPEC = """
openapi: 3.0.3
info: {title: Billing, version: "1"}
servers: [{url: https://billing.example/api}]
paths:
  /accounts/{accountEmail}/status:
    get:
      operationId: getAccountStatus
      summary: Look up the account status in the billing system
      tags: [billing system]
      parameters:
        - {name: accountEmail, in: path, required: true, schema: {type: string, format: email}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/StatusAnswer"}
  /accounts/{accountEmail}/credits:
    post:
      operationId: applyServiceCredit
      summary: Apply a service credit
      parameters:
        - {name: accountEmail, in: path, required: true, schema: {type: string}}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [amount]
              properties:
                amount: {type: number}
                reason: {type: string}
      responses:
        "201":
          description: created
          content:
            application/json:
              schema:
                type: object
                properties: {credit_id: {type: string}, amount: {type: number}}
components:
  schemas:
    StatusAnswer:
      type: object
      properties:
        account:
          type: object
          properties:
            status: {type: string, enum: [active, suspended]}
            suspension_reason: {type: string}
            region: {type: string}
        links:
          type: object
          properties: {payment: {type: string}}
"""


@pytest.fixture
def billing_endpoint(tool_server, ops_manager):
    response = signed_in(ops_manager).post(
        "/api/v1/endpoints/",
        {"name": "billing", "base_url": f"{tool_server.url}/billing", "auth": "bearer", "secret": "billing-secret"},
        format="json",
    )
    assert response.status_code == 201
    return response.json()


def test_the_secret_never_comes_back_from_the_api(billing_endpoint, ops_manager):
    assert "secret" not in billing_endpoint and billing_endpoint["secret_stored"] is True
    listed = signed_in(ops_manager).get("/api/v1/endpoints/").content.decode()
    assert "billing-secret" not in listed and "gAAAA" not in listed  # neither clear nor sealed


def test_openapi_import_declares_picked_operations_with_schema_inputs_and_outputs(
    billing_endpoint, ops_manager, tool_server
):
    response = signed_in(ops_manager).post(
        "/api/v1/declared-operations/import-openapi/",
        {"document": SPEC, "system": "billing", "endpoint": "billing", "pick": ["getAccountStatus", "applyServiceCredit"]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    status = registry.get("billing.get_account_status")
    assert status.params["account_email"].type == "email" and not status.writes
    assert status.returns == ("account_status", "account_suspension_reason", "account_region", "links_payment")
    assert "billing system" in status.keywords
    credit = registry.get("billing.apply_service_credit")
    assert credit.writes and credit.params["amount"].required and not credit.params["reason"].required
    listed = {op["name"] for op in signed_in(ops_manager).get("/api/v1/operations/?system=billing").json()["results"]}
    assert listed == {"billing.get_account_status", "billing.apply_service_credit"}
    # The imported declaration really calls the system.
    facts = status.load_handler()({"account_email": "fraud@acme.example"})
    assert facts["account_status"] == "suspended" and facts["account_suspension_reason"] == "fraud"
    assert tool_server.requests[0]["path"] == "/billing/accounts/fraud%40acme.example/status"
    made = credit.load_handler()({"account_email": "bob@acme.example", "amount": 5}, idempotency_key="k1")
    assert made["credit_id"] == "CR-1" and tool_server.requests[1]["body"] == {"amount": 5}


def test_bad_declarations_are_refused_with_what_to_fix_and_nothing_is_stored(billing_endpoint, ops_manager):
    client = signed_in(ops_manager)
    response = client.post(
        "/api/v1/declared-operations/",
        {"name": "Billing Status", "summary": "", "endpoint": "billing", "path": "/a/{who}",
         "outputs": [{"name": "x", "path": "$..[", "type": "money"}]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    problems = response.json()["error"]["fields"]
    assert {"name", "summary", "path", "outputs"} <= set(problems)
    assert any("who" in p for p in problems["path"])
    response = client.post(
        "/api/v1/declared-operations/import-openapi/",
        {"document": SPEC, "system": "billing", "endpoint": "billing", "pick": ["nope"]},
        format="json",
    )
    assert response.status_code == 400 and "getAccountStatus" in response.json()["error"]["message"]
    response = client.post(
        "/api/v1/declared-operations/",
        {"name": "jira.create_thing", "summary": "x", "endpoint": "billing"},
        format="json",
    )
    assert response.status_code == 400 and "built-in system" in response.json()["error"]["fields"]["name"][0]
    assert not DeclaredOperation.objects.exists()


def test_zendesk_ticket_fields_by_title_become_named_typed_facts(sandbox, ops_manager):
    response = signed_in(ops_manager).post(
        "/api/v1/custom-fields/select/",
        {"system": "zendesk", "fields": ["Order number", "customer region", "Order value", "VIP customer"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    chosen = {f["fact"]: (f["type"], f["choices"]) for f in response.json()["results"]}
    assert chosen["customer_region"] == ("string", ["eu-west", "us-east"])
    assert chosen["order_value"][0] == "number" and chosen["vip_customer"][0] == "boolean"
    op = registry.get("zendesk.get_ticket_fields")
    assert op.returns == ("customer_region", "order_number", "order_value", "vip_customer")
    sandbox.emulator("zendesk").tickets[1]["custom_fields"] = [
        {"id": 360001, "value": "A-1001"},
        {"id": 360002, "value": "eu-west"},
        {"id": 360003, "value": "129.5"},
        {"id": 360004, "value": True},
    ]
    assert op.load_handler()({"ticket_id": "1"}) == {
        "customer_region": "eu-west",
        "order_number": "A-1001",
        "order_value": 129.5,
        "vip_customer": True,
    }
    assert custom_fields.ticket_field_facts([{"id": 360001, "value": "B-7"}])["order_number"] == "B-7"
    response = signed_in(ops_manager).post(
        "/api/v1/custom-fields/select/", {"system": "zendesk", "fields": ["Severity"]}, format="json"
    )
    assert response.status_code == 400 and "Order number" in response.json()["error"]["message"]


def test_salesforce_fields_from_describe_become_an_account_read(sandbox, ops_manager):
    response = signed_in(ops_manager).post(
        "/api/v1/custom-fields/select/",
        {"system": "salesforce", "sobject": "Account", "fields": ["Plan__c", "Risk flag"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    op = registry.get("salesforce.get_account_fields")
    assert op.params["account_id"].required and op.returns == ("plan", "risk_flag")
    account_id = next(iter(sandbox.inspect("salesforce")["records"]["Account"]))
    facts = op.load_handler()({"account_id": account_id})
    assert facts["plan"] in ("Free", "Pro", "Enterprise") and isinstance(facts["risk_flag"], bool)


def test_connectors_check_reports_declared_endpoints(billing_endpoint, tool_server):
    Endpoint.objects.create(name="down", base_url="http://127.0.0.1:9/")
    rows = {row["system"]: row for row in health.summary() if row["system"].startswith("endpoint")}
    assert rows["endpoint billing"]["status"] == "ok"  # authorized: any answer but 401/403/5xx
    assert rows["endpoint down"]["status"] == "unreachable"


def test_the_admin_declares_an_operation_with_its_mock_table(admin_client, billing_endpoint):
    endpoint = Endpoint.objects.get(name="billing")
    data = {
        "name": "billing.get_plan", "kind": "http", "summary": "Read the plan in billing", "synonyms": "plan",
        "enabled": "on", "input_schema": '{"type": "object", "properties": {"email": {"type": "string"}}}',
        "outputs": '[{"name": "plan", "path": "/plan"}]', "endpoint": endpoint.pk, "method": "GET",
        "path": "/plans/{email}", "query": "{}", "body": "null", "idempotency_header": "Idempotency-Key",
        "mcp_tool": "", "timeout": "20", "retry_attempts": "",
        "mocks-TOTAL_FORMS": "1", "mocks-INITIAL_FORMS": "0", "mocks-MIN_NUM_FORMS": "0", "mocks-MAX_NUM_FORMS": "1000",
        "mocks-0-position": "0", "mocks-0-match": '{"email": "a@x.example"}', "mocks-0-result": '{"plan": "Pro"}',
        "mocks-0-error": "",
    }  # fmt: skip
    bad = admin_client.post("/admin/connectors/declaredoperation/add/", {**data, "mocks-0-result": '{"tier": 1}'})
    assert bad.status_code == 200 and not DeclaredOperation.objects.exists()
    assert b"not outputs of this operation" in bad.content
    response = admin_client.post("/admin/connectors/declaredoperation/add/", data)
    assert response.status_code == 302, response.content[:2000]
    assert registry.get("billing.get_plan").load_mock()({"email": "a@x.example"}) == {"plan": "Pro"}
    page = admin_client.get(f"/admin/connectors/endpoint/{endpoint.pk}/change/").content.decode()
    assert "billing-secret" not in page and endpoint.secret_sealed not in page
    assert admin_client.get("/admin/connectors/declaredoperation/import-openapi/").status_code == 200
    assert admin_client.get("/admin/connectors/declaredoperation/import-mcp/").status_code == 200
    assert b"Import from OpenAPI" in admin_client.get("/admin/connectors/declaredoperation/").content
