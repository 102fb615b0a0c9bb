"""Replay: run a procedure in dry run over historical tickets and report coverage.

`tickets_load(path)` reads a Zendesk JSON export (`{"tickets": [...], "users":
[...], "organizations": [...], "groups": [...]}` as the API returns it with
sideloads, a plain list, or NDJSON as Zendesk's full export writes it) or a
CSV export (columns matched by name: Id, Subject, Description, Requester,
Requester email, Organization, Group, Tags, Priority, Amount; any other column
becomes a custom field). `replay_run` dry-runs every ticket; reads still go to
the connected systems, writes are only recorded. `tickets_generate` writes a
realistic file of escalation tickets for the sandbox's seed data.
"""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from cases import clock
from cases.casefacts import NormalisedEvent, case_apply, number, tags
from cases.models import Case, Run, StepExecution
from cases.services import run_advance, run_start
from procedures.models import ProcedureVersion


class ReplayError(Exception):
    code = "replay_failed"


@dataclass
class Coverage:
    total: int = 0
    unattended: int = 0  # ran to an end with nobody involved
    waiting: int = 0  # reached a durable wait (timer or customer) with nobody involved so far
    held: Counter = field(default_factory=Counter)  # (step, reason) → count
    outcomes: Counter = field(default_factory=Counter)
    actions: Counter = field(default_factory=Counter)  # would-be writes: operation → count
    errors: int = 0

    def table(self) -> str:
        def pct(n: int) -> str:
            return f"{100 * n / self.total:5.1f}%" if self.total else "  -  "

        held = sum(self.held.values())
        lines = [
            f"{'Tickets replayed':<44}{self.total:>7}",
            f"{'Ran to the end unattended':<44}{self.unattended:>7} {pct(self.unattended)}",
            f"{'Waiting (timer or customer), unattended':<44}{self.waiting:>7} {pct(self.waiting)}",
            f"{'Stopped at an edge for a person':<44}{held:>7} {pct(held)}",
        ]
        for (step, reason), count in self.held.most_common():
            lines.append(f"    {step + ' — ' + reason:<40}{count:>7} {pct(count)}")
        if self.errors:
            lines.append(f"{'Failed (see the runs)':<44}{self.errors:>7} {pct(self.errors)}")
        lines.append("End outcomes:")
        for outcome, count in self.outcomes.most_common():
            lines.append(f"    {outcome:<40}{count:>7}")
        lines.append("Actions that would have been taken:")
        for operation, count in self.actions.most_common():
            lines.append(f"    {operation:<40}{count:>7}")
        return "\n".join(lines)


# --- Loading ---------------------------------------------------------------------------


def tickets_load(path: Path) -> list[NormalisedEvent]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        return [_csv_ticket(row) for row in csv.DictReader(text.splitlines())]
    stripped = text.lstrip()
    if stripped.startswith("{") and "\n{" in stripped and not stripped.startswith('{"tickets"'):
        data: Any = [json.loads(line) for line in text.splitlines() if line.strip()]
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ReplayError(f"{path} is neither JSON, NDJSON nor CSV: {exc}") from exc
    if isinstance(data, dict):
        sideloads = {
            "users": {u.get("id"): u for u in data.get("users", [])},
            "organizations": {o.get("id"): o for o in data.get("organizations", [])},
            "groups": {g.get("id"): g for g in data.get("groups", [])},
        }
        data = data.get("tickets", [])
    else:
        sideloads = {"users": {}, "organizations": {}, "groups": {}}
    if not isinstance(data, list):
        raise ReplayError(f"{path}: expected a list of tickets or an object with 'tickets'.")
    return [_json_ticket(t, sideloads) for t in data if isinstance(t, dict)]


def _json_ticket(ticket: dict, sideloads: dict) -> NormalisedEvent:
    requester = ticket.get("requester") if isinstance(ticket.get("requester"), dict) else {}
    user = sideloads["users"].get(ticket.get("requester_id"), {})
    org = ticket.get("organization")
    if not isinstance(org, str):
        org = sideloads["organizations"].get(ticket.get("organization_id"), {}).get("name")
    group = ticket.get("group")
    if not isinstance(group, str):
        group = sideloads["groups"].get(ticket.get("group_id"), {}).get("name")
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
        url=ticket.get("url") or "",
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
    """Dry-run `version` over every ticket. Nothing is kept unless `keep` (cases and runs are rolled back)."""
    coverage = Coverage()
    with transaction.atomic():
        for ticket in tickets:
            case = Case(source=ticket.source, external_id="", opened_at=clock.now())
            case_apply(case=case, event=ticket)
            case.save()
            run = run_start(
                case=case, version=version, mode=Run.Mode.DRY_RUN, event={"type": ticket.event_type}, enqueue=False
            )
            run = run_advance(run_id=run.id)
            _count(coverage, run)
            if progress:
                progress()
        if not keep:
            transaction.set_rollback(True)
    return coverage


def _count(coverage: Coverage, run: Run) -> None:
    coverage.total += 1
    for operation in run.executions.filter(status=StepExecution.Status.SKIPPED).values_list(
        "request__operation", flat=True
    ):
        coverage.actions[operation] += 1
    if run.status == Run.Status.COMPLETED:
        coverage.unattended += 1
        coverage.outcomes[run.outcome] += 1
    elif run.status == Run.Status.WAITING:
        coverage.waiting += 1
    elif run.status == Run.Status.HELD:
        held = run.executions.filter(status=StepExecution.Status.HELD).order_by("-sequence").first()
        reason = (held.decision or {}).get("reason", "?") if held else "?"
        coverage.held[(run.current_step, reason)] += 1
    else:
        coverage.errors += 1


# --- A generated file ---------------------------------------------------------------------

# Requesters from the sandbox seed (connectors/sandbox/seed.py): plans Enterprise, Pro, Free,
# an ambiguous domain (two accounts) and a requester with no organization.
REQUESTERS = [
    ("alice@acme.example", "Alice Adams", "Acme Corp", 30),
    ("bob@globex.example", "Bob Brown", "Globex", 30),
    ("carol@initech.example", "Carol Chen", "Initech", 25),
    ("dan@umbrella.example", "Dan Diaz", "Umbrella", 5),
    ("pat@nowhere.example", "Pat Doe", None, 10),
]
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


def tickets_generate(*, count: int, seed: int = 7) -> dict:
    """A Zendesk-export-shaped file of `count` product-bug tickets over the sandbox's requesters."""
    rng = random.Random(seed)
    weights = [w for *_, w in REQUESTERS]
    tickets = []
    for number_ in range(1, count + 1):
        email, name, org, _ = rng.choices(REQUESTERS, weights)[0]
        problem = rng.choice(PROBLEMS)
        tickets.append(
            {
                "id": 10000 + number_,
                "url": f"https://sandbox.zendesk.com/agent/tickets/{10000 + number_}",
                "subject": problem,
                "description": f"{problem}. Steps: open the app, try again, it fails (report #{number_}).",
                "tags": ["product-bug"] + (["vip"] if rng.random() < 0.1 else []),
                "priority": rng.choice(["normal", "high", "urgent"]),
                "requester": {"email": email, "name": name},
                "organization": org,
                "group": "Support",
                "created_at": "2026-11-01T10:00:00Z",
            }
        )
    return {"tickets": tickets}
