"""Each figure of issue 16 beside its baseline, measured in the same run on the configured database."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cases import clock, run_calls
from cases.casefacts import case_apply
from cases.models import Case, InboundEvent, ReviewItem, Run, StepExecution
from cases.replay import replay_run, tickets_generate, tickets_load
from cases.replay_persistent import replay_persistent
from cases.services import run_advance, run_start
from cases.webhooks import zendesk
from procedures.models import ProcedureVersion
from sopdesk.bench import processes

DONE = (Run.Status.WAITING, Run.Status.HELD, Run.Status.COMPLETED, Run.Status.FAILED, Run.Status.CANCELLED)


class StatementCounter:
    """Counts SQL statements on the default connection (no 9,000-query cap, unlike CaptureQueriesContext)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        self._wrapped = connection.execute_wrapper(self)
        self._wrapped.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapped.__exit__(*exc)

    def __len__(self):
        return self.count


@dataclass
class Row:
    figure: str
    value: str
    baseline: str = ""
    ratio: str = ""


@dataclass
class Totals:
    """What the last line reports."""

    engine_ratio: float | None = None
    replay_rate: float | None = None
    ingest_ratio: float | None = None


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


# --- Engine per step vs the floor transaction ---------------------------------------------


@contextlib.contextmanager
def _connector_timer():
    """Seconds spent inside connector calls (the dry run's reads reach the sandbox over HTTP) while in the block.

    Wraps `cases.run_calls._call`, the one place the engine calls a connector, for the bench only: the
    engine's own cost per step is the total minus this.
    """
    spent = [0.0]
    original = run_calls._call

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    run_calls._call = timed
    try:
        yield spent
    finally:
        run_calls._call = original


