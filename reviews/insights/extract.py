"""A case → the attributes it arrived with and what happened to it, stored as MinedCase rows.

Attributes (what a rule may start from): `tag:`, `source:`, `group:` (the queue
it arrived in), `priority:`, `tier:` (plan), `org:` (requester organization),
`field:name=value` (short custom fields), `word:` and `phrase:` (subject words
and word pairs, description words). Outcomes (what a rule predicts):
`held:step`, `decided:step=outcome` (a reviewer's choice), `override:step` (a
reviewer chose differently from the agent's proposal), `end:outcome`,
`routed:queue` (the case ended in another queue than it arrived in — a
reassignment), `sla:breached`, `unattended`. Also kept per case, for the hot
spots, override groups and SLA concentrations: `overrode:step⇥reason⇥proposed⇥chosen`,
`clock:any` and `clock:policy=…`, `clock:queue=…`, `clock:hour=…` (site time),
`clock:step=…` for its SLA clocks, `breach:…` the same for the breached ones.

Extraction is incremental: only cases whose case row or live run changed after
the cursor are read, 5,000 case ids at a time, with plain SQL the ORM writes
(rows come back as tuples, no model instances or field converters; versions,
token sums, clock hours are resolved by the database or once per pass). Each
chunk is written back with one upsert, and folded into the running counts
(`reviews.insights.counts`): the changed cases' old rows out, their new rows in.
A full rebuild (the first pass) inserts instead (COPY on PostgreSQL), on a
second connection while the next chunk is read, and may be spread over worker
processes (`reviews.insights.parallel`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from itertools import pairwise

from django.db import connection, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, FloatField, Q, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, ExtractHour, Substr

from cases import clock
from cases.models import Case, ReviewItem, Run, StepExecution
from cases.sla.models import SlaClock
from procedures.models import ProcedureVersion
from reviews.insights.bulk import BatchWriter, rows_insert
from reviews.insights.counts import KEY_LENGTH, Fold, counts_apply, split, utc_day
from reviews.models import MinedCase

CHUNK = 5000
_WORD = re.compile(r"[a-z][a-z0-9'-]{3,}")
STOPWORDS = frozenset(
    ["about", "above", "after", "again", "against", "also", "because", "been", "before", "being", "below", "between", "both", "cannot", "could", "does", "doing", "down", "during", "each", "from", "further", "have", "having", "here", "hers", "herself", "himself", "into", "itself", "just", "more", "most", "myself", "once", "only", "other", "ours", "over", "same", "should", "some", "such", "than", "that", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "under", "until", "very", "what", "when", "where", "which", "while", "whom", "will", "with", "would", "your", "yours", "yourself", "please", "thanks", "thank", "hello", "dear", "regards", "ticket", "customer", "issue", "problem", "help"]
)  # fmt: skip
MAX_WORDS = 25


def case_attributes(source, subject, description, account_name, facts, priority) -> list[str]:
    """A case's attributes, sorted, from its columns (`facts` decoded, `description` may be its opening)."""
    facts = facts or {}
    attributes = {f"source:{source}"}
    for tag in facts.get("tags") or []:
        attributes.add(f"tag:{str(tag).lower()}")
    if facts.get("group"):
        attributes.add(f"group:{facts['group']}")
    if priority:
        attributes.add(f"priority:{priority}")
    if facts.get("tier"):
        attributes.add(f"tier:{str(facts['tier']).lower()}")
    if account_name:
        attributes.add(f"org:{account_name}")
    for name, value in (facts.get("fields") or {}).items():
        if isinstance(value, (str, int, bool)) and len(str(value)) <= 40:
            attributes.add(f"field:{name}={value}")
    subject_words = [w for w in _WORD.findall((subject or "").lower()) if w not in STOPWORDS]
    words = list(dict.fromkeys(subject_words))
    words += [w for w in _WORD.findall((description or "")[:400].lower()) if w not in STOPWORDS]
    attributes.update(["word:" + word for word in list(dict.fromkeys(words))[:MAX_WORDS]])
    attributes.update([f"phrase:{first} {second}" for first, second in pairwise(subject_words)])
    return _bounded_sorted(attributes)


