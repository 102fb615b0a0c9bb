"""Running counts: folded in incrementally they equal a rebuild; unchanged procedures are skipped; Fisher is scipy's."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine
from scipy.stats import fisher_exact

from cases import clock
from cases.models import Case, Run
from reviews.insights.associations import fisher_greater
from reviews.insights.counts import window_counts
from reviews.insights.extract import CHUNK
from reviews.insights.history import billing_procedure_ensure, history_generate
from reviews.insights.mining import mining_pass
from reviews.models import MinedCase, MinedCount
from tests.reviews.insights.factories import planted_history


def _stored_counts() -> set[tuple]:
    return set(MinedCount.objects.values_list("procedure_id", "day", "attribute", "outcome", "n"))


def test_vectorised_fisher_gives_scipys_one_sided_p_values_exactly():
    rng = random.Random(13)
    total, tables = 400, []
    for _ in range(500):
        row, column = rng.randint(0, total), rng.randint(0, total)
        tables.append((rng.randint(max(0, row + column - total), min(row, column)), row, column))
    ours = fisher_greater(
        support=[t[0] for t in tables], antecedent=[t[1] for t in tables], consequent=[t[2] for t in tables],
        total=total,
    )  # fmt: skip
    for (a, row, column), p in zip(tables, ours, strict=True):
        table = [[a, row - a], [column - a, total - row - column + a]]
        assert p == fisher_exact(table, alternative="greater").pvalue


@pytest.mark.django_db
def test_counts_folded_in_as_cases_change_equal_a_full_rebuild():
    summary, _ = planted_history()
    history_generate(cases=30, seed=77)  # new cases
    changed = Case.objects.get(pk=summary.first_case_id)
    changed.facts = {**changed.facts, "tags": [*changed.facts["tags"], "late-tag"]}
    changed.queue = "Escalations"  # now a reassignment, and a new attribute
    changed.save()
    run = Run.objects.get(case=changed)
    run.outcome = "handed_off"
    run.save()

    report = mining_pass()
    assert report.extracted == 31
    incremental = _stored_counts()
    mining_pass(full=True)
    assert incremental == _stored_counts()
    assert ("tag:late-tag", "") in {(a, o) for _p, _d, a, o, _n in incremental}


@pytest.mark.django_db
def test_the_window_counts_are_those_of_the_cases_opened_since_its_start():
    planted_history()
    since = clock.now() - dt.timedelta(days=9, hours=7)  # mid-day: the first day is counted in part
    counts = window_counts(procedure_id=Case.objects.first().runs.first().version.procedure_id, since=since,
                           min_support=1)  # fmt: skip
    opened = Case.objects.filter(opened_at__gte=since)
    assert counts.total == opened.count()
    disputes = sum(1 for c in opened if "billing-dispute" in c.facts["tags"])
    assert counts.attributes["tag:billing-dispute"] == disputes


@pytest.mark.django_db
def test_a_pass_with_nothing_new_skips_the_procedure_until_cases_leave_its_window():
    # Midday: the window starts at midnight, so late in the day the three-day move could drop no case at all.
    noon = dt.datetime.combine(dt.datetime.now(dt.UTC).date(), dt.time(12), tzinfo=dt.UTC)
    with time_machine.travel(noon, tick=False):
        _nothing_new_then_three_days_later()


def _nothing_new_then_three_days_later():
    planted_history()
    quiet = mining_pass()
    assert (quiet.extracted, quiet.procedures, quiet.skipped) == (0, 0, 1)
    three_days_later = mining_pass(now=clock.now() + dt.timedelta(days=3))  # the oldest cases left the 30-day window
    assert (three_days_later.extracted, three_days_later.procedures) == (0, 1)


def _stored_rows() -> set[tuple]:
    return set(
        MinedCase.objects.values_list(
            "case_id", "procedure_id", "opened_at", "attributes", "outcomes", "unattended", "holds", "model_calls",
            "model_tokens",
        )
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("workers", [1, 2])
def test_a_rebuild_outside_a_transaction_stores_what_the_incremental_passes_stored(settings, workers):
    """Outside a transaction block a rebuild writes each chunk's rows on a second connection while it extracts the
    next one (COPY on PostgreSQL), in `workers` processes: the rows and counts are those the incremental passes
    folded in case by case."""
    settings.SOPDESK_INSIGHTS_WORKERS = workers
    procedure = billing_procedure_ensure()
    history_generate(procedure=procedure, cases=200, seed=3)
    assert mining_pass().extracted == 200  # the first pass is a rebuild
    history_generate(procedure=procedure, cases=CHUNK + 100, seed=4)  # more than a chunk
    changed = Case.objects.earliest("id")
    changed.facts = {**changed.facts, "tags": [*changed.facts["tags"], "late-tag"]}
    changed.save()
    assert mining_pass().extracted == CHUNK + 101
    incremental = (_stored_rows(), _stored_counts())

    rebuild = mining_pass(full=True)
    assert (rebuild.extracted, rebuild.workers) == (CHUNK + 300, workers)
    assert (_stored_rows(), _stored_counts()) == incremental
    assert MinedCase.objects.get(case=changed).attributes.count("tag:late-tag") == 1
