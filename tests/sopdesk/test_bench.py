"""`manage.py bench`: its in-memory baseline has replay's coverage, and its output has the promised shape."""

from __future__ import annotations

import pytest

from cases.replay import replay_run, tickets_generate
from sopdesk.bench.core import core_replay
from sopdesk.bench.figures import Row, Totals
from sopdesk.management.commands.bench import _summary, _table
from tests.cases.test_replay import tickets_load_from, version  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def test_the_in_memory_core_has_the_coverage_of_the_persistent_dry_run(sandbox, version):  # noqa: F811
    tickets = tickets_load_from(tickets_generate(count=40, seed=3))
    persistent = replay_run(version=version, tickets=tickets)
    requests_before = served(sandbox)
    core, questions = core_replay(version=version, tickets=tickets)
    assert (core.total, core.unattended, core.waiting) == (persistent.total, persistent.unattended, persistent.waiting)
    assert core.held == persistent.held and core.outcomes == persistent.outcomes and core.actions == persistent.actions
    # Reads are asked once per distinct question, not once per ticket.
    assert served(sandbox) - requests_before == questions < 40
    assert sandbox.inspect("jira")["issues"] == {}


def served(sandbox) -> int:
    return sum(sandbox.requests(system) for system in ("salesforce", "jira", "zendesk", "carrier"))


def test_the_table_ends_with_the_summary_line():
    rows = [Row("engine µs per step, dry run", "900", "floor txn 450", "2.0×")]
    table = _table(rows, "SQLite")
    assert table.splitlines()[0].startswith("| figure") and "SQLite" in table
    assert _summary(Totals(engine_ratio=2.0, replay_rate=1234.0, ingest_ratio=0.5)) == (
        "bench: engine 2.0× floor, replay 1,234/s, ingest 0.50× baseline"
    )


def test_replay_coverage_can_be_compared_on_every_ticket(sandbox, version, tmp_path):  # noqa: F811
    from sopdesk.bench.figures import replay_figures

    rate, coverage = replay_figures(version=version, count=30, work_dir=tmp_path, totals=Totals(), sample=30)
    assert "(30 tickets)" in rate.figure and "(30 tickets)" in rate.baseline
    assert coverage.figure == "replay coverage = persistent dry run (30 tickets)" and coverage.value == "yes"
    _, coverage = replay_figures(version=version, count=30, work_dir=tmp_path, totals=Totals(), sample=12)
    assert coverage.figure == "replay coverage = persistent dry run (12 tickets)" and coverage.value == "yes"
