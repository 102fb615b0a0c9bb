"""The generic JSON endpoint: `Authorization: Bearer <SOPDESK_API_EVENTS_TOKEN>`, dedupe on Idempotency-Key.

Body:

    {"event": "claim.submitted",
     "case": {"external_id": "CLM-1", "source": "api", "subject": ..., "description": ...,
              "requester": {"email": ..., "name": ...}, "organization": ..., "amount": 8400,
              "tags": [...], "group": "Claims", "priority": "normal", "tier": ..., "url": ...,
              "fields": {"tracking_number": ..., "carrier": ..., ...},
              "attachments": [{"kind": "photo", "name": "crushed.jpg", "url": ...}]},
     "data": {...}}

`case.source` + `case.external_id` may name a case that came from another
system (e.g. `{"source": "zendesk", "external_id": "5"}`), so an event such as
`claim.settled` or `customer.replied` reaches the runs waiting on it.
"""

from __future__ import annotations

import hmac

from cases.casefacts import NormalisedEvent, number
from cases.webhooks.base import WebhookRejected, json_object, text

SOURCES = ("zendesk", "jira", "salesforce", "api", "schedule")


def verify(headers: dict[str, str], *, token: str) -> None:
    if not token:
        raise WebhookRejected(401, "not_configured", "Set SOPDESK_API_EVENTS_TOKEN to enable /api/events/.")
    given = headers.get("Authorization", "")
    if not given.startswith("Bearer ") or not hmac.compare_digest(given[7:].strip(), token):
        raise WebhookRejected(401, "unauthenticated", "Send Authorization: Bearer <token>.")


def parse(headers: dict[str, str], body: bytes) -> list[NormalisedEvent]:
    data = json_object(body)
    event_type = text(data.get("event"))
    if not event_type:
        raise WebhookRejected(400, "event_missing", 'Name the event: {"event": "claim.submitted", "case": {...}}.')
    case = data.get("case")
    if not isinstance(case, dict):
        raise WebhookRejected(400, "case_missing", 'The body needs a "case" object.')
    source = text(case.get("source")) or "api"
    if source not in SOURCES:
        raise WebhookRejected(400, "source_unknown", f"case.source must be one of {', '.join(SOURCES)}.")
    requester = case.get("requester") if isinstance(case.get("requester"), dict) else {}
    fields = case.get("fields") if isinstance(case.get("fields"), dict) else None
    amount = case.get("amount")
    if amount is None and fields:
        amount = fields.get("claim_amount", fields.get("amount"))
    if amount not in (None, "") and number(amount) is None:
        raise WebhookRejected(400, "amount_invalid", f"amount must be a number, got {amount!r}.")
    facts = {
        "tags": case.get("tags"),
        "fields": fields,
        "amount": number(amount),
        "attachments": case.get("attachments") or None,
        "group": text(case.get("group")),
        "tier": text(case.get("tier")),
    }
    return [
        NormalisedEvent(
            source=source,
            event_type=event_type,
            dedupe_key=headers.get("Idempotency-Key", ""),
            external_id=text(case.get("external_id")) or "",
            url=text(case.get("url")) or "",
            subject=text(case.get("subject")),
            description=text(case.get("description")),
            requester_email=text(requester.get("email") or case.get("requester_email")),
            requester_name=text(requester.get("name") or case.get("requester_name")),
            organization=text(case.get("organization")),
            priority=text(case.get("priority")),
            status=text(case.get("status")),
            facts={k: v for k, v in facts.items() if v is not None},
            payload=data,
        )
    ]
