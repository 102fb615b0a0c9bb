"""Salesforce outbound messages (SOAP) and platform-event JSON relayed by a subscriber.

Outbound messages carry no signature: authenticity is the OrganizationId
(checked against SALESFORCE_ORG_ID), plus mutual TLS / IP allowlists in front
of sopdesk. Each Notification is deduplicated on its Id; the answer is the
SOAP Ack Salesforce waits for (anything else makes it retry for 24 hours).
"""

from __future__ import annotations

from xml.etree import ElementTree

from cases.casefacts import NormalisedEvent, number
from cases.webhooks.base import WebhookRejected, json_object, text

NS = {"soap": "http://schemas.xmlsoap.org/soap/envelope/", "om": "http://soap.sforce.com/2005/09/outbound"}
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
ACK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
    '<soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">'
    "<Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>"
)


def is_json(headers: dict[str, str]) -> bool:
    return "json" in headers.get("Content-Type", "").lower()


def parse(headers: dict[str, str], body: bytes, *, org_id: str) -> list[NormalisedEvent]:
    if is_json(headers):
        return [_platform_event(json_object(body))]
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise WebhookRejected(400, "malformed_xml", f"The body is not an outbound message (XML): {exc}.") from exc
    notifications = root.find(".//om:notifications", NS)
    if notifications is None:
        raise WebhookRejected(
            400, "not_outbound_message", "No <notifications> element: send a Salesforce outbound message."
        )
    org = notifications.findtext("om:OrganizationId", default="", namespaces=NS)
    if not org_id:
        raise WebhookRejected(401, "not_configured", "Set SALESFORCE_ORG_ID to accept this org's outbound messages.")
    if org[:15] != org_id[:15]:
        raise WebhookRejected(401, "organization_unknown", f"Outbound messages from org {org!r} are not accepted.")
    events = []
    for note in notifications.findall("om:Notification", NS):
        sobject = note.find("om:sObject", NS)
        if sobject is None:
            continue
        kind = (sobject.get(XSI_TYPE) or "sf:Record").split(":")[-1]
        values = {child.tag.split("}")[-1]: (child.text or "") for child in sobject}
        events.append(_record_event(kind, values, dedupe=note.findtext("om:Id", default="", namespaces=NS)))
    if not events:
        raise WebhookRejected(400, "no_notifications", "The outbound message has no Notification with an sObject.")
    return events


def _record_event(kind: str, values: dict, *, dedupe: str, event_type: str = "") -> NormalisedEvent:
    record_id = text(values.get("Id")) or ""
    return NormalisedEvent(
        source="salesforce",
        event_type=event_type or f"{kind.lower()}.changed",
        dedupe_key=dedupe,
        external_id=record_id,
        subject=text(values.get("Subject") or values.get("Name")),
        description=text(values.get("Description")),
        requester_email=text(values.get("SuppliedEmail") or values.get("Email")),
        requester_name=text(values.get("SuppliedName")),
        organization=text(values.get("AccountName") or values.get("Account_Name__c")),
        facts={
            "fields": {k: v for k, v in values.items() if k != "Id"},
            "amount": number(values.get("Amount")),
            "ticket_id": record_id,
        },
        payload={"type": kind, "fields": values},
    )


def _platform_event(data: dict) -> NormalisedEvent:
    """`{"channel": "/event/Claim__e", "replayId": 7, "payload": {...}}` or a CDC message with ChangeEventHeader."""
    payload = data.get("payload") if isinstance(data.get("payload"), dict) else None
    if payload is None:
        raise WebhookRejected(400, "payload_missing", 'The event needs a "payload" object.')
    header = payload.get("ChangeEventHeader") if isinstance(payload.get("ChangeEventHeader"), dict) else {}
    replay = text(data.get("replayId") or (data.get("event") or {}).get("replayId"))
    if header:
        ids = header.get("recordIds") or [""]
        kind = str(header.get("entityName", "Record"))
        values = {"Id": ids[0], **{k: v for k, v in payload.items() if k != "ChangeEventHeader"}}
        event_type = f"{kind.lower()}.{str(header.get('changeType', 'update')).lower()}"
        return _record_event(
            kind, values, dedupe=replay or text(header.get("transactionKey")) or "", event_type=event_type
        )
    channel = str(data.get("channel", "/event/Event__e")).rsplit("/", 1)[-1]
    values = {"Id": payload.get("RecordId__c") or payload.get("Id") or replay or "", **payload}
    return _record_event(
        channel.removesuffix("__e"),
        values,
        dedupe=replay or "",
        event_type=text(data.get("event_type")) or f"{channel.removesuffix('__e').lower()}.published",
    )
