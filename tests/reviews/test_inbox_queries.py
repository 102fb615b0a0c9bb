"""The inbox costs the same number of queries for 10 items as for 10,000."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import ReviewItem
from reviews import selectors
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
    """Statements that read data (not the transaction and planner settings around PostgreSQL's queue reads)."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "SELECT set_config")
    return len([q for q in ctx.captured_queries if not q["sql"].startswith(control)])


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
    # Page 2 is empty with 10 items, so it skips the (empty) rows and SLA-clock lookups: two queries fewer.
    assert {u: n for u, n in small.items() if u != "/inbox/?page=2"} == {
        u: n for u, n in large.items() if u != "/inbox/?page=2"
    }
    assert large["/inbox/?page=2"] == small["/inbox/?page=2"] + 2 == large["/inbox/"]
    # session, user, groups; page ids, rows, SLA clocks; sidebar counts (the page's total among them), facets,
    # procedure names
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


def _item(run, *, due_in_hours: float | None, age_hours: float, status=ReviewItem.Status.OPEN) -> ReviewItem:
    now = timezone.now()
    item = ReviewItem.objects.create(
        run=run,
        case_id=run.case_id,
        step_key="decide",
        reason=ReviewItem.Reason.JUDGEMENT,
        summary="Needs a person.",
        status=status,
        due_at=now + dt.timedelta(hours=due_in_hours) if due_in_hours is not None else None,
    )
    ReviewItem.objects.filter(id=item.id).update(created_at=now - dt.timedelta(hours=age_hours))
    return item


def test_the_queue_lists_soonest_due_first_then_the_oldest_without_a_due_time(client, reviewer):
    client.force_login(reviewer)
    billing, claims = (RunFactory(version=ProcedureVersionFactory(procedure=ProcedureFactory())) for _ in range(2))
    later = _item(billing, due_in_hours=5, age_hours=1)
    overdue = _item(claims, due_in_hours=-2, age_hours=3)
    newer_undated = _item(billing, due_in_hours=None, age_hours=1)
    older_undated = _item(claims, due_in_hours=None, age_hours=9)
    soon = _item(billing, due_in_hours=1, age_hours=2)
    _item(claims, due_in_hours=-9, age_hours=20, status=ReviewItem.Status.DECIDED)  # not in the open queue
    page = client.get("/inbox/").content.decode()
    shown = [int(pk) for pk in re.findall(r'<tr class="queue-row[^"]*"[^>]*data-item="(\d+)"', page)]
    assert shown == [overdue.id, soon.id, later.id, older_undated.id, newer_undated.id]
    assert "<strong>5</strong> items" in page
    counts = selectors.inbox_counts(user=reviewer, now=timezone.now())
    assert {pk: int(n) for pk, _, n in counts.by_procedure} == {
        billing.version.procedure_id: 3,
        claims.version.procedure_id: 2,
    }
    assert int(counts.overdue) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner settings exist on PostgreSQL only")
def test_the_queue_read_leaves_the_planner_settings_of_an_enclosing_transaction_as_they_were(reviewer):
    fill(20, claimed_by=reviewer)
    with transaction.atomic():
        page = selectors.inbox_page(user=reviewer, filters=selectors.InboxFilters(), now=timezone.now())
        selectors.inbox_counts(user=reviewer, now=timezone.now())
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('enable_sort'), current_setting('enable_seqscan')")
            assert cursor.fetchone() == ("on", "on")
    assert len(page.rows) == 20


def test_queue_rows_escape_what_customers_and_sops_wrote(client, reviewer):
    client.force_login(reviewer)
    run = RunFactory(case__subject="<script>alert('hi')</script>", case__account_name="Fish & Chips <Ltd>")
    item = _item(run, due_in_hours=2, age_hours=1)
    ReviewItem.objects.filter(id=item.id).update(summary='Refund "now" or <b>else</b>')
    page = client.get("/inbox/").content.decode()
    assert "&lt;script&gt;alert(&#x27;hi&#x27;)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "Fish &amp; Chips &lt;Ltd&gt;" in page
    assert "Refund &quot;now&quot; or &lt;b&gt;else&lt;/b&gt;" in page
