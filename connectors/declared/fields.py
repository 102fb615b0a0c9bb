"""Custom Zendesk ticket fields and Salesforce object fields as named, typed facts.

The admin picks fields from what the systems list (Zendesk `ticket_fields`
by title, Salesforce `describe`); each becomes a `CustomField` row with a
fact name (`order_number`, `billing_status`). They reach SOPs two ways:

* as read operations in the registry — `zendesk.get_ticket_fields`
  (ticket_id → one fact per selected field) and
  `salesforce.get_<object>_fields` (`<object>_id` → one fact per field) —
  so a gather step reads them like any other fact;
* in `case.fields` from intake (`cases.casefacts`): the `custom_fields`
  of an arriving Zendesk ticket named by `ticket_field_facts`, so an SOP
  branches on them without a gather step.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from connectors.base import NotFound, PermanentError
from connectors.declared.extract import coerce
from connectors.registry import Operation, Param

ZENDESK_TYPES = {
    "text": "string",
    "textarea": "text",
    "integer": "integer",
    "decimal": "number",
    "checkbox": "boolean",
    "tagger": "string",
    "multiselect": "list",
    "date": "string",
    "regexp": "string",
}
SALESFORCE_TYPES = {
    "boolean": "boolean",
    "int": "integer",
    "double": "number",
    "currency": "number",
    "percent": "number",
    "textarea": "text",
    "multipicklist": "list",
    "email": "email",
}
ZENDESK_SYSTEM_TYPES = {"subject", "description", "status", "tickettype", "priority", "group", "assignee"}


def fact_name(title: str) -> str:
    name = re.sub(r"[^a-z0-9]+", "_", title.replace("__c", "").lower()).strip("_")
    return name if name and name[0].isalpha() else f"field_{name}"


def zendesk_fields_available() -> list[dict[str, Any]]:
    """Custom ticket fields as Zendesk lists them: id, title, type (sopdesk's), choices."""
    from connectors.zendesk import client

    raw = client.call(lambda z: [f.to_dict() for f in z.ticket_fields()])
    return [
        {
            "field_id": str(f["id"]),
            "title": f["title"],
            "type": ZENDESK_TYPES.get(f["type"], "string"),
            "choices": [o["value"] for o in f.get("custom_field_options") or []],
        }
        for f in raw
        if f.get("type") not in ZENDESK_SYSTEM_TYPES and f.get("active", True)
    ]


def salesforce_fields_available(sobject: str) -> list[dict[str, Any]]:
    """An object's fields from describe: API name, label, type (sopdesk's), picklist values."""
    from connectors.salesforce import client

    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", sobject):
        raise PermanentError(f"{sobject!r} is not a Salesforce object name", system="salesforce")
    described = client.call(lambda sf: sf.restful(f"sobjects/{sobject}/describe/"))
    return [
        {
            "field_id": f["name"],
            "title": f.get("label") or f["name"],
            "type": SALESFORCE_TYPES.get(f.get("type", ""), "string"),
            "choices": [p["value"] for p in f.get("picklistValues") or [] if p.get("active", True)],
        }
        for f in described.get("fields", [])
        if f["name"] != "Id"
    ]


def field_operations() -> list[Operation]:
    from connectors.declared.models import CustomField

    rows = list(CustomField.objects.filter(enabled=True))
    ops = []
    zendesk = [r for r in rows if r.system == "zendesk"]
    if zendesk:
        ops.append(
            Operation(
                name="zendesk.get_ticket_fields",
                summary="Read the ticket's custom fields: " + ", ".join(r.title for r in zendesk) + ".",
                params={"ticket_id": Param("string")},
                returns=tuple(r.fact for r in zendesk),
                handler="",
                keywords=("ticket field", "zendesk", *(r.title.lower() for r in zendesk)),
                origin="custom fields",
                call=partial(_read_zendesk, tuple((r.field_id, r.fact, r.type) for r in zendesk)),
            )
        )
    for sobject in sorted({r.sobject for r in rows if r.system == "salesforce"}):
        chosen = [r for r in rows if r.system == "salesforce" and r.sobject == sobject]
        id_param = f"{sobject.lower()}_id"
        ops.append(
            Operation(
                name=f"salesforce.get_{fact_name(sobject)}_fields",
                summary=f"Read the Salesforce {sobject}'s fields: " + ", ".join(r.title for r in chosen) + ".",
                params={id_param: Param("string", description=f"Salesforce {sobject} id.")},
                returns=tuple(r.fact for r in chosen),
                handler="",
                keywords=("salesforce", sobject.lower(), *(r.title.lower() for r in chosen)),
                origin="custom fields",
                call=partial(_read_salesforce, sobject, id_param, tuple((r.field_id, r.fact, r.type) for r in chosen)),
            )
        )
    return ops


def ticket_field_facts(
    custom_fields: list[dict[str, Any]], fields: tuple | None = None, *, strict: bool = True
) -> dict[str, Any]:
    """Named facts from a Zendesk ticket's `custom_fields` ([{"id": 360001, "value": "A-1"}, ...]).

    `strict=False` (intake) leaves out a value that is not of the field's type instead of failing, and an
    empty one ("" is how a trigger placeholder renders an unset field): a missing fact, never a wrong one."""
    if fields is None:
        fields = selected_ticket_fields()
    values = {str(item.get("id")): item.get("value") for item in custom_fields or [] if isinstance(item, dict)}
    if strict:
        return {fact: coerce(values.get(fid), kind, fact=fact, system="zendesk") for fid, fact, kind in fields}
    named = {}
    for field_id, fact, kind in fields:
        value = values.get(field_id)
        if value is None or value == "":
            continue
        try:
            named[fact] = coerce(value, kind, fact=fact, system="zendesk")
        except PermanentError:
            continue
    return named


def selected_ticket_fields() -> tuple[tuple[str, str, str], ...]:
    """(field id, fact, type) of the Zendesk ticket fields the admin selected, from the cached registry."""
    from connectors.declared.catalog import declared_operations

    op = declared_operations().get("zendesk.get_ticket_fields")
    return op.call.args[0] if op is not None and isinstance(op.call, partial) else ()


def ticket_custom_fields(ticket_id: str) -> list[dict[str, Any]]:
    """The ticket's `custom_fields` as the Zendesk API returns them."""
    from connectors.zendesk import client

    number = int(str(ticket_id))
    return client.call(lambda z: z.tickets(id=number).to_dict()).get("custom_fields") or []


def _read_zendesk(fields: tuple, params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    return ticket_field_facts(ticket_custom_fields(str(params["ticket_id"])), fields)


def _read_salesforce(
    sobject: str, id_param: str, fields: tuple, params: dict[str, Any], *, idempotency_key: str | None = None
) -> dict[str, Any]:
    from connectors.salesforce import client

    record_id = str(params.get(id_param) or "")
    if not record_id:
        raise NotFound(f"no {sobject} id to read fields from", system="salesforce")
    record = client.call(lambda sf: getattr(sf, sobject).get(record_id))
    return {fact: coerce(record.get(field_id), kind, fact=fact, system="salesforce") for field_id, fact, kind in fields}
