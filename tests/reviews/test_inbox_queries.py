"""The inbox costs the same number of queries for 10 items as for 10,000."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import ReviewItem
from tests.factories import ProcedureFactory, ProcedureVersionFactory, RunFactory, UserFactory

pytestmark = pytest.mark.django_db

REASONS = [
    ReviewItem.Reason.MISSING_FACT,
    ReviewItem.Reason.JUDGEMENT,
    ReviewItem.Reason.APPROVAL,
    ReviewItem.Reason.ACTION_FAILED,
]


def fill(count: int, *, claimed_by) -> None:
    """`count` open items spread over 3 procedures, 4 reasons, some claimed, some with an SLA and a proposal."""
    runs = [RunFactory(version=ProcedureVersionFactory(procedure=ProcedureFactory())) for _ in range(3)]
    now = timezone.now()
    ReviewItem.objects.bulk_create(
        [
            ReviewItem(
                run=runs[i % 3],
                case_id=runs[i % 3].case_id,
                step_key=f"step_{i % 5}",
                reason=REASONS[i % 4],
                summary="Something needs a person.",
                allowed_outcomes=[{"key": "stop", "label": "Stop"}],
                required_role="Claims managers" if REASONS[i % 4] == ReviewItem.Reason.APPROVAL else "",
                proposal={"agent": {"outcome": "stop", "confidence": 0.6, "source": "model"}} if i % 2 else {},
                assignee=claimed_by if i % 7 == 0 else None,
                due_at=now + dt.timedelta(hours=(i % 48) - 6) if i % 3 else None,
            )
            for i in range(count)
        ],
        batch_size=2000,
    )


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def seconds_for(client, url: str) -> float:
    started = time.perf_counter()
    client.get(url)
    return time.perf_counter() - started


URLS = ["/inbox/", "/inbox/?page=2", "/inbox/?assignee=me&due=24h", "/inbox/?status=all&kind=approvals&age=lt1d"]


def test_inbox_query_count_does_not_grow_with_the_queue(client, reviewer, capsys):
    claimant = UserFactory(username="rita")
    client.force_login(reviewer)
    fill(10, claimed_by=claimant)
    small = {url: queries_for(client, url) for url in URLS}
    fill(10_000 - 10, claimed_by=claimant)
    assert ReviewItem.objects.count() == 10_000
    large = {url: queries_for(client, url) for url in URLS}
    # Page 2 is empty with 10 items, so it skips the (empty) SLA-clock lookup: one query fewer.
    assert {u: n for u, n in small.items() if u != "/inbox/?page=2"} == {
        u: n for u, n in large.items() if u != "/inbox/?page=2"
    }
    assert large["/inbox/?page=2"] == small["/inbox/?page=2"] + 1 == large["/inbox/"]
    # session, user, groups; rows, bounded total, SLA clocks; all sidebar counts, procedure facets, procedure names
    assert large["/inbox/"] <= 9
    with capsys.disabled():
        print(f"\ninbox queries, 10 items vs 10,000 items: {small} / {large}")
        print(f"inbox page with 10,000 open items: {seconds_for(client, '/inbox/') * 1000:.0f} ms")


def test_past_500_the_counts_read_500_plus_and_small_queues_stay_exact(client, reviewer):
    client.force_login(reviewer)
    fill(12, claimed_by=reviewer)
    page = client.get("/inbox/").content.decode()
    assert "<strong>12</strong> items" in page and "Inbox (12)" in page
    assert '>Mine <span class="count">2</span>' in page  # items 0 and 7 are claimed
    fill(600, claimed_by=reviewer)
    page = client.get("/inbox/").content.decode()
    assert "<strong>500+</strong> items · showing 1–50" in page and "Inbox (500+)" in page
    assert '>Mine <span class="count">88</span>' in page  # 2 + 86 of the 600: exact below the cap
    assert 'title="among the first 500 open items">' in page  # facets by procedure are lower bounds
    second = client.get("/inbox/?page=2").content.decode()
    assert "showing 51–100" in second and "Older" in second
