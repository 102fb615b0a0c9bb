"""Zendesk webhooks: HMAC-SHA256 over timestamp + body, base64, as Zendesk signs them.

Two body shapes are understood:

* event-subscribed webhooks (`{"type": "zen:event-type:ticket.created", "detail": {...}}`);
* trigger/automation webhooks whose JSON body the admin writes; sopdesk reads
  `{"event": "ticket.created", "ticket": {...}}` with these placeholders:

      {"event": "ticket.updated",
       "ticket": {"id": "{{ticket.id}}", "subject": "{{ticket.title}}", "description": "{{ticket.description}}",
                  "tags": "{{ticket.tags}}", "url": "{{ticket.link}}", "priority": "{{ticket.priority}}",
                  "group": "{{ticket.group.name}}", "organization": "{{ticket.organization.name}}",
                  "status": "{{ticket.status}}", "assignee": {"email": "{{ticket.assignee.email}}"},
                  "requester": {"email": "{{ticket.requester.email}}", "name": "{{ticket.requester.name}}"},
                  "latest_comment": {"author_email": "{{ticket.latest_comment.author.email}}",
                                     "public": "{{ticket.latest_comment.is_public}}"},
                  "fields": {"tracking_number": "{{ticket.ticket_field_<id>}}", ...},
                  "custom_fields": [{"id": <id>, "value": "{{ticket.ticket_field_<id>}}"}, ...],
                  "attachments": [{"name": ..., "url": ..., "content_type": ...}]}}

A ticket update whose latest public comment is by the requester also signals
`customer.replied` (which ends "wait for the customer's reply" steps); one by
anyone else is the agent's reply, which stops the first-response SLA clock.
`status` and `assignee` drive the case's status and the other SLA clocks.

Custom ticket fields the admin selected become named, typed `case.fields`
(`cases.casefacts.zendesk_field_facts`): from `custom_fields` in a trigger
body, and for event-subscribed webhooks (whose `detail` has none) from the
ticket read through the Zendesk API when the case is processed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

from cases.casefacts import NormalisedEvent, number
from cases.webhooks.base import WebhookRejected, json_object, text

TOLERANCE = dt.timedelta(minutes=5)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(headers: dict[str, str], body: bytes, *, secret: str, now: dt.datetime) -> None:
    if not secret:
        raise WebhookRejected(401, "not_configured", "Set ZENDESK_WEBHOOK_SECRET to the webhook's signing secret.")
    signature = headers.get("X-Zendesk-Webhook-Signature", "")
    timestamp = headers.get("X-Zendesk-Webhook-Signature-Timestamp", "")
    if not signature or not timestamp:
        raise WebhookRejected(
            401, "signature_missing", "Send X-Zendesk-Webhook-Signature and X-Zendesk-Webhook-Signature-Timestamp."
        )
    if not hmac.compare_digest(sign(secret, timestamp, body), signature):
        raise WebhookRejected(401, "signature_invalid", "The signature does not match: check the signing secret.")
    try:
        signed_at = dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError as exc:
        raise WebhookRejected(401, "timestamp_invalid", "The signature timestamp is not ISO 8601.") from exc
    if signed_at.tzinfo is None:
        signed_at = signed_at.replace(tzinfo=dt.UTC)
    if abs(now - signed_at) > TOLERANCE:
        raise WebhookRejected(401, "timestamp_expired", "The signature timestamp is more than 5 minutes off.")


def parse(headers: dict[str, str], body: bytes) -> list[NormalisedEvent]:
    data = json_object(body)
    dedupe = headers.get("X-Zendesk-Webhook-Invocation-Id") or text(data.get("id")) or ""
    if str(data.get("type", "")).startswith("zen:event-type:"):
        return [_event_subscribed(data, dedupe)]
    ticket = data.get("ticket")
    if not isinstance(ticket, dict):
        raise WebhookRejected(400, "ticket_missing", 'The body needs a "ticket" object (see the trigger template).')
    ticket_id = text(ticket.get("id"))
    if not ticket_id:
        raise WebhookRejected(400, "ticket_id_missing", 'The "ticket" object needs an "id".')
    event_type = text(data.get("event")) or "ticket.updated"
    requester = ticket.get("requester") if isinstance(ticket.get("requester"), dict) else {}
    signals = []
    comment = ticket.get("latest_comment") if isinstance(ticket.get("latest_comment"), dict) else {}
    author = (text(comment.get("author_email")) or "").lower()
    public = str(comment.get("public", "true")).lower() != "false"
    by_requester = bool(author) and author == (text(requester.get("email")) or "").lower()
    if event_type == "ticket.updated" and by_requester and public:
        signals.append("customer.replied")
    assignee = ticket.get("assignee") if isinstance(ticket.get("assignee"), dict) else {}
    fields = ticket.get("fields") if isinstance(ticket.get("fields"), dict) else {}
    facts = {
        "tags": ticket.get("tags"),
        "fields": fields or None,
        "group": text(ticket.get("group")),
        "attachments": ticket.get("attachments") or None,
        "amount": number(fields.get("claim_amount", fields.get("amount"))) if fields else None,
        "ticket_id": ticket_id,
        "tier": text(ticket.get("tier")),
    }
    return [
        NormalisedEvent(
            source="zendesk",
            event_type=event_type,
            dedupe_key=dedupe,
            external_id=ticket_id,
            url=_url(text(ticket.get("url"))),
            subject=text(ticket.get("subject")),
            description=text(ticket.get("description")),
            requester_email=text(requester.get("email")),
            requester_name=text(requester.get("name")),
            organization=text(ticket.get("organization")),
            priority=text(ticket.get("priority")),
            facts={k: v for k, v in facts.items() if v is not None},
            payload=data,
            signals=tuple(signals),
            status=text(ticket.get("status")),
            assignee_email=text(assignee.get("email")),
            agent_replied=bool(author) and not by_requester and public,
            custom_fields=_custom_fields(ticket.get("custom_fields")),
        )
    ]


def _custom_fields(value) -> tuple[dict, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, dict) and "id" in item for item in value):
        raise WebhookRejected(
            400, "custom_fields_invalid", 'custom_fields must be a list like [{"id": 360001, "value": "A-1"}].'
        )
    return tuple(value)


def _url(url: str | None) -> str:
    if not url:
        return ""
    return url if "://" in url else f"https://{url}"


def _event_subscribed(data: dict, dedupe: str) -> NormalisedEvent:
    detail = data.get("detail") if isinstance(data.get("detail"), dict) else {}
    event_type = str(data["type"]).removeprefix("zen:event-type:")
    ticket_id = text(detail.get("id")) or str(data.get("subject", "")).rsplit(":", 1)[-1]
    if not ticket_id:
        raise WebhookRejected(400, "ticket_id_missing", "The event has no ticket id in detail.id or subject.")
    signals = ()
    comment = (data.get("event") or {}).get("comment") if isinstance(data.get("event"), dict) else None
    if event_type == "ticket.comment_added" and isinstance(comment, dict):
        author = comment.get("author") or {}
        if str(author.get("id")) == str(detail.get("requester_id")) and comment.get("is_public", True):
            signals = ("customer.replied",)
    agent_replied = (
        event_type == "ticket.comment_added"
        and isinstance(comment, dict)
        and comment.get("is_public", True)
        and str((comment.get("author") or {}).get("id")) != str(detail.get("requester_id"))
    )
    facts = {"tags": detail.get("tags"), "ticket_id": ticket_id}
    return NormalisedEvent(
        source="zendesk",
        event_type=event_type,
        dedupe_key=dedupe,
        external_id=ticket_id,
        subject=text(detail.get("subject")),
        description=text(detail.get("description")),
        priority=(text(detail.get("priority")) or "").lower() or None,
        facts={k: v for k, v in facts.items() if v is not None},
        payload=data,
        signals=signals,
        status=(text(detail.get("status")) or "").lower() or None,
        agent_replied=bool(agent_replied),
        custom_fields=_custom_fields(detail.get("custom_fields")),
        read_custom_fields=detail.get("custom_fields") is None,
    )
