"""Counts that stop at COUNT_CAP: "500+" instead of a scan of the whole queue on every page view.

`tallies({name: queryset})` counts each queryset's rows up to COUNT_CAP + 1 in one
statement of scalar subqueries, `(SELECT COUNT(*) FROM (... LIMIT 501))`, so each
reads at most 501 entries of an index whatever the queue's size.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet

COUNT_CAP = 500  # counts stop here and read "500+"


@dataclass(frozen=True)
class Tally:
    """A count that stops at COUNT_CAP: `capped` when there are more, and then it reads "500+"."""

    value: int
    capped: bool = False

    def __str__(self) -> str:
        return f"{self.value:,}+" if self.capped else str(self.value)

    def __int__(self) -> int:
        return self.value

    def __float__(self) -> float:  # the `pluralize` filter
        return float(self.value)

    def __bool__(self) -> bool:
        return self.value > 0

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Tally):
            return (self.value, self.capped) == (other.value, other.capped)
        return not self.capped and self.value == other

    def __hash__(self) -> int:
        return hash((self.value, self.capped))


def tally(count: int) -> Tally:
    """`count` rows were read with a limit of COUNT_CAP + 1: at most COUNT_CAP, capped past it."""
    return Tally(min(count, COUNT_CAP), capped=count > COUNT_CAP)


def tallies(querysets: dict[str, QuerySet]) -> dict[str, Tally]:
    """Each queryset's row count up to COUNT_CAP, all in one statement (each reads at most COUNT_CAP + 1 rows)."""
    if not querysets:
        return {}
    parts, params = [], []
    alias = next(iter(querysets.values())).db
    for n, queryset in enumerate(querysets.values()):
        limited = queryset.order_by().values("pk")[: COUNT_CAP + 1]
        sql, sql_params = limited.query.get_compiler(using=alias).as_sql()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) bounded_{n})")
        params.extend(sql_params)
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {name: tally(count) for name, count in zip(querysets, row, strict=True)}
