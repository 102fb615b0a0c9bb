"""The two declared tools of the billing/outage SOP: a billing system and an outage detector, with mocks.

`declare(billing_url=..., outage_url=...)` stores them through the services,
as an ops manager would through the API. URLs point at a `ToolServer`.
"""

from __future__ import annotations

from connectors.declared import services

BILLING_STATUS = {
    "name": "billing.get_account_status",
    "summary": "Look up the customer's account status in the billing system: active or suspended, why, "
    "the customer's region and their payment link.",
    "synonyms": "billing system, billing account, account status, subscription status, suspended account",
    "method": "GET",
    "path": "/accounts/{email}/status",
    "input_schema": {
        "type": "object",
        "properties": {"email": {"type": "string", "format": "email", "description": "The customer's email."}},
        "required": ["email"],
    },
    "outputs": [
        {"name": "account_status", "path": "/account/status", "type": "string"},
        {"name": "suspension_reason", "path": "$.account.suspension_reason", "type": "string"},
        {"name": "region", "path": "/account/region", "type": "string"},
        {"name": "payment_link", "path": "/links/payment", "type": "string"},
    ],
    "mocks": [
        {"match": {"email": "fraud@acme.example"},
         "result": {"account_status": "suspended", "suspension_reason": "fraud", "region": "eu-west"}},
        {"match": {"email": "late@acme.example"},
         "result": {"account_status": "suspended", "suspension_reason": "non-payment", "region": "us-east",
                    "payment_link": "https://pay.example/mock"}},
        {"match": {"email": "alice@acme.example"}, "result": {"account_status": "active", "region": "eu-west"}},
        {"match": {}, "result": {"account_status": "active", "region": "us-east"}},
    ],
}  # fmt: skip
BILLING_CREDIT = {
    "name": "billing.apply_service_credit",
    "summary": "Apply a service credit to the customer's account in the billing system.",
    "synonyms": "service credit, credit the account, compensate, billing system",
    "method": "POST",
    "path": "/accounts/{email}/credits",
    "writes": True,
    "input_schema": {
        "type": "object",
        "properties": {
            "email": {"type": "string", "format": "email"},
            "amount": {"type": "number", "description": "Credit in the account's currency."},
            "reason": {"type": "string"},
        },
        "required": ["email"],
    },
    "body": {"amount": "{amount}", "reason": "{reason}"},
    "outputs": [{"name": "credit_id", "path": "/credit_id"}, {"name": "amount", "path": "/amount", "type": "number"}],
    "mocks": [{"match": {}, "result": {"credit_id": "CR-MOCK", "amount": 10}}],
}
OUTAGE_CHECK = {
    "name": "outage.check_region",
    "summary": "Check the outage detector for a region: was there an outage in the last hours (default 24)?",
    "synonyms": "outage detector, outage, incident, downtime, service disruption",
    "method": "GET",
    "path": "/outages",
    "query": {"region": "{region}", "hours": "{hours}"},
    "input_schema": {
        "type": "object",
        "properties": {"region": {"type": "string"}, "hours": {"type": "integer", "description": "Window."}},
        "required": ["region"],
    },
    "outputs": [
        {"name": "outage", "path": "/outage", "type": "boolean"},
        {"name": "hours_since_outage", "path": "/hours_since_outage", "type": "number"},
    ],
    "mocks": [
        {"match": {"region": "eu-west"}, "result": {"outage": True, "hours_since_outage": 2}},
        {"match": {}, "result": {"outage": False}},
    ],
}


def declare(*, billing_url: str, outage_url: str, with_mocks: bool = True) -> None:
    services.endpoint_save(name="billing", base_url=billing_url, auth="bearer", secret="billing-secret")
    services.endpoint_save(name="outage-detector", base_url=outage_url)
    for data, endpoint in ((BILLING_STATUS, "billing"), (BILLING_CREDIT, "billing"), (OUTAGE_CHECK, "outage-detector")):
        row = {**data, "endpoint": endpoint}
        if not with_mocks:
            row.pop("mocks")
        services.operation_save(data=row)
