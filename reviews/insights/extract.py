"""A case → the attributes it arrived with and what happened to it, stored as MinedCase rows.

Attributes (what a rule may start from): `tag:`, `source:`, `group:` (the queue
it arrived in), `priority:`, `tier:` (plan), `org:` (requester organization),
`field:name=value` (short custom fields), `word:` and `phrase:` (subject words
and word pairs, description words). Outcomes (what a rule predicts):
`held:step`, `decided:step=outcome` (a reviewer's choice), `override:step` (a
reviewer chose differently from the agent's proposal), `end:outcome`,
`routed:queue` (the case ended in another queue than it arrived in — a
reassignment), `sla:breached`, `unattended`.

Extraction is incremental: only cases whose case row or live run changed after
the cursor are read, a chunk of case ids at a time, with `values()` queries
(no model instances), and written back with one upsert per chunk.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator
from itertools import pairwise

from django.db import connection, transaction
from django.db.models import Q

from cases import clock
from cases.models import Case, ReviewItem, Run, StepExecution
from cases.sla.models import SlaClock
from reviews.models import MinedCase

CHUNK = 1000
_WORD = re.compile(r"[a-z][a-z0-9'-]{3,}")
STOPWORDS = frozenset(
    ["about", "above", "after", "again", "against", "also", "because", "been", "before", "being", "below", "between", "both", "cannot", "could", "does", "doing", "down", "during", "each", "from", "further", "have", "having", "here", "hers", "herself", "himself", "into", "itself", "just", "more", "most", "myself", "once", "only", "other", "ours", "over", "same", "should", "some", "such", "than", "that", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "under", "until", "very", "what", "when", "where", "which", "while", "whom", "will", "with", "would", "your", "yours", "yourself", "please", "thanks", "thank", "hello", "dear", "regards", "ticket", "customer", "issue", "problem", "help"]
)
MAX_WORDS = 25


def case_attributes(row: dict) -> list[str]:
    facts = row.get("facts") or {}
    attributes = {f"source:{row['source']}"}
    for tag in facts.get("tags") or []:
        attributes.add(f"tag:{str(tag).lower()}")
    if facts.get("group"):
        attributes.add(f"group:{facts['group']}")
    if row.get("priority"):
        attributes.add(f"priority:{row['priority']}")
    if facts.get("tier"):
        attributes.add(f"tier:{str(facts['tier']).lower()}")
    if row.get("account_name"):
        attributes.add(f"org:{row['account_name']}")
    for name, value in (facts.get("fields") or {}).items():
        if isinstance(value, (str, int, bool)) and len(str(value)) <= 40:
            attributes.add(f"field:{name}={value}")
    subject_words = [w for w in _WORD.findall((row.get("subject") or "").lower()) if w not in STOPWORDS]
    words = list(dict.fromkeys(subject_words))
    words += [w for w in _WORD.findall((row.get("description") or "")[:400].lower()) if w not in STOPWORDS]
    for word in list(dict.fromkeys(words))[:MAX_WORDS]:
        attributes.add(f"word:{word}")
    for first, second in pairwise(subject_words):
        attributes.add(f"phrase:{first} {second}")
    return sorted(attributes)


def _changed_runs(since: dt.datetime | None) -> Iterator[tuple[int, int]]:
    runs = Run.objects.filter(mode=Run.Mode.LIVE)
    if since is not None:
        runs = runs.filter(Q(updated_at__gt=since) | Q(case__updated_at__gt=since))
    yield from runs.order_by("case_id").values_list("case_id", "version__procedure_id").distinct().iterator(
        chunk_size=CHUNK
    )


def cases_extract(*, since: dt.datetime | None) -> int:
    """Write MinedCase rows for every (case, procedure) whose case or live run changed after `since`."""
    total = 0
    chunk: list[tuple[int, int]] = []
    for pair in _changed_runs(since):
        chunk.append(pair)
        if len(chunk) >= CHUNK:
            total += _extract_chunk(chunk)
            chunk = []
    if chunk:
        total += _extract_chunk(chunk)
    return total


def _extract_chunk(pairs: list[tuple[int, int]]) -> int:
    case_ids = sorted({case_id for case_id, _ in pairs})
    wanted = set(case_ids)
    lo, hi = case_ids[0], case_ids[-1]
    dense = hi - lo <= 4 * len(case_ids)

    def scope(field: str) -> dict:
        """Dense ids: a range, far cheaper to build than `IN (1000 ids)` (rows of other cases are skipped below)."""
        return {f"{field}__gte": lo, f"{field}__lte": hi} if dense else {f"{field}__in": case_ids}

    cases = {row["id"]: row for row in Case.objects.filter(**scope("id")).values(
        "id", "source", "subject", "description", "account_name", "facts", "queue", "priority", "opened_at"
    )}  # fmt: skip
    outcomes: dict[tuple[int, int], set[str]] = defaultdict(set)
    holds: dict[tuple[int, int], int] = defaultdict(int)
    for row in Run.objects.filter(**scope("case_id"), mode=Run.Mode.LIVE).values(
        "case_id", "version__procedure_id", "status", "outcome"
    ):
        key = (row["case_id"], row["version__procedure_id"])
        if row["status"] == Run.Status.COMPLETED and row["outcome"]:
            outcomes[key].add(f"end:{row['outcome']}")
    for row in ReviewItem.objects.filter(**scope("case_id"), run__mode=Run.Mode.LIVE).values(
        "case_id", "run__version__procedure_id", "step_key", "status", "outcome",
        "decision__source", "decision__proposed_outcome",
    ):  # fmt: skip
        key = (row["case_id"], row["run__version__procedure_id"])
        step = row["step_key"]
        holds[key] += 1
        outcomes[key].add(f"held:{step}")
        if row["status"] == ReviewItem.Status.DECIDED and row["outcome"]:
            outcomes[key].add(f"decided:{step}={row['outcome']}")
            proposed = row["decision__proposed_outcome"]
            if row["decision__source"] == "reviewer" and proposed and proposed != row["outcome"]:
                outcomes[key].add(f"override:{step}")
    breached = set(
        SlaClock.objects.filter(**scope("case_id"), breached_at__isnull=False).values_list("case_id", flat=True)
    )
    usage: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for row in (
        StepExecution.objects.filter(**scope("run__case_id"), run__mode=Run.Mode.LIVE)
        .exclude(usage={})
        .values("run__case_id", "run__version__procedure_id", "usage")
    ):
        spent = usage[(row["run__case_id"], row["run__version__procedure_id"])]
        spent[0] += 1
        spent[1] += int(row["usage"].get("prompt_tokens") or 0) + int(row["usage"].get("completion_tokens") or 0)
    rows = []
    adapt = connection.ops.adapt_datetimefield_value
    mined_at = adapt(clock.now())
    for case_id, procedure_id in pairs:
        case = cases.get(case_id)
        if case is None or case_id not in wanted:
            continue
        key = (case_id, procedure_id)
        happened = outcomes[key]
        facts = case["facts"] or {}
        if case["queue"] and case["queue"] != (facts.get("group") or ""):
            happened.add(f"routed:{case['queue']}")
        if case_id in breached:
            happened.add("sla:breached")
        unattended = not holds[key] and any(o.startswith("end:") for o in happened)
        if unattended:
            happened.add("unattended")
        calls, tokens = usage.get(key, (0, 0))
        attributes = "\n".join(case_attributes(case))
        rows.append((case_id, procedure_id, adapt(case["opened_at"]), attributes, "\n".join(sorted(happened)),
                     unattended, holds[key], calls, tokens, mined_at))  # fmt: skip
    _upsert(rows)
    return len(rows)


_COLUMNS = ("case_id", "procedure_id", "opened_at", "attributes", "outcomes", "unattended", "holds", "model_calls",
            "model_tokens", "mined_at")  # fmt: skip


def _upsert(rows: list[tuple]) -> None:
    """One INSERT … ON CONFLICT DO UPDATE for the chunk (SQLite ≥ 3.24 and PostgreSQL); no per-value ORM work."""
    if not rows:
        return
    table = connection.ops.quote_name(MinedCase._meta.db_table)
    columns = ", ".join(_COLUMNS)
    marks = ", ".join(["%s"] * len(_COLUMNS))
    updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[2:])
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({marks}) "
        f"ON CONFLICT (case_id, procedure_id) DO UPDATE SET {updates}"
    )
    with transaction.atomic(), connection.cursor() as cursor:  # one commit per chunk, not per row
        cursor.executemany(sql, rows)
