"""Carrier claims portal emulator: shipment lookup, file claim, claim status, follow-ups, settlement.

There is no standard carrier claims API; this one is shaped like the
portals sopdesk meets (UPS/FedEx claims, freight aggregators): JSON over
`/api/v1`, Bearer token, `Idempotency-Key` on writes (a repeated key returns
the earlier result with `Idempotent-Replayed: true`; the same key with a
different body is a 422, as Stripe does), errors as
`{"error": {"code", "message"}}`. The carrier side of the story (settling a
claim) is a control action: `POST /_sandbox/claims/<id>/settle {"amount": 1100}`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from connectors.config import SANDBOX_CREDENTIALS
from connectors.sandbox import seed
from connectors.sandbox.server import Emulator, Request, Response

P = r"/api/v1"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class CarrierEmulator(Emulator):
    system = "carrier"

    def seed(self) -> None:
        self.shipments = {
            number: {
                "tracking_number": number,
                "carrier": carrier,
                "ship_date": shipped,
                "declared_value": float(value),
                "status": status,
                "delivered_at": delivered,
            }
            for number, carrier, shipped, value, status, delivered in seed.CARRIER_SHIPMENTS
        }
        self.claims: dict[str, dict[str, Any]] = {}
        self.idempotency: dict[str, tuple[str, int, Any]] = {}

    def insert_shipment(self, **shipment: Any) -> None:
        """Add a shipment directly (tests)."""
        with self.lock:
            self.shipments[shipment["tracking_number"]] = shipment

    def snapshot(self) -> dict[str, Any]:
        return {"shipments": self.shipments, "claims": self.claims}

    def routes(self):
        return [
            ("GET", P + r"/shipments/(?P<number>[\w-]+)", self.lookup),
            ("POST", P + r"/claims", self.file_claim),
            ("GET", P + r"/claims/(?P<id>[\w-]+)", self.claim),
            ("POST", P + r"/claims/(?P<id>[\w-]+)/follow-ups", self.follow_up),
        ]

    def authorized(self, request: Request) -> bool:
        return request.headers.get("Authorization", "") == f"Bearer {SANDBOX_CREDENTIALS['carrier']['token']}"

    def error_response(self, status: int, message: str, code: str = "") -> Response:
        code = code or {401: "unauthorized", 404: "not_found", 429: "rate_limited"}.get(status, "unavailable")
        return Response(status, {"error": {"code": code, "message": message}})

    def _replayed(self, request: Request) -> Response | None:
        """The earlier answer for this Idempotency-Key, a 422 if the body differs, None if new."""
        key = request.headers.get("Idempotency-Key")
        if not key or key not in self.idempotency:
            return None
        fingerprint, status, body = self.idempotency[key]
        if fingerprint != f"{request.path} {json.dumps(request.json(), sort_keys=True)}":
            return self.error_response(422, "Idempotency-Key reused with a different request", "idempotency_conflict")
        return Response(200 if status == 201 else status, body, {"Idempotent-Replayed": "true"})

    def _remember(self, request: Request, response: Response) -> Response:
        key = request.headers.get("Idempotency-Key")
        if key:
            fingerprint = f"{request.path} {json.dumps(request.json(), sort_keys=True)}"
            self.idempotency[key] = (fingerprint, response.status, response.body)
        return response

    def _claim_view(self, claim: dict[str, Any]) -> dict[str, Any]:
        return {**claim, "settled": claim["status"] == "settled", "follow_ups": len(claim["follow_up_log"])}

    def lookup(self, request: Request) -> Response:
        shipment = self.shipments.get(request.params["number"])
        if shipment is None:
            return self.error_response(404, f"No shipment with tracking number {request.params['number']}")
        return Response(200, shipment)

    def file_claim(self, request: Request) -> Response:
        replay = self._replayed(request)
        if replay:
            return replay
        data = request.json()
        shipment = self.shipments.get(str(data.get("tracking_number", "")))
        if shipment is None:
            return self.error_response(422, "Unknown tracking number", "invalid_shipment")
        amount = data.get("amount")
        if not isinstance(amount, int | float) or amount <= 0:
            return self.error_response(422, "Claim amount must be a positive number", "invalid_amount")
        if amount > shipment["declared_value"]:
            return self.error_response(
                422,
                f"Claim amount exceeds the declared value {shipment['declared_value']}",
                "amount_exceeds_declared_value",
            )
        claim_id = f"CLM-{len(self.claims) + 1:06d}"
        self.claims[claim_id] = {
            "claim_id": claim_id,
            "carrier": shipment["carrier"],
            "tracking_number": shipment["tracking_number"],
            "amount": float(amount),
            "description": data.get("description") or "",
            "photos": data.get("photos") or [],
            "status": "filed",
            "settled_amount": None,
            "filed_at": _now(),
            "follow_up_log": [],
        }
        return self._remember(request, Response(201, self._claim_view(self.claims[claim_id])))

    def claim(self, request: Request) -> Response:
        claim = self.claims.get(request.params["id"])
        if claim is None:
            return self.error_response(404, f"No claim {request.params['id']}")
        return Response(200, self._claim_view(claim))

    def follow_up(self, request: Request) -> Response:
        replay = self._replayed(request)
        if replay:
            return replay
        claim = self.claims.get(request.params["id"])
        if claim is None:
            return self.error_response(404, f"No claim {request.params['id']}")
        if claim["status"] == "settled":
            return self.error_response(409, "Claim is already settled", "claim_settled")
        claim["follow_up_log"].append({"message": request.json().get("message") or "", "at": _now()})
        return self._remember(
            request, Response(201, {"claim_id": claim["claim_id"], "follow_ups": len(claim["follow_up_log"])})
        )

    def control(self, action: str, request: Request) -> Response:
        parts = action.split("/")
        if request.method == "POST" and len(parts) == 3 and parts[0] == "claims" and parts[2] == "settle":
            with self.lock:
                return self.settle(parts[1], float(request.json().get("amount", 0)))
        return super().control(action, request)

    def settle(self, claim_id: str, amount: float) -> Response:
        """The carrier pays: the claim becomes settled with `amount`."""
        with self.lock:
            claim = self.claims.get(claim_id)
            if claim is None:
                return self.error_response(404, f"No claim {claim_id}")
            claim.update(status="settled", settled_amount=amount, settled_at=_now())
            return Response(200, self._claim_view(claim))
