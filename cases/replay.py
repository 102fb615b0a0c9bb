"""Replay: run a procedure in dry run over historical tickets and report coverage.

`tickets_read(path)` reads a Zendesk JSON export: one page (`{"tickets": [...],
"users": [...], "organizations": [...], "groups": [...]}` as the incremental
export and `include=users,organizations` produce it), a list of tickets or of
pages, NDJSON (a ticket or a page per line), or a CSV export (columns matched
by name: Id, Subject, Description, Requester, Requester email, Organization,
Group, Tags, Priority, Amount; any other column becomes a custom field).
Tickets name their requester and organization by id; those are resolved from
the sideloads, else through read-only Zendesk lookups, cached per id
(`cases/zendesk_directory.py`). `replay_run` dry-runs every ticket in memory
(`cases/replay_core.py`): reads go to the connected systems once per distinct
question, writes are only counted, nothing is stored. A ticket that stops
because a fact it should carry is empty is counted as a missing fact, not as
a failed action (`cases/replay_coverage.py`). `tickets_generate` writes such
an export for the sandbox.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cases import replay_input
from cases.casefacts import NormalisedEvent, number, tags
from cases.replay_core import replay_memory
from cases.replay_coverage import Coverage, missing_inputs
from cases.replay_input import ReplayError
from cases.replay_persistent import replay_persistent
from cases.zendesk_directory import Directory
from procedures.models import ProcedureVersion

__all__ = [
    "Coverage",
    "ReplayError",
    "missing_inputs",
    "replay_run",
    "tickets_generate",
    "tickets_load",
    "tickets_read",
]


# --- Loading ---------------------------------------------------------------------------


@dataclass
class TicketFile:
    tickets: list[NormalisedEvent]
    directory: Directory


def tickets_load(path: Path, *, lookup: bool = True) -> list[NormalisedEvent]:
    return tickets_read(path, lookup=lookup).tickets


def tickets_read(path: Path, *, lookup: bool = True) -> TicketFile:
    """Read an export; requesters and organizations given by id are resolved (cases/zendesk_directory.py).

    `lookup`: ask Zendesk (read-only) for ids the export's sideloads do not carry.
    """
    directory = Directory(lookup=lookup)
    text = replay_input.read_text(path)
    if path.suffix.lower() == ".csv":
        rows = replay_input.read_csv(path, text)
        for number, row in enumerate(rows, 2):
            replay_input.check_ticket({**row, "id": row.get("id") or "csv"}, f"{path}: row {number}")
        return TicketFile([_csv_ticket(row) for row in rows], directory)
    data = replay_input.read_json(path, text)  # JSON, or NDJSON: a ticket or an export page per line
    pages = data if isinstance(data, list) else [data]
    raw: list[dict] = []
    for number, page in enumerate(pages, 1):
        where = f"{path}: item {number}" if isinstance(data, list) else str(path)
        if isinstance(page, dict) and isinstance(page.get("tickets"), list):  # an export page with sideloads
            directory.add_sideloads(page)
            raw += [replay_input.check_ticket(t, f"{where}, ticket {i}") for i, t in enumerate(page["tickets"], 1)]
        elif isinstance(page, dict) and isinstance(page.get("ticket"), dict):  # GET /tickets/{id}.json?include=
            directory.add_sideloads(page)
            raw.append(replay_input.check_ticket(page["ticket"], where))
        elif isinstance(page, dict) and "id" in page:
            raw.append(replay_input.check_ticket(page, where))
        else:
            kind = type(page).__name__ if not isinstance(page, dict) else "object without 'id' or 'tickets'"
            raise ReplayError(f"{where}: expected a ticket, or an export page with 'tickets', got a {kind}.")
    return TicketFile([_json_ticket(t, directory) for t in raw], directory)


def _agent_url(url: str, ticket_id: str) -> str:
    """Exports carry the ticket's API URL (`.../api/v2/tickets/12.json`); people open `.../agent/tickets/12`."""
    if url and "/api/v2/tickets/" in url:
        return url.split("/api/v2/tickets/", 1)[0] + f"/agent/tickets/{ticket_id}"
    return url or ""


