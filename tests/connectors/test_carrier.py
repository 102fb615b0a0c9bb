"""Carrier portal operations through the HTTP client to the emulator."""

from __future__ import annotations

import pytest

from connectors.base import NotFound, PermanentError
from connectors.registry import get


def op(name):
    return get(name).load_handler()


def test_lookup_shipment(sandbox):
    assert op("carrier.lookup_shipment")({"carrier": "UPS", "tracking_number": "1Z0000000000001200"}) == {
        "tracking_number": "1Z0000000000001200",
        "carrier": "UPS",
        "ship_date": "2026-11-02",
        "declared_value": 1200.0,
        "status": "delivered",
        "delivered_at": "2026-11-06T14:10:00Z",
    }


def test_lookup_unknown_shipment_is_not_found(sandbox):
    with pytest.raises(NotFound):
        op("carrier.lookup_shipment")({"carrier": "UPS", "tracking_number": "NOPE"})


def test_file_claim_with_photos(sandbox):
    result = op("carrier.file_claim")(
        {
            "carrier": "UPS",
            "tracking_number": "1Z0000000000008400",
            "amount": 8400,
            "description": "Crushed",
            "photos": ["https://files.example/1.jpg", "https://files.example/2.jpg"],
        },
        idempotency_key="run:file",
    )
    assert result == {"claim_id": "CLM-000001", "status": "filed"}
    claim = sandbox.inspect("carrier")["claims"]["CLM-000001"]
    assert claim["amount"] == 8400.0 and len(claim["photos"]) == 2


def test_file_claim_above_declared_value_is_permanent_with_the_remote_message(sandbox):
    with pytest.raises(PermanentError) as caught:
        op("carrier.file_claim")(
            {"carrier": "UPS", "tracking_number": "1Z0000000000001200", "amount": 5000}, idempotency_key="k"
        )
    assert caught.value.status == 422
    assert "amount_exceeds_declared_value" in caught.value.remote_message
    assert sandbox.inspect("carrier")["claims"] == {}


def test_claim_status_before_and_after_settlement(sandbox):
    claim_id = op("carrier.file_claim")(
        {"carrier": "UPS", "tracking_number": "1Z0000000000001200", "amount": 1200}, idempotency_key="k"
    )["claim_id"]
    assert op("carrier.claim_status")({"carrier": "UPS", "claim_id": claim_id}) == {
        "claim_id": claim_id,
        "status": "filed",
        "settled": False,
        "settled_amount": 0.0,
    }
    sandbox.settle(claim_id, 1100)
    assert op("carrier.claim_status")({"carrier": "UPS", "claim_id": claim_id})["settled_amount"] == 1100.0


def test_send_follow_up(sandbox):
    claim_id = op("carrier.file_claim")(
        {"carrier": "UPS", "tracking_number": "1Z0000000000001200", "amount": 1200}, idempotency_key="k"
    )["claim_id"]
    assert op("carrier.send_follow_up")({"carrier": "UPS", "claim_id": claim_id}, idempotency_key="day-7") == {
        "claim_id": claim_id,
        "follow_ups": 1,
    }
    assert len(sandbox.inspect("carrier")["claims"][claim_id]["follow_up_log"]) == 1


def test_file_claim_survives_503_503_201(sandbox):
    sandbox.faults("carrier", script=[503, 503, 201])
    op("carrier.file_claim")(
        {"carrier": "UPS", "tracking_number": "1Z0000000000001200", "amount": 10}, idempotency_key="k"
    )
    assert len(sandbox.inspect("carrier")["claims"]) == 1
    assert sandbox.requests("carrier") == 3
