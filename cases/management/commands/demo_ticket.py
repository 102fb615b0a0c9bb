"""`manage.py demo_ticket`: open a ticket in (sandbox) Zendesk and deliver it to sopdesk as Zendesk would.

The ticket is created through the Zendesk connector's client (zenpy), then a
trigger webhook in sopdesk's documented body shape is POSTed to
`<url>/hooks/zendesk/`, signed with ZENDESK_WEBHOOK_SECRET exactly as Zendesk
signs it. The command then follows the case until its run stops moving and
prints the case timeline (the case page is /cases/<id>/).

The sandbox URL, sopdesk's URL and the webhook secret come from the
environment or, when not exported, from the env file `manage.py demo` writes
in the data dir (sopdesk/env.py), so it runs as the README shows it.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cases.models import Case
from cases.selectors import case_timeline
from cases.webhooks import zendesk
from connectors.zendesk.links import ticket_url

REQUESTERS = {
    "enterprise": ("alice@acme.example", "Alice Adams", "Acme Corp"),
    "pro": ("bob@globex.example", "Bob Brown", "Globex"),
    "free": ("carol@initech.example", "Carol Chen", "Initech"),
    "none": ("pat@nowhere.example", "Pat Doe", ""),
}


class Command(BaseCommand):
    help = "Create a product-bug ticket in Zendesk (the sandbox), deliver its webhook, and print the case timeline."

    def add_arguments(self, parser):
        parser.add_argument("--url", default=settings.SITE_URL, help="sopdesk's base URL (default SOPDESK_SITE_URL).")
        parser.add_argument("--plan", choices=sorted(REQUESTERS), default="enterprise")
        parser.add_argument("--subject", default="Export to CSV crashes")
        parser.add_argument("--timeout", type=float, default=60.0)

    def handle(self, *args, url, plan, subject, timeout, **options):
        secret = settings.WEBHOOK_SECRETS.get("zendesk")
        if not secret:
            raise CommandError(
                f"No Zendesk webhook secret: start the demo first (`manage.py demo` writes {settings.DEMO_ENV_FILE}) "
                "or set ZENDESK_WEBHOOK_SECRET to the value the web server uses."
            )
        email, name, org = REQUESTERS[plan]
        ticket = self._create_ticket(subject=subject, email=email, name=name)
        self.stdout.write(f"Created Zendesk ticket {ticket['id']} for {email}.")
        body = json.dumps(
            {
                "event": "ticket.created",
                "ticket": {
                    "id": str(ticket["id"]),
                    "subject": subject,
                    "description": ticket["description"],
                    "tags": "product-bug",
                    "url": ticket_url(ticket["id"]),  # what {{ticket.link}} renders: this Zendesk's ticket page
                    "priority": "normal",
                    "group": "Support",
                    "requester": {"email": email, "name": name},
                    "organization": org,
                },
            }
        ).encode()
        timestamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        response = requests.post(
            f"{url.rstrip('/')}/hooks/zendesk/",
            data=body,
            timeout=20,
            headers={
                "Content-Type": "application/json",
                "X-Zendesk-Webhook-Signature": zendesk.sign(secret, timestamp, body),
                "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
                "X-Zendesk-Webhook-Invocation-Id": f"demo-{ticket['id']}-{timestamp}",
            },
        )
        self.stdout.write(f"Webhook delivered: HTTP {response.status_code} {response.text[:200]}")
        if response.status_code >= 300:
            raise CommandError("sopdesk refused the webhook (see above).")
        case = self._wait_for_case(str(ticket["id"]), timeout)
        self.stdout.write(f"\nCase #{case.id} timeline ({url.rstrip('/')}/cases/{case.id}/):")
        for entry in case_timeline(case=case):
            line = f"  {entry.at:%H:%M:%S} {entry.kind:<5} {entry.title} [{entry.status}]"
            if entry.request and entry.request.get("operation"):
                line += f" → {entry.request['operation']}"
            links = " ".join(u for _, u in entry.links if u)
            self.stdout.write(line + (f"  {links}" if links else ""))

    def _create_ticket(self, *, subject: str, email: str, name: str) -> dict:
        from zenpy.lib.api_objects import Ticket, User

        from connectors.zendesk import client

        description = f"{subject}. It happens every time (demo ticket)."
        audit = client.call(
            lambda z: z.tickets.create(
                Ticket(
                    subject=subject,
                    description=description,
                    tags=["product-bug"],
                    requester=User(name=name, email=email),
                )
            )
        )
        return {"id": audit.ticket.id, "description": description}

    def _wait_for_case(self, external_id: str, timeout: float) -> Case:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            case = Case.objects.filter(source="zendesk", external_id=external_id).first()
            run = case.runs.first() if case else None
            if run and run.status in ("completed", "held", "waiting", "failed"):
                return case
            time.sleep(0.5)
        raise CommandError(f"No settled run for ticket {external_id} after {timeout:.0f}s: is the qcluster running?")
