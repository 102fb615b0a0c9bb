"""A one-row queryset compiled once per thread and database, then executed with a new key.

The engine's locking read (`cases.run_pass.locked_run`) runs on every pass. Django
compiles a queryset's SQL anew each time, and for a `select_for_update` with
`select_related` and `only` that compilation costs about ten times the query
itself on SQLite. `PreparedGet` compiles the queryset once (with a stand-in key),
keeps the SQL and the compiler's column map, and afterwards only executes the
SQL and builds the objects: the same SQL through the same cursor (execute
wrappers, query logging and `FOR UPDATE` included), the same converters, the same
instances with the same deferred fields and related objects that the queryset
would give.

Compiled per thread and database alias: a compiler holds its connection, and
each thread has its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.transaction import TransactionManagementError

STAND_IN = -7_654_321  # a key no row has, to find the key's place among the compiled parameters


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    key_at: int
    compiler: Any
    model: type[Model]
    attnames: list[str]
    start: int
    end: int
    populators: list
    for_update: bool


class PreparedGet:
    """`build(key)` → a queryset that matches at most one row; `get(key)` runs its SQL compiled once."""

    def __init__(self, build: Callable[[Any], QuerySet]):
        self._build = build
        self._local = threading.local()

    def get(self, key: Any, *, using: str = "default") -> Model:
        """The row's object, as `build(key).get()` would return it; the model's DoesNotExist when there is none."""
        compiled = self._compiled(using)
        if compiled.for_update and connections[using].get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = list(compiled.params)
        params[compiled.key_at] = key
        with connections[using].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if not rows:
            raise compiled.model.DoesNotExist(f"{compiled.model.__name__} matching {key!r} does not exist.")
        row = next(iter(compiled.compiler.results_iter(results=[rows])))
        obj = compiled.model.from_db(using, compiled.attnames, row[compiled.start : compiled.end])
        for populator in compiled.populators:
            populator.populate(row, obj)
        return obj

    def _compiled(self, using: str) -> _Compiled:
        cache = self._local.__dict__.setdefault("by_alias", {})
        compiled = cache.get(using)
        if compiled is None:
            compiled = cache[using] = self._compile(using)
        return compiled

    def _compile(self, using: str) -> _Compiled:
        queryset = self._build(STAND_IN).using(using).order_by()
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        if list(params).count(STAND_IN) != 1:
            raise ValueError("PreparedGet: the queryset must use its key exactly once as a query parameter")
        klass_info = compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return _Compiled(
            sql=sql,
            params=tuple(params),
            key_at=list(params).index(STAND_IN),
            compiler=compiler,
            model=klass_info["model"],
            attnames=[column[0].target.attname for column in compiler.select[start:end]],
            start=start,
            end=end,
            populators=get_related_populators(klass_info, compiler.select, using),
            for_update=queryset.query.select_for_update,
        )
