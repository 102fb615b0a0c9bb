"""Freight claims, every row of the table: Zendesk claim ticket → cluster → carrier portal, time moved by the test."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.models import Case, ReviewItem, Run
from cases.services import hold_resolve
from cases.timers import timers_sweep
from tests.cases.e2e import (
    API_TOKEN,
    CLAIM_TRIGGER,
    ZENDESK_SECRET,
    post_event,
    post_zendesk,
    publish,
    run_settled,
    ticket_payload,
)
from tests.support.processes import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SMALL = {
    "tracking_number": "1Z0000000000001200",
    "carrier": "UPS",
    "ship_date": "2026-11-02",
    "declared_value": "1200.00",
    "claim_amount": "1200.00",
}
LARGE = {
    "tracking_number": "1Z0000000000008400",
    "carrier": "UPS",
    "ship_date": "2026-11-03",
    "declared_value": "8400.00",
    "claim_amount": "8400.00",
}
PHOTOS = [
    {"name": "crushed-1.jpg", "content_type": "image/jpeg", "url": "https://files.example/crushed-1.jpg"},
    {"name": "crushed-2.jpg", "content_type": "image/jpeg", "url": "https://files.example/crushed-2.jpg"},
]
CASE = {"source": "zendesk", "external_id": "5"}


@pytest.fixture
def claims(transactional_db, sandbox, settings):
    settings.WEBHOOK_SECRETS = {**settings.WEBHOOK_SECRETS, "zendesk": ZENDESK_SECRET}
    settings.ENGINE = {**settings.ENGINE, "api_events_token": API_TOKEN}
    return publish("freight_claim.md", name="Freight claims", trigger=CLAIM_TRIGGER)


def submit(client, fields: dict, attachments: list | None = None) -> Run:
    payload = ticket_payload(
        5,
        subject="Damaged pallet",
        description="Pallet arrived crushed.",
        email="alice@acme.example",
        name="Alice Adams",
        org="Acme Corp",
        tags="claim",
        group="Claims",
        fields=fields,
        attachments=attachments or [],
    )
    post_zendesk(client, payload, invocation="claim-1")
    return run_settled(CASE)


def claims_filed(sandbox) -> list[dict]:
    return list(sandbox.inspect("carrier")["claims"].values())


def replies(sandbox) -> list[dict]:
    return [c for c in sandbox.inspect("zendesk")["tickets"][5]["comments"][1:] if c["public"]]


def follow_ups(sandbox) -> int:
    (claim,) = claims_filed(sandbox)
    return len(claim["follow_up_log"])


def filed_at(run: Run) -> dt.datetime:
    return run.executions.get(step_key__startswith="file").finished_at


def moved(run: Run, days: int) -> dt.datetime:
    return filed_at(run) + dt.timedelta(days=days, minutes=1)


def settled_again(run: Run, sequence_after: int) -> Run:
    """Wait until the run has moved past `sequence_after` and stopped again."""

    def ready():
        fresh = Run.objects.get(id=run.id)
        last = fresh.executions.order_by("-sequence").first()
        moved_on = last.sequence > sequence_after and fresh.status in ("waiting", "held", "completed")
        if moved_on and not fresh.executions.filter(status="started").exists():
            return fresh
        return None

    return wait_for(ready, timeout=45, interval=0.1, what=f"run {run.id} to move on")


def last_sequence(run: Run) -> int:
    return run.executions.order_by("-sequence").first().sequence


def test_small_claim_that_matches_is_filed_at_once(claims, sandbox, qcluster, client):
    run = submit(client, SMALL)
    (claim,) = claims_filed(sandbox)
    assert (claim["tracking_number"], claim["amount"]) == (SMALL["tracking_number"], 1200.0)
    assert not ReviewItem.objects.filter(reason="approval").exists()
    assert run.status == Run.Status.WAITING  # for the carrier's settlement


def test_large_claim_with_two_photos_waits_for_a_claims_manager_then_is_filed_with_both(
    claims, sandbox, qcluster, client, reviewer
):
    run = submit(client, LARGE, PHOTOS)
    assert run.status == Run.Status.HELD
    item = ReviewItem.objects.get(run=run)
    assert item.reason == "approval" and "claims manager" in item.required_role.lower()
    assert claims_filed(sandbox) == []
    before = last_sequence(run)
    hold_resolve(item=item, outcome="approve", user=reviewer)
    settled_again(run, before)
    (claim,) = claims_filed(sandbox)
    assert claim["amount"] == 8400.0
    assert sorted(claim["photos"]) == [p["url"] for p in PHOTOS]


def test_large_claim_without_a_photo_asks_for_one_and_files_nothing(claims, sandbox, qcluster, client):
    run = submit(client, LARGE)
    assert run.status == Run.Status.WAITING
    (reply,) = replies(sandbox)
    assert "photo" in reply["body"].lower()
    assert claims_filed(sandbox) == []
    assert not ReviewItem.objects.filter(reason="approval").exists()


def test_declared_value_that_differs_asks_the_claimant_to_correct_it(claims, sandbox, qcluster, client):
    run = submit(client, {**SMALL, "declared_value": "1500.00", "claim_amount": "1500.00"})
    assert run.status == Run.Status.WAITING
    (reply,) = replies(sandbox)
    assert "correct" in reply["body"].lower()
    assert claims_filed(sandbox) == []


def test_silent_carrier_gets_follow_ups_at_7_14_and_30_days_then_a_hand_off(claims, sandbox, qcluster, client):
    run = submit(client, SMALL)
    assert follow_ups(sandbox) == 0
    for day, expected in ((7, 1), (14, 2), (30, 3)):
        assert timers_sweep(now=moved(run, day - 1)) == [], f"nothing is due before day {day}"
        before = last_sequence(Run.objects.get(id=run.id))
        assert len(timers_sweep(now=moved(run, day))) == 1
        run = settled_again(run, before)
        assert follow_ups(sandbox) == expected, f"day {day}"
        assert timers_sweep(now=moved(run, day)) == []  # each follow-up exactly once
    assert (run.status, run.outcome) == (Run.Status.COMPLETED, "handed_off")
    handoff = ReviewItem.objects.get(run=run, status="open")
    assert "claims manager" in handoff.required_role.lower()
    assert timers_sweep(now=moved(run, 90)) == []
    assert follow_ups(sandbox) == 3


def test_carrier_settling_on_day_10_stops_the_follow_ups_and_closes_the_claim(claims, sandbox, qcluster, client):
    run = submit(client, SMALL)
    before = last_sequence(run)
    timers_sweep(now=moved(run, 7))
    run = settled_again(run, before)
    assert follow_ups(sandbox) == 1
    (claim,) = claims_filed(sandbox)
    sandbox.settle(claim["claim_id"], 1000.0)
    before = last_sequence(run)
    post_event(
        client,
        {"event": "claim.settled", "case": CASE, "data": {"claim_id": claim["claim_id"], "settled_amount": 1000.0}},
        key="settled-1",
    )
    run = settled_again(run, before)
    assert (run.status, run.outcome) == (Run.Status.COMPLETED, "closed"), list(
        run.executions.values("step_key", "status", "decision")
    )
    assert Case.objects.get(**CASE).status == Case.Status.CLOSED
    assert "1000" in str(run.state) or "1000" in str(list(run.executions.values_list("result", flat=True)))
    for day in (14, 30, 60):
        assert timers_sweep(now=moved(run, day)) == []
    assert follow_ups(sandbox) == 1
