"""The open queue read in inbox order straight from its index (`review_queue_order_idx`), never sorted whole.

The inbox shows the first page of the open queue, soonest due first, then oldest.
The index on (status, due_at, created_at, id) holds the queue in exactly that
order, so the first page is its first 51 entries, whatever the queue's length.

PostgreSQL's planner takes that path only when it knows the queue is long. Right
after many items arrive (a backlog imported, an outage's holds), before autovacuum
has analyzed the table, it believes the queue holds a handful of items and instead
reads every open item and sorts them all: at 10,000 items that is most of a page
view, twice (the page and the facet window). So on PostgreSQL the plain open queue
is read with sorting disabled for that one statement (`SET LOCAL` in its own short
transaction), which leaves the ordered index scan as the only cheap plan. Filtered
views keep the planner's own choice: a rare filter is cheaper sorted than found by
walking the queue in order. SQLite's planner already walks the index.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connections, transaction
from django.db.models import F, QuerySet

QUEUE_ORDER = (F("due_at").asc(nulls_last=True), "created_at", "id")  # served by review_queue_order_idx


# A page of the queue is a few dozen rows found by index, and a bounded count stops after COUNT_CAP + 1 index
# entries: never a sort of the queue, a scan of a table, or a bitmap of every open item.
SETTINGS = ("enable_sort", "enable_seqscan", "enable_bitmapscan", "enable_hashjoin", "enable_mergejoin")
INDEX_PLAN = "SELECT " + ", ".join(f"set_config('{name}', 'off', true)" for name in SETTINGS)


@contextlib.contextmanager
def read_in_index_order(alias: str) -> Iterator[None]:
    """Statements in the block read the queue through its indexes (PostgreSQL: one transaction, planner told so)."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        yield
        return
    nested = connection.in_atomic_block  # SET LOCAL outlives a savepoint: undo it before the caller's statements
    with transaction.atomic(using=alias):
        with connection.cursor() as cursor:
            cursor.execute(INDEX_PLAN)
        try:
            yield
        finally:
            if nested and not connection.needs_rollback:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT set_config(name, reset_val, true) FROM pg_settings WHERE name = ANY(%s)",
                        [list(SETTINGS)],
                    )


def queue_ids(items: QuerySet, *, start: int, stop: int) -> list[int]:
    """Ids of `items[start:stop]` in queue order (inside `read_in_index_order` for the plain open queue)."""
    return list(items.order_by(*QUEUE_ORDER).values_list("id", flat=True)[start:stop])
