"""Jira webhooks: `X-Hub-Signature: sha256=<hex HMAC>` when a secret is set; dedupe on the webhook identifier."""

from __future__ import annotations

import hashlib
import hmac

from cases.casefacts import NormalisedEvent
from cases.webhooks.base import WebhookRejected, json_object, text

EVENT_TYPES = {
    "jira:issue_created": "issue.created",
    "jira:issue_updated": "issue.updated",
    "jira:issue_deleted": "issue.deleted",
    "comment_created": "issue.commented",
}


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(headers: dict[str, str], body: bytes, *, secret: str) -> None:
    if not secret:
        raise WebhookRejected(401, "not_configured", "Set JIRA_WEBHOOK_SECRET to the webhook's secret.")
    signature = headers.get("X-Hub-Signature", "")
    if not signature:
        raise WebhookRejected(401, "signature_missing", "Send X-Hub-Signature (set a secret on the Jira webhook).")
    if not hmac.compare_digest(sign(secret, body), signature):
        raise WebhookRejected(401, "signature_invalid", "The signature does not match: check the webhook secret.")


def parse(headers: dict[str, str], body: bytes) -> list[NormalisedEvent]:
    data = json_object(body)
    issue = data.get("issue")
    if not isinstance(issue, dict) or not text(issue.get("key")):
        raise WebhookRejected(400, "issue_missing", 'The body needs an "issue" with a "key".')
    fields = issue.get("fields") if isinstance(issue.get("fields"), dict) else {}
    webhook_event = str(data.get("webhookEvent", ""))
    event_type = EVENT_TYPES.get(webhook_event, webhook_event or "issue.updated")
    if data.get("issue_event_type_name") == "issue_commented":
        event_type = "issue.commented"
    reporter = fields.get("reporter") if isinstance(fields.get("reporter"), dict) else {}
    priority = fields.get("priority") if isinstance(fields.get("priority"), dict) else {}
    status = fields.get("status") if isinstance(fields.get("status"), dict) else {}
    key = str(issue["key"])
    base = str(issue.get("self", "")).split("/rest/", 1)[0]
    return [
        NormalisedEvent(
            source="jira",
            event_type=event_type,
            dedupe_key=headers.get("X-Atlassian-Webhook-Identifier", "") or text(data.get("timestamp")) or "",
            external_id=key,
            url=f"{base}/browse/{key}" if base else "",
            subject=text(fields.get("summary")),
            description=text(fields.get("description")) if isinstance(fields.get("description"), str) else None,
            requester_email=text(reporter.get("emailAddress")),
            requester_name=text(reporter.get("displayName")),
            facts={
                "tags": fields.get("labels") or [],
                "ticket_id": key,
                "fields": {"status": status.get("name"), "priority": priority.get("name")},
            },
            payload=data,
        )
    ]