def _bounded_sorted(keys: set[str]) -> list[str]:
    """The keys sorted, each cut to what MinedCount stores (rarely needed: checked at C speed first)."""
    if max(map(len, keys), default=0) > KEY_LENGTH:
        keys = {key[:KEY_LENGTH] for key in keys}
    return sorted(keys)


def _rows(queryset) -> list[tuple]:
    """The queryset's rows as the database returns them: the ORM writes the SQL, nothing converts the values."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _json(value) -> dict:
    if isinstance(value, str):
        return json.loads(value)
    return value or {}


def _tokens(name: str):
    """A step's `usage` token count, in SQL (a number, 0 when absent), so usage is summed per case by the database."""
    return Coalesce(Cast(KT(f"usage__{name}"), FloatField()), 0.0)


def _changed_runs(since: dt.datetime | None) -> Iterator[tuple[int, int]]:
    runs = Run.objects.filter(mode=Run.Mode.LIVE)
    if since is not None:
        runs = runs.filter(Q(updated_at__gt=since) | Q(case__updated_at__gt=since))
    query = runs.order_by("case_id").values_list("case_id", "version__procedure_id").distinct()
    sql, params = query.query.sql_with_params()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(CHUNK):
            yield from batch


def chunks(since: dt.datetime | None) -> Iterator[list[tuple[int, int]]]:
    """The (case, procedure) pairs changed after `since` (all if None), CHUNK at a time, in case id order."""
    chunk: list[tuple[int, int]] = []
    for pair in _changed_runs(since):
        chunk.append(pair)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def version_procedures() -> dict[int, int]:
    """Version id → procedure id, read once per pass (the reads of a chunk do not join versions)."""
    return dict(ProcedureVersion.objects.values_list("id", "procedure_id"))


def rebuild_chunk(
    chunk: list[tuple[int, int]], touched: set[int], *, procedures: dict[int, int], fold: Fold, writer: BatchWriter
) -> int:
    """Mine one chunk of a full rebuild (the mined rows and counts were emptied): rows to `writer`, counts to `fold`."""
    return _extract_chunk(chunk, touched, procedures=procedures, rebuild=_Rebuild(fold, writer))


def insert_fresh(rows: list[tuple]) -> None:
    """A rebuild's rows (the table was emptied): a plain insert, COPY on PostgreSQL."""
    rows_insert(MinedCase._meta.db_table, _COLUMNS, rows)


def cases_extract(*, since: dt.datetime | None, fresh: bool = False) -> tuple[int, set[int]]:
    """Mine every (case, procedure) whose case or live run changed after `since`: (how many, procedures touched).

    Incremental (`fresh` false): each chunk's rows and its count changes (old rows out, new rows in) are written
    in one transaction. `fresh`: the mined rows and counts were just emptied (a full pass; the caller keeps the
    cursor empty until it ends, so an interrupted rebuild starts over): rows are written chunk by chunk (outside
    a transaction block, by a second connection while the next chunk is extracted) and the counts summed in
    memory (bounded by days × vocabulary, not by cases) and written once at the end, instead of updating the same
    count rows once per chunk.
    """
    total, touched = 0, set()
    rebuild = _Rebuild(Fold(), BatchWriter(insert_fresh, background=not connection.in_atomic_block)) if fresh else None
    procedures = version_procedures()
    with rebuild.writer if rebuild else nullcontext():
        for chunk in chunks(since):
            total += _extract_chunk(chunk, touched, procedures=procedures, rebuild=rebuild)
    if rebuild:
        counts_apply(rebuild.fold.deltas(), fresh=True)
    return total, touched


