"""Replay as a persistent dry run: every ticket becomes a Case and a dry-run Run advanced by the real shell.

This is how replay ran before it ran in memory (`cases/replay_core.py`), about
80 SQL statements per ticket. It stays for `manage.py replay --keep` (the runs
are kept to be looked at in the admin) and as the reference the in-memory
replay's coverage is compared with. Reads go to the connected systems for
every ticket; writes are only recorded as skipped executions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction

from cases import clock, graphcache
from cases.casefacts import NormalisedEvent, case_apply, case_names
from cases.models import Case, Run, StepExecution
from cases.replay_coverage import Coverage, coverage_add, missing_inputs
from cases.services import run_advance, run_start
from procedures.models import ProcedureVersion

STATUS = {Run.Status.COMPLETED: "completed", Run.Status.WAITING: "waiting", Run.Status.HELD: "held"}


def replay_persistent(
    *,
    version: ProcedureVersion,
    tickets: Iterable[NormalisedEvent],
    keep: bool = False,
    progress: Callable[[], None] | None = None,
) -> Coverage:
    """Dry-run `version` over every ticket with stored runs. Nothing is kept unless `keep` (all rolled back)."""
    coverage = Coverage()
    with transaction.atomic():
        for ticket in tickets:
            case = Case(source=ticket.source, external_id="", opened_at=clock.now())
            case_apply(case=case, event=ticket)
            case.save()
            run = run_start(
                case=case, version=version, mode=Run.Mode.DRY_RUN, event={"type": ticket.event_type}, enqueue=False
            )
            _count(coverage, run_advance(run_id=run.id))
            if progress:
                progress()
        if not keep:
            transaction.set_rollback(True)
    return coverage


def _count(coverage: Coverage, run: Run) -> None:
    status = STATUS.get(run.status, "failed")
    skipped = run.executions.filter(status=StepExecution.Status.SKIPPED)
    reason = ""
    if status == "held":
        held = run.executions.filter(status=StepExecution.Status.HELD).order_by("-sequence").first()
        reason = (held.decision or {}).get("reason", "?") if held else "?"
    missing = []
    if status not in ("completed", "waiting"):
        graph = graphcache.version_graph(run.version)
        facts = (run.state or {}).get("facts") or {}
        missing = missing_inputs(graph, run.current_step, facts=facts, case=case_names(run.case))
    coverage_add(
        coverage,
        status=status,
        outcome=run.outcome,
        step_key=run.current_step,
        hold_reason=reason,
        actions=list(skipped.values_list("request__operation", flat=True)),
        missing=missing,
    )