def engine_figures(*, version: ProcedureVersion, tickets: list, rounds: int, floor_n: int, totals: Totals) -> list[Row]:
    """µs and SQL statements per dry-run step, interleaved with the floor: one transaction, INSERT + UPDATE."""
    now = clock.now()
    floor_case = Case.objects.create(source="api", external_id=f"bench-floor-{time.time_ns()}", opened_at=now)
    floor_run = Run.objects.create(
        case=floor_case, version=version, mode=Run.Mode.DRY_RUN, trigger_key="bench-floor", state={}
    )
    floor_us, floor_sql, engine_us, engine_sql, shell_us = [], [], [], [], []
    sequence = 0
    per_round = max(1, len(tickets) // rounds)
    for r in range(rounds):
        with StatementCounter() as queries:
            started = time.perf_counter()
            for _ in range(floor_n):
                sequence += 1
                with transaction.atomic():
                    StepExecution.objects.create(
                        run=floor_run, sequence=sequence, step_key="floor", status="succeeded", finished_at=now
                    )
                    Run.objects.filter(id=floor_run.id).update(current_step="floor", updated_at=now)
            floor_us.append((time.perf_counter() - started) / floor_n * 1e6)
        floor_sql.append(len(queries) / floor_n)
        runs = []
        for ticket in tickets[r * per_round : (r + 1) * per_round]:
            case = Case(source=ticket.source, external_id="", opened_at=now)
            case_apply(case=case, event=ticket)
            case.save()
            runs.append(
                run_start(
                    case=case, version=version, mode=Run.Mode.DRY_RUN, event={"type": "ticket.created"}, enqueue=False
                )
            )
        with StatementCounter() as queries, _connector_timer() as connector_s:
            started = time.perf_counter()
            for run in runs:
                run_advance(run_id=run.id)
            elapsed = time.perf_counter() - started
        steps = StepExecution.objects.filter(run__in=runs).count() or 1
        engine_us.append(elapsed / steps * 1e6)
        shell_us.append((elapsed - connector_s[0]) / steps * 1e6)
        engine_sql.append(len(queries) / steps)
    floor, eng, shell = statistics.median(floor_us), statistics.median(engine_us), statistics.median(shell_us)
    totals.engine_ratio = eng / floor
    return [
        Row(
            "engine µs per step, dry run",
            f"{eng:,.0f}",
            f"floor txn (INSERT+UPDATE) {floor:,.0f}",
            f"{eng / floor:.1f}×",
        ),
        Row(
            "  of which not in connector calls",
            f"{shell:,.0f}",
            f"floor txn (INSERT+UPDATE) {floor:,.0f}",
            f"{shell / floor:.1f}×",
        ),
        Row(
            "SQL statements per step, dry run",
            f"{statistics.median(engine_sql):.1f}",
            f"floor txn {statistics.median(floor_sql):.1f}",
            f"{statistics.median(engine_sql) / max(statistics.median(floor_sql), 0.1):.1f}×",
        ),
    ]


# --- Replay vs the in-memory core ----------------------------------------------------------


def replay_figures(
    *, version: ProcedureVersion, count: int, work_dir: Path, totals: Totals, sample: int = 200
) -> list[Row]:
    """Replay (in memory) of `count` tickets against a persistent dry run of the first `sample` of them."""
    path = work_dir / "replay-tickets.json"
    path.write_text(json.dumps(tickets_generate(count=count)))
    tickets = tickets_load(path)
    started = time.perf_counter()
    replay_run(version=version, tickets=tickets)
    replay_s = time.perf_counter() - started
    first = tickets[: min(count, sample)]
    started = time.perf_counter()
    persistent = replay_persistent(version=version, tickets=first)
    persistent_s = time.perf_counter() - started
    replay_rate, persistent_rate = count / replay_s, len(first) / persistent_s
    totals.replay_rate = replay_rate
    same = replay_run(version=version, tickets=first).key() == persistent.key()
    return [
        Row(
            f"replay, tickets/s ({count:,} tickets)",
            f"{replay_rate:,.0f}",
            f"persistent dry run {persistent_rate:,.0f} ({len(first):,} tickets)",
            f"{replay_rate / persistent_rate:.0f}× faster",
        ),
        Row(f"replay coverage = persistent dry run ({len(first):,} tickets)", "yes" if same else "NO"),
    ]


# --- Webhook ingest vs a one-INSERT view, under gunicorn -------------------------------------


class Poster:
    """Signed Zendesk webhooks (unique ticket ids) posted to a running server."""

    def __init__(self, base_url: str, *, tags: str = "product-bug"):
        self.base_url = base_url
        self.tags = tags
        self._next = 0
        self._lock = threading.Lock()
        self._local = threading.local()

    def ticket_id(self) -> int:
        with self._lock:
            self._next += 1
            return 900000 + self._next

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def webhook(self, ticket_id: int) -> tuple[int, float]:
        ticket = {
            "id": str(ticket_id),
            "subject": "Export to CSV crashes",
            "description": "It crashes every time.",
            "tags": self.tags,
            "url": f"sandbox.zendesk.com/agent/tickets/{ticket_id}",
            "requester": {"email": "alice@acme.example", "name": "Alice Adams"},
            "organization": "Acme Corp",
        }
        body = json.dumps({"event": "ticket.created", "ticket": ticket}).encode()
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        headers = {
            "Content-Type": "application/json",
            "X-Zendesk-Webhook-Signature": zendesk.sign(processes.BENCH_SECRET, stamp, body),
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
            "X-Zendesk-Webhook-Invocation-Id": f"bench-{ticket_id}",
        }
        return self._post("/hooks/zendesk/", body, headers)

    def baseline(self, ticket_id: int) -> tuple[int, float]:
        body = json.dumps({"id": ticket_id, "subject": "Export to CSV crashes"}).encode()
        return self._post("/bench/insert/", body, {"Content-Type": "application/json"})

    def _post(self, path: str, body: bytes, headers: dict) -> tuple[int, float]:
        started = time.perf_counter()
        try:
            status = self._session().post(self.base_url + path, data=body, headers=headers, timeout=30).status_code
        except requests.RequestException:
            status = 0
        return status, time.perf_counter() - started


def _load(send: Callable[[int], tuple[int, float]], ids: Callable[[], int], *, duration: float, concurrency: int):
    """Post from `concurrency` threads for `duration` seconds: (accepted per s, p99 s of accepted, answers)."""
    answers: list[tuple[int, int, float]] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + duration

    def loop():
        while time.perf_counter() < deadline:
            ticket_id = ids()
            status, seconds = send(ticket_id)
            with lock:
                answers.append((ticket_id, status, seconds))

    started = time.perf_counter()
    threads = [threading.Thread(target=loop) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    accepted = [a for a in answers if 200 <= a[1] < 300]
    return len(accepted) / elapsed, _pct([a[2] for a in accepted], 0.99), answers


def ingest_figures(*, base_url: str, duration: float, concurrency: int, totals: Totals) -> list[Row]:
    poster = Poster(base_url)
    base_rate, base_p99, _ = _load(poster.baseline, poster.ticket_id, duration=duration, concurrency=concurrency)
    rate, p99, answers = _load(poster.webhook, poster.ticket_id, duration=duration, concurrency=concurrency)
    accepted_ids = [f"bench-{a[0]}" for a in answers if 200 <= a[1] < 300]
    refused = sum(1 for a in answers if a[1] == 429)
    other = sum(1 for a in answers if not (200 <= a[1] < 300) and a[1] != 429)
    stored = InboundEvent.objects.filter(source="zendesk", dedupe_key__in=accepted_ids).count()
    totals.ingest_ratio = rate / base_rate if base_rate else None
    return [
        Row(
            f"webhook ingest, accepted/s (gunicorn 2 workers, {concurrency} senders)",
            f"{rate:,.1f}, p99 {p99 * 1000:,.0f} ms",
            f"one-INSERT view {base_rate:,.1f}, p99 {base_p99 * 1000:,.0f} ms",
            f"{rate / base_rate:.2f}" if base_rate else "-",
        ),
        Row(
            "webhook answers: 2xx / stored / 429 / other",
            f"{len(accepted_ids)} / {stored} / {refused} / {other}",
            "",
            "nothing lost" if stored == len(accepted_ids) else "LOST",
        ),
    ]


def ingest_leftovers_clear() -> None:
    """Forget the ingest phase's queued work so the burst measures only its own tickets."""
    from django_q.brokers import get_broker

    get_broker().purge_queue()
    Run.objects.filter(status__in=(Run.Status.PENDING, Run.Status.RUNNING)).update(status=Run.Status.CANCELLED)
    InboundEvent.objects.filter(status=InboundEvent.Status.RECEIVED).update(status=InboundEvent.Status.IGNORED)


# --- Live burst with the worker ------------------------------------------------------------------


def _runs_done(case_external_ids: list[str]) -> dict[str, dt.datetime]:
    """external id → when its runs were all done, for the cases whose runs are all done."""
    done: dict[str, dt.datetime] = {}
    pending: set[str] = set()
    rows = Run.objects.filter(case__source="zendesk", case__external_id__in=case_external_ids).values_list(
        "case__external_id", "status", "updated_at"
    )
    for external_id, status, updated_at in rows:
        if status not in DONE:
            pending.add(external_id)
        elif external_id not in done or updated_at > done[external_id]:
            done[external_id] = updated_at
    return {k: v for k, v in done.items() if k not in pending}


def burst_figures(
    *, base_url: str, size: int, singles: int, concurrency: int, timeout: float, worker_pid: int | None = None
) -> list[Row]:
    """Tickets one at a time, then `size` at once; with `worker_pid`, also the worker's CPU per ticket."""
    poster = Poster(base_url)
    cpu_before = processes.tree_cpu_seconds(worker_pid) if worker_pid else 0.0
    single = []
    for _ in range(singles):
        ticket_id = poster.ticket_id()
        started = time.time()
        status, _ = poster.webhook(ticket_id)
        if not 200 <= status < 300:
            raise RuntimeError(f"the webhook answered {status}")
        name = str(ticket_id)
        processes.wait_for(lambda name=name: _runs_done([name]), timeout=timeout, what=f"the run of ticket {name}")
        single.append(time.time() - started)
    posted: dict[str, float] = {}
    lock = threading.Lock()
    ids = [poster.ticket_id() for _ in range(size)]

    def send(chunk):
        for ticket_id in chunk:
            at = time.time()
            poster.webhook(ticket_id)
            with lock:
                posted[str(ticket_id)] = at

    started = time.time()
    threads = [threading.Thread(target=send, args=(ids[i::concurrency],)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    names = [str(i) for i in ids]
    with contextlib.suppress(RuntimeError):  # report what finished
        processes.wait_for(
            lambda: len(_runs_done(names)) >= size, timeout=timeout, what="the burst's runs", interval=0.25
        )
    done = _runs_done(names)
    latencies = [done[k].timestamp() - posted[k] for k in done]
    last = max((v.timestamp() for v in done.values()), default=time.time())
    rate = len(done) / max(last - started, 1e-6)
    rows = [
        Row(
            f"live burst of {size} tickets, runs/s (2 workers)",
            f"{rate:,.1f} ({len(done)}/{size} done)",
        ),
        Row(
            "webhook → run done under the burst, p50 / p99",
            f"{_pct(latencies, 0.5):.2f} s / {_pct(latencies, 0.99):.2f} s",
            f"one at a time ({singles}): {_pct(single, 0.5):.2f} s / {_pct(single, 0.99):.2f} s",
            f"{_pct(latencies, 0.5) / max(_pct(single, 0.5), 1e-6):.1f}×",
        ),
    ]
    if worker_pid:
        # Supervisor, cluster, pusher, monitor and task workers: what a ticket costs whatever the machine's load.
        cpu_ms = (processes.tree_cpu_seconds(worker_pid) - cpu_before) / max(singles + len(done), 1) * 1000
        rows.append(
            Row(
                "worker CPU per ticket (all its processes)",
                f"{cpu_ms:,.0f} ms",
                "",
                f"≤ {2000 / max(cpu_ms, 1e-6):,.1f} runs/s on 2 idle cores",
            )
        )
    return rows


# --- Inbox ----------------------------------------------------------------------------------------


def inbox_figures(*, version: ProcedureVersion, small: int, large: int, repeats: int) -> list[Row]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from procedures.roles import REVIEWERS

    user, _ = get_user_model().objects.get_or_create(username="bench-reviewer")
    user.groups.add(Group.objects.get(name=REVIEWERS))
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    ReviewItem.objects.filter(status=ReviewItem.Status.OPEN).update(status=ReviewItem.Status.DECIDED)
    _items_add(version, small)
    small_ms, small_q = _inbox_time(client, repeats)
    _items_add(version, large - small)
    large_ms, large_q = _inbox_time(client, repeats)
    return [
        Row(
            f"/inbox/ at {small:,} → {large:,} open items",
            f"{small_q} → {large_q} queries, {small_ms:,.0f} → {large_ms:,.0f} ms",
            f"at {small:,}: {small_ms:,.0f} ms",
            f"time {large_ms / small_ms:.1f}×",
        )
    ]


def _inbox_time(client, repeats: int) -> tuple[float, int]:
    client.get("/inbox/")  # warm
    times = []
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get("/inbox/")
            times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"/inbox/ answered {response.status_code}")
    return statistics.median(times), len(queries)


def _items_add(version: ProcedureVersion, count: int, batch: int = 1000) -> None:
    now = clock.now()
    tag = time.time_ns()
    for start in range(0, count, batch):
        n = min(batch, count - start)
        cases = Case.objects.bulk_create(
            [
                Case(source="api", external_id=f"bench-inbox-{tag}-{start + i}", subject="Bench", opened_at=now)
                for i in range(n)
            ]
        )
        runs = Run.objects.bulk_create(
            [
                Run(case=c, version=version, mode=Run.Mode.LIVE, status=Run.Status.HELD, trigger_key="bench")
                for c in cases
            ]
        )
        ReviewItem.objects.bulk_create(
            [
                ReviewItem(
                    run=r,
                    case=r.case,
                    step_key="decide",
                    reason=ReviewItem.Reason.JUDGEMENT,
                    summary="Bench item",
                    due_at=now + dt.timedelta(hours=(start + i) % 48) if i % 3 else None,
                )
                for i, r in enumerate(runs)
            ]
        )
