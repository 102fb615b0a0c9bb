"""Regression cases: cases whose right answer a person fixed, replayed before a version is published.

Every reviewer decision that differs from the agent's proposal becomes a
regression case once its run has finished (up to PER_SITUATION of each situation) (`regression_cases_collect`, run by
each mining pass and before each publish check); an ops manager can pin any
case (`reviews.insights.services.regression_case_pin`). The expected result is
what the live run ended with after the person's decision: its end outcome and
the writes it made.

`publish_check(version=)` is listed in SOPDESK_PUBLISH_CHECKS: the publish
service calls it with the version about to be published and shows the result.
A case is *right* when the version's dry run ends with the expected outcome
and makes at least the expected writes, *held* when it still stops for a
person, *wrong* otherwise.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F

from cases.models import Case, Decision, Run, StepExecution
from connectors import registry
from procedures.models import ProcedureVersion
from reviews.insights.impact import case_path
from reviews.models import RegressionCase, RegressionRun

PER_SITUATION = 5


def expected_for(*, case_id: int, procedure_id: int) -> dict | None:
    """What the case's live run of this procedure ended with, or None while it is still going."""
    run = (
        Run.objects.filter(case_id=case_id, version__procedure_id=procedure_id, mode=Run.Mode.LIVE)
        .order_by("-started_at")
        .first()
    )
    if run is None or run.status != Run.Status.COMPLETED:
        return None
    actions = set()
    for operation in run.executions.filter(status=StepExecution.Status.SUCCEEDED).values_list(
        "request__operation", flat=True
    ):
        if operation and _writes(operation):
            actions.add(operation)
    return {"outcome": run.outcome, "actions": sorted(actions)}


def _writes(operation: str) -> bool:
    try:
        return registry.get(operation).writes
    except Exception:  # an operation no longer registered: it was a write if it was ever recorded as one
        return True


def regression_cases_collect(*, procedure_id: int | None = None, since: dt.datetime | None = None) -> int:
    """Store finished reviewer overrides as regression cases (idempotent). Returns how many were added.

    At most PER_SITUATION per situation (procedure, step, facts signature, proposed → chosen), the newest
    first: the same override a hundred times is one lesson, and every publish replays them all. `since`: only
    overrides whose run changed after it (a mining pass looks at what changed since the previous one; a run
    that had not finished then has changed since it did).
    """
    overrides = (
        Decision.objects.filter(source=Decision.Source.REVIEWER)
        .exclude(proposed_outcome="")
        .exclude(outcome=F("proposed_outcome"))
    )
    if since is not None:
        overrides = overrides.filter(item__run__updated_at__gt=since)
    stored = RegressionCase.objects.filter(source=RegressionCase.Source.OVERRIDE, decision__isnull=False)
    if procedure_id is not None:
        overrides = overrides.filter(procedure_id=procedure_id)
        stored = stored.filter(procedure_id=procedure_id)
    situation = ("procedure_id", "step_key", "signature", "proposed_outcome", "outcome")
    counts: dict[tuple, int] = {
        tuple(row[:-1]): row[-1]
        for row in stored.values_list(*(f"decision__{name}" for name in situation))
        .annotate(n=Count("id"))
        .values_list(*(f"decision__{name}" for name in situation), "n")
    }
    added = 0
    # Situations first (one GROUP BY), then the newest overrides of those not yet full: the editor runs this on
    # every view of a draft, and a busy procedure has tens of thousands of overrides of a handful of situations.
    for *key, _n in overrides.values_list(*situation).annotate(n=Count("id")).values_list(*situation, "n"):
        key = tuple(key)
        if counts.get(key, 0) < PER_SITUATION:
            added += _situation_collect(overrides.filter(**dict(zip(situation, key, strict=True))), key, counts)
    return added


def _situation_collect(overrides, key: tuple, counts: dict[tuple, int]) -> int:
    added = 0
    rows = overrides.order_by("-decided_at", "-id").values_list("id", "item__case_id")
    proc_id, step, _signature, proposed, outcome = key
    for decision_id, case_id in rows.iterator(chunk_size=500):
        if counts.get(key, 0) >= PER_SITUATION:
            break
        if RegressionCase.objects.filter(procedure_id=proc_id, case_id=case_id).exists():
            continue
        expected = expected_for(case_id=case_id, procedure_id=proc_id)
        if expected is None:
            continue
        RegressionCase.objects.get_or_create(
            procedure_id=proc_id,
            case_id=case_id,
            defaults={
                "source": RegressionCase.Source.OVERRIDE,
                "decision_id": decision_id,
                "step_key": step,
                "expected": expected,
                "note": f"At {step} the agent proposed {proposed!r}; a reviewer chose {outcome!r}.",
            },
        )
        counts[key] = counts.get(key, 0) + 1
        added += 1
    return added


def verdict(*, expected: dict, path) -> str:
    if path.status == "held":
        return "held"
    expected_actions = set(expected.get("actions") or [])
    if path.status == "completed" and path.outcome == expected.get("outcome") and expected_actions <= set(path.actions):
        return "right"
    return "wrong"


def regression_replay(*, version: ProcedureVersion) -> RegressionRun:
    """Dry-run every regression case of the version's procedure through it; store and return the results."""
    results = []
    items = RegressionCase.objects.filter(procedure_id=version.procedure_id).order_by("id")
    cases = Case.objects.in_bulk([item.case_id for item in items])
    for item in items:
        case = cases.get(item.case_id)
        if case is None:
            continue
        path = case_path(version=version, case=case)
        results.append(
            {
                "regression_case": item.id,
                "case": item.case_id,
                "subject": case.subject,
                "step": item.step_key,
                "expected": item.expected,
                "got": path.to_json(),
                "verdict": verdict(expected=item.expected, path=path),
            }
        )
    counts = {v: sum(1 for r in results if r["verdict"] == v) for v in ("right", "wrong", "held")}
    return RegressionRun.objects.create(
        version=version, results=results, passed=counts["right"], failed=counts["wrong"], held=counts["held"]
    )


def _replayed(version: ProcedureVersion) -> RegressionRun | None:
    """The version's last replay if it covered exactly today's regression cases since the version last compiled.

    The editor shows the check on every view of a draft and publishing runs it again: a version's graph and its
    regression cases decide the result, so the same pair is replayed once.
    """
    run = RegressionRun.objects.filter(version=version).order_by("-created_at", "-id").first()
    if run is None or (version.compiled_at and run.created_at < version.compiled_at):
        return None
    current = set(RegressionCase.objects.filter(procedure_id=version.procedure_id).values_list("id", flat=True))
    return run if current == {r["regression_case"] for r in run.results} else None


def publish_check(*, version: ProcedureVersion) -> dict:
    """SOPDESK_PUBLISH_CHECKS entry: which regression cases this version now gets right, wrong, or still holds."""
    regression_cases_collect(procedure_id=version.procedure_id)
    run = _replayed(version) or regression_replay(version=version)
    total = run.passed + run.failed + run.held
    return {
        "check": "regression_cases",
        "title": "Regression cases",
        "ok": run.failed == 0,
        "summary": f"{run.passed} of {total} right, {run.failed} wrong, {run.held} still stop for a person.",
        "run": run.id,
        "right": run.passed,
        "wrong": run.failed,
        "held": run.held,
        "results": run.results,
    }
