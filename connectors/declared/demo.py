"""The demo's declared tools: a billing system and an outage detector, with mocks.

`declared_demo_load()` declares them once (an existing declaration is left as
the team edited it). In the demo their endpoints point at the sandbox's HTTP
hooks emulator, which records calls but knows no accounts; dry runs and "try
on a sample case" answer from the mocks below, which is the point of them.
Tests use the same definitions against a local billing/outage server.
"""

from __future__ import annotations

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
        {"name": "account_status", "path": "/account/status", "type": "string", "enum": ["active", "suspended", "closed"]},
        {"name": "suspension_reason", "path": "$.account.suspension_reason", "type": "string",
         "enum": ["fraud", "non-payment"]},
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


DEMO_OPERATIONS = ((BILLING_STATUS, "billing"), (BILLING_CREDIT, "billing"), (OUTAGE_CHECK, "outage-detector"))

# The SOP these tools were made for (issue 14's example).
BILLING_OUTAGE_SOP = (
    "Look up the customer's account status in the billing system. "
    "If the account is suspended because of fraud, tag the ticket fraud-hold and stop. "
    "If it is suspended for non-payment, reply with the payment link. "
    "Otherwise check the outage detector for the customer's region; "
    "if there was an outage in the last 24 hours, apply a service credit in the billing system."
)


def declared_demo_load() -> list[str]:
    from django.conf import settings

    from connectors import config
    from connectors.declared import services
    from connectors.declared.models import DeclaredOperation, Endpoint

    if settings.SANDBOX_URL:
        hooks = config.sandbox_urls(settings.SANDBOX_URL)["http"]
        urls = {"billing": f"{hooks}/hooks/billing", "outage-detector": f"{hooks}/hooks/outage-detector"}
    else:
        urls = {
            "billing": "https://billing.example.internal/api",
            "outage-detector": "https://outages.example.internal",
        }
    for name, url in urls.items():
        if not Endpoint.objects.filter(name=name).exists():
            services.endpoint_save(name=name, base_url=url)
    declared = []
    for data, endpoint in DEMO_OPERATIONS:
        if not DeclaredOperation.objects.filter(name=data["name"]).exists():
            services.operation_save(data={**data, "endpoint": endpoint})
            declared.append(data["name"])
    if not declared:
        return ["Declared tools: already loaded"]
    return [f"Declared tools (with mocks): {', '.join(declared)}"]