def _json_ticket(ticket: dict, directory: Directory) -> NormalisedEvent:
    requester = ticket.get("requester") if isinstance(ticket.get("requester"), dict) else {}
    user = {} if requester.get("email") else (directory.user(ticket.get("requester_id")) or {})
    org = ticket.get("organization")
    if not isinstance(org, str):
        org_id = ticket.get("organization_id") or user.get("organization_id")
        org = (directory.organization(org_id) or {}).get("name")
    group = ticket.get("group")
    if not isinstance(group, str):
        group = (directory.group(ticket.get("group_id")) or {}).get("name")
    fields = dict(ticket.get("fields") or {})
    for item in ticket.get("custom_fields") or []:
        if isinstance(item, dict) and item.get("value") not in (None, ""):
            fields[str(item.get("name") or item.get("id"))] = item["value"]
    ticket_id = str(ticket.get("id", ""))
    return _event(
        ticket_id=ticket_id,
        subject=ticket.get("subject") or ticket.get("raw_subject"),
        description=ticket.get("description"),
        email=requester.get("email") or user.get("email"),
        name=requester.get("name") or user.get("name"),
        organization=org,
        group=group,
        tag_list=ticket.get("tags"),
        priority=ticket.get("priority"),
        url=_agent_url(ticket.get("url") or "", ticket_id),
        fields=fields,
        amount=ticket.get("amount"),
        attachments=ticket.get("attachments"),
    )


_CSV_NAMES = {
    "id": "id",
    "ticket id": "id",
    "subject": "subject",
    "description": "description",
    "requester": "name",
    "requester name": "name",
    "requester email": "email",
    "requester_email": "email",
    "organization": "organization",
    "group": "group",
    "tags": "tags",
    "priority": "priority",
    "amount": "amount",
    "url": "url",
}


def _csv_ticket(row: dict) -> NormalisedEvent:
    known: dict[str, str] = {}
    fields = {}
    for column, value in row.items():
        key = _CSV_NAMES.get((column or "").strip().lower())
        if key:
            known[key] = value
        elif column and value not in (None, ""):
            fields[column.strip().lower().replace(" ", "_").removeprefix("field:")] = value
    return _event(
        ticket_id=known.get("id", ""),
        subject=known.get("subject"),
        description=known.get("description"),
        email=known.get("email"),
        name=known.get("name"),
        organization=known.get("organization"),
        group=known.get("group"),
        tag_list=known.get("tags"),
        priority=known.get("priority"),
        url=known.get("url", ""),
        fields=fields,
        amount=known.get("amount"),
        attachments=None,
    )


def _event(
    *,
    ticket_id,
    subject,
    description,
    email,
    name,
    organization,
    group,
    tag_list,
    priority,
    url,
    fields,
    amount,
    attachments,
) -> NormalisedEvent:
    facts = {
        "tags": tags(tag_list),
        "fields": fields,
        "group": group or None,
        "ticket_id": ticket_id,
        "amount": number(amount if amount is not None else fields.get("claim_amount")),
        "attachments": attachments or None,
        "replay": True,
    }
    return NormalisedEvent(
        source="zendesk",
        event_type="ticket.created",
        url=url or "",
        subject=subject,
        description=description,
        requester_email=email,
        requester_name=name,
        organization=organization,
        priority=(priority or "").lower() or None,
        facts={k: v for k, v in facts.items() if v is not None},
    )


# --- Running ---------------------------------------------------------------------------


