"""Normalised events and the facts a case shows to the SOP as `case`.

Every source (Zendesk, Jira, Salesforce, the API, replay files) is turned into
a `NormalisedEvent`; `case_names(case)` is what expressions see as `case`:

    subject, description, tags (list), requester_email, requester_name,
    organization, ticket_id, url, amount (number), fields (map), attachments
    (list of {kind, name, url}), group, priority, tier, source, status

`fields` of a Zendesk ticket include the custom ticket fields the admin
selected (Connectors → Custom fields), named and typed: `fields.order_value`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from cases import clock
from cases.models import Case

logger = logging.getLogger(__name__)
# Facts kept in Case.facts (the rest are columns).
FACT_KEYS = ("tags", "fields", "amount", "attachments", "group", "tier", "ticket_id")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".heic", ".webp")
# Custom fields whose names end like these hold money or quantities: "$8,400.00" is read as 8400.
NUMERIC_FIELD_SUFFIXES = ("amount", "value", "price", "cost", "total", "weight", "quantity")


@dataclass(frozen=True)
class NormalisedEvent:
    source: str
    event_type: str
    dedupe_key: str = ""
    external_id: str = ""
    url: str = ""
    subject: str | None = None
    description: str | None = None
    requester_email: str | None = None
    requester_name: str | None = None
    organization: str | None = None
    priority: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)
    # An event that ends waits, e.g. customer.replied or claim.settled (besides event_type itself).
    signals: tuple[str, ...] = ()
    # Lifecycle facts the SLA clocks stop on: the source's status, who the case is
    # assigned to, and whether an agent just replied publicly (the first response).
    status: str | None = None
    assignee_email: str | None = None
    agent_replied: bool = False
    # Zendesk: the ticket's `custom_fields` ([{id, value}]) when the body carries them; `read_custom_fields`
    # when it does not (event-subscribed webhooks) and the ticket is read from the Zendesk API instead.
    custom_fields: tuple[dict, ...] | None = None
    read_custom_fields: bool = False


def number(value: Any) -> float | int | None:
    """'$8,400.00' → 8400, '1200.5' → 1200.5; None when it is not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    text = str(value).strip().replace(",", "").replace("$", "").replace("€", "").replace("£", "")
    if not text:
        return None
    try:
        parsed = Decimal(text)
    except InvalidOperation:
        return None
    return int(parsed) if parsed == parsed.to_integral_value() else float(parsed)


