"""What chaos sends: real tickets in the Zendesk emulator with their signed webhooks, and hostile bodies."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import requests

from cases.webhooks import jira, zendesk
from connectors.config import SANDBOX_CREDENTIALS
from sopdesk.chaos.stack import API_TOKEN, JIRA_SECRET, WEBHOOK_SECRET, Stack

PLANS = (("alice@acme.example", "Alice Adams", "Acme Corp"), ("bob@globex.example", "Bob Brown", "Globex"))


@dataclass(frozen=True)
class Ticket:
    """A ticket the escalation SOP must turn into exactly one Jira issue, one internal note."""

    number: int
    zendesk_id: int
    subject: str
    body: bytes


def ticket_create(stack: Stack, number: int, *, tag: str) -> Ticket:
    """A ticket in the Zendesk emulator (via its REST API, as an agent would), and the webhook Zendesk would send."""
    email, name, org = PLANS[number % len(PLANS)]
    subject = f"Chaos {tag} {number}: export crashes"
    sandbox = stack.env["SOPDESK_SANDBOX_URL"].rsplit(":", 1)
    zendesk_url = f"{sandbox[0]}:{int(sandbox[1]) + 2}"
    answer = requests.post(
        f"{zendesk_url}/api/v2/tickets.json",
        json={"ticket": {"subject": subject, "comment": {"body": f"{subject}."}, "tags": ["product-bug"],
                         "requester": {"name": name, "email": email}}},
        auth=(f"{SANDBOX_CREDENTIALS['zendesk']['email']}/token", SANDBOX_CREDENTIALS["zendesk"]["token"]),
        timeout=10,
    )  # fmt: skip
    answer.raise_for_status()
    ticket_id = answer.json()["ticket"]["id"]
    body = json.dumps(
        {"event": "ticket.created", "ticket": {
            "id": str(ticket_id), "subject": subject, "description": f"{subject}.", "tags": "product-bug",
            "priority": "normal", "group": "Support", "requester": {"email": email, "name": name},
            "organization": org}}
    ).encode()  # fmt: skip
    return Ticket(number=number, zendesk_id=ticket_id, subject=subject, body=body)


def zendesk_headers(body: bytes, invocation: str) -> dict[str, str]:
    timestamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Signature": zendesk.sign(WEBHOOK_SECRET, timestamp, body),
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
        "X-Zendesk-Webhook-Invocation-Id": invocation,
    }


def deliver(stack: Stack, ticket: Ticket, *, invocation: str) -> int:
    """POST the ticket's webhook; the HTTP status (0 when the connection failed)."""
    try:
        response = requests.post(
            f"{stack.site_url}/hooks/zendesk/",
            data=ticket.body,
            headers=zendesk_headers(ticket.body, invocation),
            timeout=60,
        )
    except requests.RequestException:
        return 0
    return response.status_code


def _deep(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


def hostile_bodies() -> list[tuple[str, bytes, str]]:
    """(name, body, content type): what a fuzzer, a broken integration or an attacker sends."""
    ticket = {"id": "H-1", "subject": "x", "requester": {"email": "h@x.example", "name": "H"}, "tags": "product-bug"}

    def zendesk_body(**changes) -> bytes:
        return json.dumps({"event": "ticket.created", "ticket": {**ticket, **changes}}).encode()

    return [
        ("nested 10,000 deep (object)", _deep(10_000), "application/json"),
        ("nested 10,000 deep (list)", b"[" * 10_000 + b"]" * 10_000, "application/json"),
        ("NUL in the subject", zendesk_body(id="H-2", subject="a\u0000b"), "application/json"),
        ("300-char organization", zendesk_body(id="H-3", organization="O" * 300), "application/json"),
        ("300-char requester name", zendesk_body(id="H-4", requester={"email": "h@x.example", "name": "N" * 300}),
         "application/json"),
        ("300-char ticket id", zendesk_body(id="9" * 300), "application/json"),
        ("invalid UTF-8", b'{"event": "ticket.created", "ticket": {"id": "\xff\xfe"}}', "application/json"),
        ("not JSON", b"<html>hello</html>", "application/json"),
        ("a JSON list", b"[1, 2, 3]", "application/json"),
        ("empty", b"", "application/json"),
        ("wrong content type", zendesk_body(id="H-5"), "text/plain"),
        ("XML entity expansion", b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b '
         b'"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;&b;&b;&b;</l>', "text/xml"),
        ("3 MB body", b'{"event": "x", "pad": "' + b"p" * 3_000_000 + b'"}', "application/json"),
        ("lone surrogate escape", zendesk_body(id="H-6", subject="\\ud800"), "application/json"),
    ]  # fmt: skip


def hostile_send(stack: Stack, body: bytes, content_type: str) -> list[int]:
    """Send one hostile body, correctly authenticated, to all four webhook endpoints; their statuses."""
    statuses = []
    targets = [
        ("/hooks/zendesk/", zendesk_headers(body, f"hostile-{hash(body)}")),
        ("/hooks/jira/", {"X-Hub-Signature": jira.sign(JIRA_SECRET, body)}),
        ("/hooks/salesforce/", {"Authorization": f"Bearer {API_TOKEN}"}),
        ("/api/events/", {"Authorization": f"Bearer {API_TOKEN}"}),
    ]
    for path, headers in targets:
        try:
            response = requests.post(
                f"{stack.site_url}{path}", data=body, headers={**headers, "Content-Type": content_type}, timeout=60
            )
            statuses.append(response.status_code)
        except requests.RequestException:
            statuses.append(0)
    return statuses
