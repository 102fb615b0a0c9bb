"""A pass's two writes as plain SQL: its trace rows' INSERT and the run's UPDATE.

`cases.run_pass.Pass.save` writes on every pass that changed anything. Through
the ORM (`bulk_create`, `save(update_fields=...)`) building those two statements
cost about three times what the database took to run them. These are the same
statements the ORM sends: the same columns, each value prepared by its own field
(`pre_save` for the timestamps, `get_db_prep_save` for JSON and dates), the new
rows' ids read back with RETURNING (SQLite 3.35+ and PostgreSQL), and the
objects marked as saved. No model signal is sent (none is connected to runs or
trace rows).
"""

from __future__ import annotations

from functools import cache

from django.db import DatabaseError, connections
from django.db.models import Field, Model

from cases.models import Run, StepExecution


@cache
def _insert_fields() -> tuple[Field, ...]:
    return tuple(f for f in StepExecution._meta.concrete_fields if not f.primary_key)


def executions_insert(rows: list[StepExecution], *, using: str = "default") -> None:
    """INSERT these new trace rows (in as few statements as the database's parameter limit allows); set their ids."""
    if not rows:
        return
    connection = connections[using]
    fields = _insert_fields()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_statement = max(1, (connection.features.max_query_params or 10_000) // len(fields))
    for start in range(0, len(rows), per_statement):
        batch = rows[start : start + per_statement]
        sql = (
            f"INSERT INTO {quote(StepExecution._meta.db_table)} ({columns}) VALUES {', '.join([one_row] * len(batch))}"
            f" RETURNING {quote(StepExecution._meta.pk.column)}, {quote('sequence')}"
        )
        params = [f.get_db_prep_save(f.pre_save(row, True), connection) for row in batch for f in fields]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = {sequence: pk for pk, sequence in cursor.fetchall()}
        for row in batch:
            _saved(row, ids[row.sequence], using)


def run_update(run: Run, field_names: list[str], *, using: str = "default") -> None:
    """UPDATE these fields of the run, as `run.save(update_fields=field_names)` would (auto_now included)."""
    connection = connections[using]
    fields = [Run._meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    params = [f.get_db_prep_save(f.pre_save(run, False), connection) for f in fields]
    where = f"{quote(Run._meta.pk.column)} = %s"
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {quote(Run._meta.db_table)} SET {assignments} WHERE {where}", [*params, run.pk])
        if cursor.rowcount == 0:
            raise DatabaseError(f"run {run.pk} is gone: its UPDATE changed no row")


def _saved(obj: Model, pk: int, using: str) -> None:
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = using
