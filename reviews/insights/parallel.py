"""A full rebuild spread over worker processes: each mines every n-th chunk of cases, the parent adds up the counts.

The first pass over never-mined cases (and `mining_pass(full=True)`) extracts
every case: Python work per case (words, facts, outcomes) that one process does
at one core's speed. With `SOPDESK_INSIGHTS_WORKERS` > 1 the chunks are dealt
round-robin to that many forked processes; each reads its chunks, writes their
mined rows on its own connection and sends back its count changes (bounded by
days × vocabulary, not by cases), which the parent sums and writes once.

Only where processes can see the same committed data and may be started: not
inside a transaction block (a worker's connection would not see uncommitted
cases), not from a daemonic process (a django-q2 worker may not have children),
and only when there is more than one chunk. Otherwise the rebuild runs in
process (`cases_extract(fresh=True)`).
"""

from __future__ import annotations

import multiprocessing
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from django.db import connection, connections

from cases.models import Run
from reviews.insights.bulk import BatchWriter
from reviews.insights.counts import Fold, counts_apply
from reviews.insights.extract import CHUNK, cases_extract, chunks, insert_fresh, rebuild_chunk, version_procedures


@dataclass
class Rebuilt:
    extracted: int
    touched: set[int]
    workers: int  # 1: in process
    worker_peak_bytes: int = 0  # the largest worker's peak Python memory, when tracemalloc traced the parent


def cases_rebuild(*, workers: int) -> Rebuilt:
    """Extract every case afresh (the mined rows and counts were just emptied), over `workers` processes if possible."""
    pairs = Run.objects.filter(mode=Run.Mode.LIVE).values("case_id", "version__procedure_id").distinct().count()
    workers = min(workers, -(-pairs // CHUNK))
    if workers <= 1 or connection.in_atomic_block or multiprocessing.current_process().daemon:
        extracted, touched = cases_extract(since=None, fresh=True)
        return Rebuilt(extracted, touched, workers=1)
    connections.close_all()  # a forked child must open its own connection, never share the parent's socket
    trace = tracemalloc.is_tracing()
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        results = list(pool.map(_worker, range(workers), [workers] * workers, [trace] * workers))
    fold, rebuilt = Fold(), Rebuilt(0, set(), workers=workers)
    for extracted, touched, parts, peak in results:
        rebuilt.extracted += extracted
        rebuilt.touched |= touched
        rebuilt.worker_peak_bytes = max(rebuilt.worker_peak_bytes, peak)
        fold.merge(parts)
    counts_apply(fold.deltas(), fresh=True)
    return rebuilt


def _worker(index: int, workers: int, trace: bool) -> tuple[int, set[int], tuple, int]:
    """In a forked process: mine chunks index, index + workers, …; return (cases, procedures, count parts, peak)."""
    if trace:
        tracemalloc.reset_peak()
    extracted, touched, fold = 0, set(), Fold()
    try:
        procedures = version_procedures()
        with BatchWriter(insert_fresh, background=True) as writer:
            for number, chunk in enumerate(chunks(None)):
                if number % workers == index:
                    extracted += rebuild_chunk(chunk, touched, procedures=procedures, fold=fold, writer=writer)
        parts = fold.parts()
    finally:
        connection.close()
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    return extracted, touched, parts, peak
