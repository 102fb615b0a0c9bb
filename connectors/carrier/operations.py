"""Carrier portal operations (see the registry): lookup, file a claim, claim status, follow-up.

Writes carry `Idempotency-Key: sd-<hash of the key>`; the portal answers a
repeated key with the earlier claim or follow-up, so the retry loop may
resend a write whose response was lost.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from connectors import idempotency
from connectors.base import NotFound, PermanentError
from connectors.carrier import client


def lookup_shipment(params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    number = str(params["tracking_number"]).strip()
    try:
        shipment = client.request("GET", f"/shipments/{quote(number, safe='')}")
    except NotFound:
        raise NotFound(f"the carrier has no shipment {number}", system=client.SYSTEM) from None
    return {
        "tracking_number": shipment["tracking_number"],
        "carrier": shipment["carrier"],
        "ship_date": shipment["ship_date"],
        "declared_value": float(shipment["declared_value"]),
        "status": shipment["status"],
        "delivered_at": shipment.get("delivered_at") or "",
    }


def file_claim(params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    try:
        amount = float(params["amount"])
    except (TypeError, ValueError):
        raise PermanentError(f"claim amount is not a number: {params['amount']!r}", system=client.SYSTEM) from None
    body = {
        "carrier": str(params["carrier"]),
        "tracking_number": str(params["tracking_number"]).strip(),
        "amount": amount,
        "description": str(params.get("description") or ""),
        "photos": list(params.get("photos") or []),
    }
    claim = client.request("POST", "/claims", json=body, idempotency_key=idempotency.token(idempotency_key))
    return {"claim_id": claim["claim_id"], "status": claim["status"]}


def claim_status(params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    claim = client.request("GET", f"/claims/{quote(str(params['claim_id']), safe='')}")
    settled_amount = claim.get("settled_amount")
    return {
        "claim_id": claim["claim_id"],
        "status": claim["status"],
        "settled": bool(claim.get("settled")),
        "settled_amount": float(settled_amount) if settled_amount is not None else 0.0,
    }


def send_follow_up(params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    path = f"/claims/{quote(str(params['claim_id']), safe='')}/follow-ups"
    body = {"message": str(params.get("message") or "Following up on this claim: please confirm its status.")}
    answer = client.request("POST", path, json=body, idempotency_key=idempotency.token(idempotency_key))
    return {"claim_id": answer["claim_id"], "follow_ups": answer["follow_ups"]}
