"""A worker killed after the remote write, before its trace row is completed: the resumed run writes nothing twice."""

from __future__ import annotations

import pytest

from cases.models import Case, StepExecution
from cases.services import runs_recover
from procedures.models import Procedure
from tests.cases.e2e import ESCALATION_TRIGGER, ZENDESK_SECRET, post_zendesk, ticket_payload
from tests.cases.graphs import escalation
from tests.factories import ProcedureVersionFactory
from tests.support.processes import start_manage, stop, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def procedure(transactional_db, sandbox, settings):
    settings.WEBHOOK_SECRETS = {**settings.WEBHOOK_SECRETS, "zendesk": ZENDESK_SECRET}
    procedure = Procedure.objects.create(name="Escalation (hand graph)", slug="esc-hand", trigger=ESCALATION_TRIGGER)
    version = ProcedureVersionFactory(procedure=procedure, graph=escalation().to_json(), status="published")
    procedure.published_version = version
    procedure.status = Procedure.Status.ACTIVE
    procedure.save()
    return procedure


def cluster(child_env: dict, tmp_path, name: str, **env: str):
    return start_manage(["qcluster"], env={**child_env, **env}, log_path=tmp_path / f"{name}.log")


def test_worker_killed_after_jira_write_resumes_without_a_second_issue(procedure, sandbox, child_env, tmp_path, client):
    crashing = cluster(child_env, tmp_path, "crashing", SOPDESK_TEST_CRASH_AFTER_WRITE="open_bug")
    try:
        post_zendesk(
            client,
            ticket_payload(
                1,
                subject="Export crashes",
                description="It crashes.",
                email="alice@acme.example",
                name="Alice Adams",
                org="Acme Corp",
            ),
            invocation="crash-1",
        )
        started = wait_for(
            lambda: StepExecution.objects.filter(step_key="open_bug", status="started").first(),
            timeout=60,
            what="the Jira step to start",
        )
        wait_for(lambda: len(sandbox.inspect("jira")["issues"]) == 1, timeout=30, what="the Jira write")
        wait_for(
            lambda: "SOPDESK_TEST_CRASH_AFTER_WRITE" in (tmp_path / "crashing.log").read_text(),
            timeout=30,
            what="the worker to die",
        )
    finally:
        stop(crashing, timeout=3)  # a cluster that lost a worker mid-task may not stop on SIGTERM; then SIGKILL
    assert StepExecution.objects.get(id=started.id).status == "started"  # the trace row was never completed

    # A lease of 0 s in the new cluster: the dead worker's claim on the step counts as expired at once.
    recovering = cluster(child_env, tmp_path, "recovering", SOPDESK_STEP_LEASE_SECONDS="0")
    try:
        assert runs_recover(older_than_seconds=0) == [started.run_id]
        run = wait_for(
            lambda: Case.objects.get(external_id="1").runs.filter(status="completed").first(),
            timeout=60,
            what="the recovered run to complete",
        )
    finally:
        stop(recovering, timeout=3)
    assert len(sandbox.inspect("jira")["issues"]) == 1
    redone = StepExecution.objects.get(id=started.id)
    assert (redone.status, redone.attempt) == ("succeeded", 2)
    assert run.executions.filter(step_key="note", status="succeeded").count() == 1