def tags(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [t for t in value.replace(",", " ").split() if t]
    return [str(t) for t in value if t]


def attachment(item: Any) -> dict:
    """{kind, name, url}; kind 'photo' for images unless the source says otherwise."""
    if isinstance(item, str):
        item = {"url": item, "name": item.rsplit("/", 1)[-1]}
    item = dict(item)
    name = str(item.get("name") or item.get("file_name") or item.get("filename") or "")
    content_type = str(item.get("content_type") or "")
    kind = item.get("kind") or (
        "photo" if content_type.startswith("image/") or name.lower().endswith(IMAGE_SUFFIXES) else "document"
    )
    out = {"kind": kind, "name": name, "url": str(item.get("url") or item.get("content_url") or "")}
    if content_type:
        out["content_type"] = content_type
    return out


def _ticket_link(case: Case, event: NormalisedEvent) -> str:
    """The ticket's page in the Zendesk sopdesk talks to (the emulator in sandbox mode), else the event's own link."""
    if event.source == "zendesk":
        from connectors.zendesk.links import ticket_url

        ticket_id = event.external_id or case.external_id or str(event.facts.get("ticket_id") or "")
        return ticket_url(ticket_id) or event.url
    return event.url


def case_apply(*, case: Case, event: NormalisedEvent) -> Case:
    """Merge an event's facts into a case (unsaved). Tags accumulate; fields merge; others overwrite."""
    for column in ("subject", "description", "requester_email", "requester_name", "priority"):
        value = getattr(event, column)
        if value not in (None, ""):
            if column == "priority" and value not in Case.Priority.values:
                case.facts = {**case.facts, "source_priority": value}
                continue
            setattr(case, column, value if column != "subject" else str(value)[:500])
    if event.organization:
        case.account_name = event.organization
    url = _ticket_link(case, event)
    if url:
        case.external_url = url
    facts = dict(case.facts or {})
    event_facts = dict(event.facts)
    if named := zendesk_field_facts(event):  # the admin's selected ticket fields; the body's own `fields` win
        event_facts["fields"] = {**named, **(event_facts.get("fields") or {})}
    for key, value in event_facts.items():
        if value is None:
            continue
        if key == "tags":
            facts["tags"] = sorted(set(facts.get("tags", [])) | set(tags(value)))
        elif key == "fields":
            facts["fields"] = {**facts.get("fields", {}), **value}
        elif key == "attachments":
            known = {a.get("url") or a.get("name") for a in facts.get("attachments", [])}
            facts["attachments"] = facts.get("attachments", []) + [
                a for a in (attachment(x) for x in value) if (a.get("url") or a.get("name")) not in known
            ]
        else:
            facts[key] = value
    if event.external_id and "ticket_id" not in facts:
        facts["ticket_id"] = event.external_id
    case.facts = facts
    _apply_lifecycle(case=case, event=event)
    return case


def zendesk_field_facts(event: NormalisedEvent) -> dict[str, Any]:
    """The selected Zendesk custom fields of the event's ticket as named, typed facts (`case.fields.order_value`).

    From the body when it carries `custom_fields`, else (an event-subscribed webhook) read from the Zendesk API.
    Nothing is read when no field is selected; a field that cannot be read or has a value of the wrong type is
    left out (a condition on it then finds it missing), never guessed."""
    if event.source != "zendesk" or (event.custom_fields is None and not event.read_custom_fields):
        return {}
    from connectors.declared import fields as custom_fields

    selected = custom_fields.selected_ticket_fields()
    if not selected:
        return {}
    raw = event.custom_fields
    if raw is None:
        try:
            raw = custom_fields.ticket_custom_fields(event.external_id)
        except Exception as exc:  # intake goes on without them; the SOP can still read them in a gather step
            logger.warning("Zendesk ticket %s: custom fields not read: %s", event.external_id, exc)
            return {}
    return custom_fields.ticket_field_facts(list(raw), selected, strict=False)


def case_names(case: Case) -> dict[str, Any]:
    """The `case` an SOP's expressions read."""
    facts = case.facts or {}
    fields = dict(facts.get("fields") or {})
    invalid: dict[str, Any] = {}  # values that should be numbers and are not: the engine says so instead of "missing"
    for key, value in fields.items():
        if isinstance(value, str) and key.lower().endswith(NUMERIC_FIELD_SUFFIXES):
            if number(value) is not None:
                fields[key] = number(value)
            elif value.strip():
                invalid[f"fields.{key}"] = value
    amount = facts.get("amount")
    if amount is None:
        for key in ("claim_amount", "amount"):
            if fields.get(key) is not None:
                amount = number(fields[key])
                if amount is None and f"fields.{key}" in invalid:
                    invalid["amount"] = invalid[f"fields.{key}"]
                break
    names = {
        "id": case.id,
        "source": case.source,
        "status": case.status,
        "subject": case.subject,
        "description": case.description,
        "requester_email": case.requester_email,
        "requester_name": case.requester_name,
        "organization": case.account_name,
        "ticket_id": str(facts.get("ticket_id") or case.external_id or ""),
        "url": case.external_url,
        "priority": case.priority,
        "tags": list(facts.get("tags") or []),
        "fields": fields,
        "attachments": list(facts.get("attachments") or []),
        "group": facts.get("group") or "",
        "tier": facts.get("tier") or "",
    }
    if amount is not None:
        names["amount"] = amount
    if invalid:
        names["invalid"] = invalid
    for key, value in facts.items():
        names.setdefault(key, value)
    return names


# Zendesk's ticket statuses (and the plain words other sources use) → the case's status.
SOURCE_STATUS = {
    "new": Case.Status.OPEN,
    "open": Case.Status.OPEN,
    "pending": Case.Status.WAITING,
    "hold": Case.Status.WAITING,
    "on-hold": Case.Status.WAITING,
    "waiting": Case.Status.WAITING,
    "solved": Case.Status.RESOLVED,
    "resolved": Case.Status.RESOLVED,
    "closed": Case.Status.CLOSED,
}


def _apply_lifecycle(*, case: Case, event: NormalisedEvent) -> None:
    """Status, assignee and first response from the event: what the SLA clocks stop and pause on."""
    from django.contrib.auth import get_user_model

    now = clock.now()
    status = SOURCE_STATUS.get((event.status or "").strip().lower())
    if status and not (status == Case.Status.OPEN and case.status == Case.Status.HELD):
        case.status = status
    if case.status in (Case.Status.RESOLVED, Case.Status.CLOSED):
        case.resolved_at = case.resolved_at or now
    else:  # reopened (or never solved): the SLA clocks run again
        case.resolved_at = None
    if event.assignee_email:
        email = event.assignee_email.strip().lower()
        case.facts = {**case.facts, "assignee_email": email}
        user = get_user_model().objects.filter(email__iexact=email).order_by("id").first()
        if user:
            case.assignee = user
    if event.agent_replied and not case.first_response_at:
        case.first_response_at = now


def fact_at(path: str, names: dict) -> Any:
    """The value at a dotted path ("account.plan") in the names a step sees, or None when any part is missing."""
    value: Any = names
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value