@dataclass
class _Rebuild:
    """A full pass's state across chunks: the count changes so far, and the writer of the mined rows (outside a
    transaction, on a second connection while the next chunk is extracted)."""

    fold: Fold
    writer: BatchWriter


def _extract_chunk(
    pairs: list[tuple[int, int]], touched: set[int], *, procedures: dict[int, int], rebuild: _Rebuild | None
) -> int:
    """Mine one chunk of (case, procedure) pairs; `procedures` maps version ids to their procedure's."""
    case_ids = sorted({case_id for case_id, _ in pairs})
    wanted = set(case_ids)
    lo, hi = case_ids[0], case_ids[-1]
    dense = hi - lo <= 4 * len(case_ids)

    def scope(field: str) -> dict:
        """Dense ids: a range, far cheaper to build than `IN (5000 ids)` (rows of other cases are skipped below)."""
        return {f"{field}__gte": lo, f"{field}__lte": hi} if dense else {f"{field}__in": case_ids}

    cases = {
        row[0]: row
        for row in _rows(
            Case.objects.filter(**scope("id"))
            .annotate(opening=Substr("description", 1, 400))
            .values_list(
                "id", "source", "subject", "opening", "account_name", "facts", "queue", "priority", "opened_at"
            )
        )
    }
    outcomes: dict[tuple[int, int], set[str]] = defaultdict(set)
    holds: dict[tuple[int, int], int] = defaultdict(int)
    held_steps: dict[tuple[int, int], set[str]] = defaultdict(set)
    live: dict[int, tuple[int, int]] = {}  # run id → (case, procedure); no join to versions in the reads below
    for run_id, case_id, version_id, status, outcome in _rows(
        Run.objects.filter(**scope("case_id"), mode=Run.Mode.LIVE).values_list(
            "id", "case_id", "version_id", "status", "outcome"
        )
    ):
        live[run_id] = key = (case_id, procedures[version_id])
        if status == Run.Status.COMPLETED and outcome:
            outcomes[key].add(f"end:{outcome}")
    for run_id, step, status, outcome, source, reason, proposed, chosen in _rows(
        ReviewItem.objects.filter(**scope("case_id")).values_list(
            "run_id",
            "step_key",
            "status",
            "outcome",
            "decision__source",
            "decision__reason",
            "decision__proposed_outcome",
            "decision__outcome",
        )
    ):
        key = live.get(run_id)
        if key is None:  # a dry run's hold
            continue
        holds[key] += 1
        held_steps[key].add(step)
        outcomes[key].add(f"held:{step}")
        if status == ReviewItem.Status.DECIDED and outcome:
            outcomes[key].add(f"decided:{step}={outcome}")
            if source == "reviewer" and proposed and proposed != chosen:
                outcomes[key].add(f"override:{step}")
                outcomes[key].add(f"overrode:{step}\t{reason}\t{proposed}\t{chosen}"[:KEY_LENGTH])
    clocks: dict[int, list[tuple[str, int, bool]]] = defaultdict(list)
    for case_id, policy, hour, breached in _rows(
        SlaClock.objects.filter(**scope("case_id"))
        .annotate(
            hour=ExtractHour("started_at"), breached=ExpressionWrapper(Q(breached_at__isnull=False), BooleanField())
        )
        .values_list("case_id", "policy__name", "hour", "breached")
    ):  # the hour in site time and breached-or-not from the database: no datetime decoded per clock
        clocks[case_id].append((policy, hour, bool(breached)))
    usage: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    if live:
        runs = sorted(live)
        dense_runs = runs[-1] - runs[0] <= 4 * len(runs)
        in_runs = {"run_id__gte": runs[0], "run_id__lte": runs[-1]} if dense_runs else {"run_id__in": runs}
        for run_id, calls, tokens in _rows(
            StepExecution.objects.filter(**in_runs)
            .exclude(usage={})
            .values("run_id")
            .annotate(calls=Count("id"), tokens=Sum(_tokens("prompt_tokens") + _tokens("completion_tokens")))
            .values_list("run_id", "calls", "tokens")
        ):
            if run_id in live:
                total = usage[live[run_id]]
                total[0] += calls
                total[1] += int(tokens or 0)
    fold = rebuild.fold if rebuild else Fold()
    if rebuild is None:
        _fold_out_old(fold, pairs, scope)
    rows = []
    mined_at = connection.ops.adapt_datetimefield_value(clock.now())
    for case_id, procedure_id in pairs:
        case = cases.get(case_id)
        if case is None or case_id not in wanted:
            continue
        _id, source, subject, opening, account_name, facts, queue, priority, opened_at = case
        facts = _json(facts)
        key = (case_id, procedure_id)
        happened = outcomes[key]
        if queue and queue != (facts.get("group") or ""):
            happened.add(f"routed:{queue}")
        _clock_outcomes(happened, clocks.get(case_id, ()), queue=queue, steps=held_steps.get(key, ()))
        unattended = not holds[key] and any(o.startswith("end:") for o in happened)
        if unattended:
            happened.add("unattended")
        calls, tokens = usage.get(key, (0, 0))
        attributes = case_attributes(source, subject, opening, account_name, facts, priority)
        happened_sorted = _bounded_sorted(happened)
        fold.add(procedure_id, utc_day(opened_at), attributes, happened_sorted)
        touched.add(procedure_id)
        rows.append((case_id, procedure_id, opened_at, "\n".join(attributes),  # opened_at as the database gave it
                     "\n".join(happened_sorted), unattended, holds[key], calls, tokens, mined_at))  # fmt: skip
    if rebuild:
        rebuild.writer.put(rows)
        fold.compact()
        return len(rows)
    with transaction.atomic():  # the rows and the counts they make move together
        _upsert(rows)
        counts_apply(fold.deltas())
    return len(rows)


