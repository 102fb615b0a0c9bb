"""Reads between passes, dry runs that write nothing, and a write finishing after its run was cancelled.

Against the sandbox emulators, in-process: the real Salesforce, Jira and Zendesk client libraries.
"""

from __future__ import annotations

import pytest

from cases import services
from cases.cancellation import run_cancel
from cases.models import Case, Run, StepExecution, Timer
from cases.run_calls import Read, read_perform
from cases.run_pass import Budget, pass_run
from cases.services import run_advance
from cases.sla.models import SlaClock
from tests.cases.test_engine_sandbox import jira_issues, start

pytestmark = pytest.mark.django_db


def test_a_read_is_recorded_only_if_the_run_still_asks_that_question(sandbox):
    run = start("nobody@nowhere.example")
    first = pass_run(run.id, Budget(50)).next
    assert isinstance(first, Read) and first.request["params"] == {"email": "nobody@nowhere.example"}
    assert not run.executions.exists()  # a read needs no STARTED row: it has no side effect
    stale = read_perform(first)
    Case.objects.filter(id=run.case_id).update(requester_email="alice@acme.example")  # meanwhile, the case changed
    second = pass_run(run.id, Budget(50), answer=stale).next
    assert isinstance(second, Read) and second.request["params"] == {"email": "alice@acme.example"}
    assert not run.executions.exists()  # the answer to the old question was not used
    write = pass_run(run.id, Budget(50), answer=read_perform(second)).next
    assert isinstance(write, StepExecution) and (write.step_key, write.status) == ("open_bug", "started")
    found = run.executions.get(step_key="find_account")
    assert (found.status, found.result["plan"]) == ("succeeded", "Enterprise")
    assert found.request["params"] == {"email": "alice@acme.example"}


@pytest.mark.parametrize("mode", [Run.Mode.DRY_RUN, Run.Mode.SHADOW])
def test_a_dry_or_shadow_run_that_reads_the_plan_leaves_the_case_and_its_clocks_alone(sandbox, mode):
    run = start("alice@acme.example", mode=mode)
    case = Case.objects.get(id=run.case_id)
    history = case.history.count()
    run = run_advance(run_id=run.id)
    assert run.status == "completed"
    assert run.executions.get(step_key="find_account").result["plan"] == "Enterprise"
    after = Case.objects.get(id=case.id)
    assert (after.facts, after.status, after.updated_at) == (case.facts, case.status, case.updated_at)
    assert after.history.count() == history
    assert not SlaClock.objects.filter(case=case).exists()
    assert not Timer.objects.filter(run__case=case).exists()
    assert not jira_issues(sandbox)


def test_a_live_run_learns_the_tier_from_the_plan_it_reads(sandbox):
    run = run_advance(run_id=start("alice@acme.example").id)
    assert run.status == "completed"
    assert Case.objects.get(id=run.case_id).facts["tier"] == "enterprise"


def test_a_write_that_finishes_after_its_run_was_cancelled_is_recorded_and_nothing_follows(sandbox):
    run = start("alice@acme.example")
    pending = services._advance_once(run.id)
    assert pending.step_key == "open_bug"
    run_cancel(run_id=run.id, reason="customer withdrew")
    assert services._perform(run.id, pending) is False
    run = Run.objects.get(id=run.id)
    assert (run.status, run.call_in_flight) == ("cancelled", None)
    assert StepExecution.objects.get(id=pending.id).status == "succeeded"
    assert not run.executions.filter(step_key="note").exists()
    assert len(jira_issues(sandbox)) == 1