def replay_run(
    *,
    version: ProcedureVersion,
    tickets: Iterable[NormalisedEvent],
    keep: bool = False,
    progress: Callable[[], None] | None = None,
) -> Coverage:
    """Dry-run `version` over every ticket and return the coverage; nothing is written anywhere.

    In memory (`cases/replay_core.py`), reads asked once per distinct question. `keep`: run a
    persistent dry run instead and keep its cases and runs, to look at them in the admin.
    """
    if keep:
        return replay_persistent(version=version, tickets=tickets, keep=True, progress=progress)
    return replay_memory(version=version, tickets=tickets, progress=progress)


# --- A generated file ---------------------------------------------------------------------

# Requesters from the sandbox seed (connectors/sandbox/seed.py), with their Zendesk user and organization ids:
# plans Enterprise, Pro, Free, an ambiguous domain (two Salesforce accounts) and a requester with no organization.
REQUESTERS = [
    (100, "alice@acme.example", "Alice Adams", (200, "Acme Corp"), 30),
    (101, "bob@globex.example", "Bob Brown", (201, "Globex"), 30),
    (102, "carol@initech.example", "Carol Chen", (202, "Initech"), 25),
    (103, "dan@umbrella.example", "Dan Diaz", (203, "Umbrella"), 5),
    (104, "pat@nowhere.example", "Pat Doe", None, 10),
]
GROUPS = [{"id": 300, "name": "Support"}]
PROBLEMS = [
    "Export to CSV crashes",
    "Dashboard shows wrong totals",
    "Dark mode flickers",
    "Login loop after SSO",
    "Search returns stale results",
    "PDF invoice has the wrong VAT",
    "Webhook retries never stop",
    "Mobile app freezes on upload",
    "Timezone off by one hour in reports",
    "Bulk edit drops tags",
]


def tickets_generate(*, count: int, seed: int = 7, sideloads: bool = True) -> dict:
    """An export page as Zendesk's incremental export writes it with `include=users,organizations`.

    Tickets carry `requester_id`, `organization_id` and `group_id` only (no e-mail, no names), with
    the sandbox's Zendesk ids; `sideloads=False` leaves out `users`, `organizations` and `groups`,
    as a plain `/tickets.json` export does, so replay has to look them up in Zendesk.
    """
    rng = random.Random(seed)
    weights = [w for *_, w in REQUESTERS]
    tickets = []
    used: dict[int, tuple] = {}
    for number_ in range(1, count + 1):
        requester = rng.choices(REQUESTERS, weights)[0]
        user_id, _email, _name, org, _ = requester
        used[user_id] = requester
        problem = rng.choice(PROBLEMS)
        ticket_id = 10000 + number_
        tickets.append(
            {
                "id": ticket_id,
                "url": f"https://sandbox.zendesk.com/api/v2/tickets/{ticket_id}.json",
                "subject": problem,
                "raw_subject": problem,
                "description": f"{problem}. Steps: open the app, try again, it fails (report #{number_}).",
                "status": "new",
                "type": "problem",
                "tags": ["product-bug"] + (["vip"] if rng.random() < 0.1 else []),
                "priority": rng.choice(["normal", "high", "urgent"]),
                "requester_id": user_id,
                "submitter_id": user_id,
                "organization_id": org[0] if org else None,
                "group_id": 300,
                "via": {"channel": "web"},
                "custom_fields": [],
                "created_at": "2026-11-01T10:00:00Z",
                "updated_at": "2026-11-01T10:00:00Z",
            }
        )
    page: dict[str, Any] = {"tickets": tickets, "count": len(tickets), "end_of_stream": True, "after_cursor": None}
    if sideloads:
        page["users"] = [
            {"id": uid, "email": email, "name": name, "organization_id": org[0] if org else None, "role": "end-user"}
            for uid, email, name, org, _ in sorted(used.values())
        ]
        orgs = {org for *_, org, _ in used.values() if org}
        page["organizations"] = [{"id": oid, "name": name} for oid, name in sorted(orgs)]
        page["groups"] = GROUPS
    return page
