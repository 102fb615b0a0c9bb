"""Running counts per procedure and day (MinedCount): what the analysis reads instead of the cases.

Extraction folds each case in once (`Fold.add`), and a case that changed is
first folded out with its old row (`sign=-1`), so a pass costs what changed,
not what is stored. The analysis sums the days of its window in SQL (GROUP BY
attribute, outcome) and gets one row per attribute and outcome, whatever the
number of cases. The window's first day is counted whole in the table; the
cases of that day opened before the window's start are read and folded out
again (`window_counts`), so the figures are those of exactly the window.

Pairs are counted for predictable outcomes only (the ones a rule may predict).
Cases are grouped by their set of predictable outcomes, a handful per
procedure, so folding a case costs one counter update per attribute, not one
per attribute and outcome.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, islice

from django.db import connection, transaction
from django.db.models import Q

from reviews.insights.bulk import rows_insert
from reviews.models import MinedCase, MinedCount

# Outcomes a rule may predict (the others are reported elsewhere: hot spots, overrides, SLA).
PREDICTABLE = ("routed:", "decided:", "override:", "sla:breached", "held:")
KEY_LENGTH = 255  # MinedCount.attribute / outcome


@lru_cache(maxsize=4096)
def _day_from_text(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


def utc_day(value) -> dt.date:
    """The UTC day of a stored datetime as the database cursor returns it (SQLite: UTC, as text or naive)."""
    if isinstance(value, str):
        return _day_from_text(value)
    return value.astimezone(dt.UTC).date() if value.tzinfo else value.date()


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def window_start(*, now: dt.datetime, days: int) -> dt.datetime:
    """Midnight (UTC) `days` days before `now`'s day: mining windows are whole days."""
    return day_start(now.astimezone(dt.UTC).date() - dt.timedelta(days=days))


@dataclass
class Fold:
    """Count deltas of a set of cases, +1 per case folded in, -1 per case folded out.

    Cases are kept by bucket (procedure, day, predictable outcomes) and counted with one C-level Counter update
    over each bucket's chained attribute lists, not one update per case. `compact()` counts what is pending, so
    a fold that outlives many chunks (a full rebuild) holds buckets × vocabulary, not cases.
    """

    totals: Counter = field(default_factory=Counter)  # (procedure, day) → cases
    outcomes: dict = field(default_factory=lambda: defaultdict(list))  # (procedure, day, sign) → outcome lists
    groups: dict = field(default_factory=lambda: defaultdict(list))  # (procedure, day, combo, sign) → attribute lists
    counted_outcomes: dict = field(default_factory=lambda: defaultdict(Counter))  # same keys, counted
    counted_groups: dict = field(default_factory=lambda: defaultdict(Counter))

    def add(self, procedure_id: int, day: dt.date, attributes: list[str], outcomes: list[str], sign: int = 1) -> None:
        combo = tuple([o for o in outcomes if o.startswith(PREDICTABLE)])
        self.totals[(procedure_id, day)] += sign
        self.outcomes[(procedure_id, day, sign)].append(outcomes)
        self.groups[(procedure_id, day, combo, sign)].append(attributes)

    def compact(self) -> None:
        for pending, counted in ((self.outcomes, self.counted_outcomes), (self.groups, self.counted_groups)):
            for key, lists in pending.items():
                counted[key].update(chain.from_iterable(lists))
            pending.clear()

    def parts(self) -> tuple[dict, dict, dict]:
        """What was folded, as plain dicts (to send from a worker process): see `merge`."""
        self.compact()
        return (
            dict(self.totals),
            {key: dict(counter) for key, counter in self.counted_outcomes.items()},
            {key: dict(counter) for key, counter in self.counted_groups.items()},
        )

    def merge(self, parts: tuple[dict, dict, dict]) -> None:
        """Add another fold's `parts()` to this one."""
        totals, outcomes, groups = parts
        self.totals.update(totals)
        for key, counts in outcomes.items():
            self.counted_outcomes[key].update(counts)
        for key, counts in groups.items():
            self.counted_groups[key].update(counts)

    def deltas(self) -> dict[tuple[int, dt.date, str, str], int]:
        """(procedure, day, attribute, outcome) → change, zero changes left out."""
        self.compact()
        found: dict[tuple[int, dt.date, str, str], int] = defaultdict(int)
        for (procedure_id, day), n in self.totals.items():
            found[(procedure_id, day, "", "")] += n
        for (procedure_id, day, sign), counter in self.counted_outcomes.items():
            for outcome, n in counter.items():
                found[(procedure_id, day, "", outcome[:KEY_LENGTH])] += sign * n
        for (procedure_id, day, combo, sign), counter in self.counted_groups.items():
            combo = [outcome[:KEY_LENGTH] for outcome in combo]
            for attribute, n in counter.items():
                attribute = attribute[:KEY_LENGTH]
                n *= sign
                found[(procedure_id, day, attribute, "")] += n
                for outcome in combo:
                    found[(procedure_id, day, attribute, outcome)] += n
        return {key: n for key, n in found.items() if n}


def counts_apply(deltas: dict[tuple[int, dt.date, str, str], int], *, fresh: bool = False) -> None:
    """Add the deltas to the stored counts: INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n (executemany);
    `fresh` (the counts were emptied for a rebuild): a plain insert, COPY on PostgreSQL."""
    if not deltas:
        return
    table = connection.ops.quote_name(MinedCount._meta.db_table)
    adapt = connection.ops.adapt_datefield_value
    rows = [(p, adapt(day), a, o, n) for (p, day, a, o), n in deltas.items()]
    conflict = "" if fresh else f"(procedure_id, day, attribute, outcome) DO UPDATE SET n = {table}.n + excluded.n"
    with transaction.atomic():
        rows_insert(MinedCount._meta.db_table, ("procedure_id", "day", "attribute", "outcome", "n"), rows,
                    on_conflict=conflict)  # fmt: skip
        if fresh:
            return
        days = {(p, adapt(day)) for (p, day, _a, _o) in deltas}
        with connection.cursor() as cursor:
            for procedure_id, day in days:  # a count folded back to zero is no count
                cursor.execute(
                    f"DELETE FROM {table} WHERE procedure_id = %s AND day = %s AND n = 0", [procedure_id, day]
                )


