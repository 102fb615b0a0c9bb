"""Bulk writes of mined rows: COPY on PostgreSQL when the table was just emptied, executemany otherwise.

A full rebuild writes one row per case: on PostgreSQL, COPY streams them in one
statement (psycopg's ClientCursor otherwise formats every row's parameters in
Python and the server plans and commits each one); on SQLite, one executemany
inside one transaction (outside a transaction every row would be a commit).
"""

from __future__ import annotations

from collections.abc import Sequence

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