def _clock_outcomes(happened: set[str], clocks, *, queue: str, steps) -> None:
    """What the case's SLA clocks say, per policy, queue, hour of day and held step; `breach:` for breached ones."""
    if not clocks:
        return
    breached = any(b for _p, _h, b in clocks)
    for prefix, on in (("clock", True), ("breach", breached)):
        if not on:
            continue
        happened.add(f"{prefix}:any")
        if queue:
            happened.add(f"{prefix}:queue={queue}")
        for step in steps:
            happened.add(f"{prefix}:step={step}")
    for policy, hour, was_breached in clocks:
        for prefix in ("clock", "breach") if was_breached else ("clock",):
            happened.add(f"{prefix}:policy={policy}")
            happened.add(f"{prefix}:hour={hour}")
    if breached:
        happened.add("sla:breached")


def _fold_out_old(fold: Fold, pairs: list[tuple[int, int]], scope) -> None:
    """Subtract what the counts hold for these cases' previous rows (cases mined before and changed since)."""
    wanted = set(pairs)
    for case_id, procedure_id, opened_at, attributes, outcomes in _rows(
        MinedCase.objects.filter(**scope("case_id")).values_list(
            "case_id", "procedure_id", "opened_at", "attributes", "outcomes"
        )
    ):
        if (case_id, procedure_id) in wanted:
            fold.add(procedure_id, utc_day(opened_at), split(attributes), split(outcomes), sign=-1)


_COLUMNS = ("case_id", "procedure_id", "opened_at", "attributes", "outcomes", "unattended", "holds", "model_calls",
            "model_tokens", "mined_at")  # fmt: skip


def _upsert(rows: list[tuple]) -> None:
    """INSERT … ON CONFLICT DO UPDATE (SQLite ≥ 3.24 and PostgreSQL) through executemany."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[2:])
    rows_insert(
        MinedCase._meta.db_table, _COLUMNS, rows, on_conflict=f"(case_id, procedure_id) DO UPDATE SET {updates}"
    )
