"""Zendesk operations (see the registry): read a ticket, note, reply, tag, update.

Comments have no idempotency key in Zendesk, so a note or reply carries a
tag `sd-<hash>` added *in the same update* as the comment: either both exist
or neither does. The retried attempt reads the ticket first and stops when
the tag is there. Tags go as `additional_tags`, so a concurrent tag change
by an agent is never overwritten.
"""

from __future__ import annotations

from typing import Any

from zenpy.lib.api_objects import Comment, Ticket

from connectors import idempotency, retry
from connectors.base import NotFound, PermanentError
from connectors.zendesk import client


def _ticket_id(params: dict[str, Any]) -> int:
    try:
        return int(str(params["ticket_id"]).strip().lstrip("#"))
    except ValueError:
        raise PermanentError(f"not a Zendesk ticket id: {params['ticket_id']!r}", system=client.SYSTEM) from None


def get_ticket(params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    ticket_id = _ticket_id(params)

    def read(z: Any) -> dict[str, Any]:
        ticket = z.tickets(id=ticket_id)
        requester = z.users(id=ticket.requester_id) if ticket.requester_id else None
        organization = z.organizations(id=ticket.organization_id) if ticket.organization_id else None
        group = z.groups(id=ticket.group_id) if ticket.group_id else None
        return {
            "id": ticket.id,
            "subject": ticket.subject or "",
            "description": ticket.description or "",
            "status": ticket.status,
            "tags": [tag for tag in ticket.tags or [] if not idempotency.is_marker(tag)],
            "requester_email": requester.email if requester else "",
            "organization": organization.name if organization else "",
            "group": group.name if group else "",
        }

    try:
        return client.call(read)
    except NotFound:
        raise NotFound(f"no Zendesk ticket {ticket_id}", system=client.SYSTEM) from None


def _comment(params: dict[str, Any], idempotency_key: str | None, *, public: bool) -> dict[str, Any]:
    ticket_id, marker = _ticket_id(params), idempotency.token(idempotency_key)

    def attempt() -> dict[str, Any]:
        ticket = client.call(lambda z: z.tickets(id=ticket_id))
        if marker not in (ticket.tags or []):
            update = Ticket(
                id=ticket_id, comment=Comment(body=str(params["body"]), public=public), additional_tags=[marker]
            )
            client.call(lambda z: z.tickets.update(update), retried=False)
        return {"ticket_id": ticket_id}

    return retry.run(attempt, classify=client.classify)


def add_note(params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    return _comment(params, idempotency_key, public=False)


def reply(params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    public = params.get("public")
    return _comment(params, idempotency_key, public=True if public is None else bool(public))


def add_tags(params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    ticket_id = _ticket_id(params)
    wanted = [str(tag).strip().replace(" ", "_").lower() for tag in params["tags"] if str(tag).strip()]

    def attempt() -> dict[str, Any]:
        ticket = client.call(lambda z: z.tickets(id=ticket_id))
        present = list(ticket.tags or [])
        missing = [tag for tag in wanted if tag not in present]
        if missing:
            client.call(lambda z: z.tickets.update(Ticket(id=ticket_id, additional_tags=missing)), retried=False)
        return {"tags": [tag for tag in present + missing if not idempotency.is_marker(tag)]}

    return retry.run(attempt, classify=client.classify)


def _group_id(name: str) -> int:
    for group in client.call(lambda z: list(z.groups())):
        if group.name.lower() == name.strip().lower():
            return group.id
    raise NotFound(f"no Zendesk group named {name!r}", system=client.SYSTEM)


def _agent_id(email: str) -> int:
    found = client.call(lambda z: list(z.search(type="user", email=email.strip().lower())))
    if not found:
        raise NotFound(f"no Zendesk user with email {email!r}", system=client.SYSTEM)
    return found[0].id


def update_ticket(params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    """Set status, priority, group and/or assignee; the same values twice leave one state."""
    ticket_id = _ticket_id(params)
    changes: dict[str, Any] = {}
    if params.get("status"):
        changes["status"] = str(params["status"]).lower()
    if params.get("priority"):
        changes["priority"] = str(params["priority"]).lower()
    if params.get("group"):
        changes["group_id"] = _group_id(str(params["group"]))
    if params.get("assignee_email"):
        changes["assignee_id"] = _agent_id(str(params["assignee_email"]))
    if not changes:
        raise PermanentError("update_ticket needs status, priority, group or assignee_email", system=client.SYSTEM)
    audit = client.call(lambda z: z.tickets.update(Ticket(id=ticket_id, **changes)))
    return {"ticket_id": ticket_id, "status": audit.ticket.status}
