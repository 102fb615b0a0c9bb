"""Bulk writes of mined rows: COPY on PostgreSQL when the table was just emptied, executemany otherwise.

A full rebuild writes one row per case: on PostgreSQL, COPY streams them in one
statement (psycopg's ClientCursor otherwise formats every row's parameters in
Python and the server plans and commits each one); on SQLite, one executemany
inside one transaction (outside a transaction every row would be a commit).
`BatchWriter` lets the database store one batch while the next is prepared.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import connection, transaction


def rows_insert(table: str, columns: Sequence[str], rows: list[tuple], *, on_conflict: str = "") -> None:
    """Insert `rows` into `table`; `on_conflict` (e.g. "(a, b) DO UPDATE SET …") makes it an upsert."""
    if not rows:
        return
    quoted = connection.ops.quote_name(table)
    names = ", ".join(columns)
    with transaction.atomic(), connection.cursor() as cursor:
        if not on_conflict and connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {quoted} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        conflict = f" ON CONFLICT {on_conflict}" if on_conflict else ""
        cursor.executemany(f"INSERT INTO {quoted} ({names}) VALUES ({marks}){conflict}", rows)


class BatchWriter:
    """Writes batches with `write(rows)`: inline, or (`background`) on a second connection in one thread, so the
    database stores one batch while the caller extracts the next.

    At most one batch is in flight (memory stays bounded) and a write's error is raised at the next `put` or on
    leaving. Only for writes that need not be in the caller's transaction: the second connection sees committed
    rows only, so callers inside a transaction block (`connection.in_atomic_block`) must write inline.
    """

    def __init__(self, write, *, background: bool):
        self._write = write
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mined-rows") if background else None
        self._pending: Future | None = None

    def put(self, rows: list[tuple]) -> None:
        if self._pool is None:
            self._write(rows)
            return
        self._wait()
        self._pending = self._pool.submit(self._write, rows)

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is None:
            return
        try:
            self._wait()
        finally:
            self._pool.submit(_close_connection).result()
            self._pool.shutdown()


def _close_connection() -> None:
    connection.close()  # `connection` is per thread: this closes the calling thread's own