def split(text: str | None) -> list[str]:
    return text.split("\n") if text else []


def mined_rows(*, procedure_id: int, start: dt.datetime, end: dt.datetime | None = None, newest_first: bool = False,
               where: Q | None = None) -> Iterator[tuple[int, dt.datetime, list[str], list[str]]]:  # fmt: skip
    """(case id, opened at, attributes, outcomes) of the procedure's mined cases opened in [start, end), streamed."""
    rows = MinedCase.objects.filter(procedure_id=procedure_id, opened_at__gte=start)
    if end is not None:
        rows = rows.filter(opened_at__lt=end)
    if where is not None:
        rows = rows.filter(where)
    order = ("-opened_at", "-case_id") if newest_first else ()
    query = rows.order_by(*order).values_list("case_id", "opened_at", "attributes", "outcomes").query
    sql, params = query.sql_with_params()
    with connection.chunked_cursor() as cursor:  # a server-side cursor on PostgreSQL: memory stays flat
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(2000):
            for case_id, opened_at, attributes, outcomes in batch:
                yield case_id, opened_at, split(attributes), split(outcomes)


@dataclass
class Counts:
    total: int = 0
    attributes: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    pairs: Counter = field(default_factory=Counter)


def window_counts(*, procedure_id: int, since: dt.datetime, min_support: int) -> Counts:
    """The procedure's cases opened since `since`: total, attributes and pairs seen ≥ min_support times, all outcomes.

    An attribute or pair below `min_support` may be left out: nothing is ever concluded from one.
    """
    first_day = utc_day(since)
    table = connection.ops.quote_name(MinedCount._meta.db_table)
    sums: dict[tuple[str, str], int] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT attribute, outcome, SUM(n) FROM {table} WHERE procedure_id = %s AND day >= %s "
            "GROUP BY attribute, outcome HAVING attribute = '' OR SUM(n) >= %s",
            [procedure_id, connection.ops.adapt_datefield_value(first_day), min_support],
        )
        for attribute, outcome, n in cursor.fetchall():
            sums[(attribute, outcome)] = int(n)
    before = Fold()  # the first day's cases opened before `since`
    for _id, _at, attributes, outcomes in mined_rows(procedure_id=procedure_id, start=day_start(first_day), end=since):
        before.add(procedure_id, first_day, attributes, outcomes)
    for (_p, _day, attribute, outcome), n in before.deltas().items():
        if (attribute, outcome) in sums:
            sums[(attribute, outcome)] -= n
    counts = Counts()
    for (attribute, outcome), n in sums.items():
        if n <= 0:
            continue
        if attribute and outcome:
            counts.pairs[(attribute, outcome)] = n
        elif attribute:
            counts.attributes[attribute] = n
        elif outcome:
            counts.outcomes[outcome] = n
        else:
            counts.total = n
    return counts


@dataclass
class Evidence:
    ids: list[int] = field(default_factory=list)  # newest first
    held: int = 0  # of these cases, how many stopped for a person
    breached: int = 0  # … and how many breached an SLA


EVIDENCE_ROWS = 20_000  # the newest rows of a window that evidence is drawn from


def evidence_collect(
    *, procedure_id: int, since: dt.datetime, wanted: Iterable[tuple[str, str, int]], cap: int,
    rows_read: int = EVIDENCE_ROWS,
) -> dict[tuple[str, str], Evidence]:  # fmt: skip
    """Case ids (newest first, at most `cap`) for each (attribute or "", outcome, how many there are).

    Reads the window's rows newest first and stops when every list is complete, or after `rows_read` rows: the
    evidence of a pattern is its newest cases (the figures count all of them), so the time this takes does not
    grow with the number of cases. Per row, a set intersection finds the wanted attributes of each of its
    outcomes, so the cost is per row, not per rule.
    """
    need = {(attribute, outcome): min(cap, count) for attribute, outcome, count in wanted}
    found = {key: Evidence() for key in need}
    attributes_of: dict[str, set[str]] = defaultdict(set)  # outcome → the attributes still wanted with it
    bare: set[str] = set()  # outcomes still wanted without an attribute
    for (attribute, outcome), n in need.items():
        if n > 0:
            (attributes_of[outcome].add(attribute) if attribute else bare.add(outcome))
    remaining = sum(1 for n in need.values() if n > 0)
    if not remaining:
        return found
    rows = mined_rows(procedure_id=procedure_id, start=since, newest_first=True)
    for case_id, _opened_at, attributes, outcomes in islice(rows, rows_read):
        held = breached = None
        for outcome in outcomes:
            keys = [("", outcome)] if outcome in bare else []
            open_attributes = attributes_of.get(outcome)
            if open_attributes:
                keys += [(attribute, outcome) for attribute in open_attributes.intersection(attributes)]
            for key in keys:
                if held is None:
                    held = any(o.startswith("held:") for o in outcomes)
                    breached = "sla:breached" in outcomes
                evidence = found[key]
                evidence.ids.append(case_id)
                evidence.held += held
                evidence.breached += breached
                if len(evidence.ids) >= need[key]:
                    remaining -= 1
                    if key[0]:
                        open_attributes.discard(key[0])
                    else:
                        bare.discard(outcome)
        if not remaining:
            break
    rows.close()
    return found
