"""The foundation a newcomer relies on: roles, admin, history, settings, the task cluster."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from procedures.models import Procedure
from procedures.roles import OPS_MANAGERS, REVIEWERS
from tests.factories import (
    CaseFactory,
    InboundEventFactory,
    ProcedureFactory,
    ProcedureVersionFactory,
    ReviewItemFactory,
    RunFactory,
    StepExecutionFactory,
    StepFactory,
    TimerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_roles_exist_with_matching_permissions():
    ops = Group.objects.get(name=OPS_MANAGERS)
    reviewers = Group.objects.get(name=REVIEWERS)
    ops_perms = set(ops.permissions.values_list("codename", flat=True))
    reviewer_perms = set(reviewers.permissions.values_list("codename", flat=True))
    assert {"change_procedure", "add_procedureversion", "change_step"} <= ops_perms
    assert "change_reviewitem" in reviewer_perms
    assert "change_procedure" not in reviewer_perms
    assert "view_procedure" in reviewer_perms


def test_reviewer_may_decide_but_not_edit_sops(reviewer, ops_manager):
    assert reviewer.has_perm("cases.change_reviewitem")
    assert not reviewer.has_perm("procedures.change_procedure")
    assert ops_manager.has_perm("procedures.change_procedure")


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    "factory",
    [
        ProcedureFactory,
        ProcedureVersionFactory,
        StepFactory,
        CaseFactory,
        RunFactory,
        StepExecutionFactory,
        TimerFactory,
        InboundEventFactory,
        ReviewItemFactory,
    ],
)
def test_every_model_has_working_admin_list_and_change_pages(admin_client, factory):
    obj = factory()
    opts = obj._meta
    changelist = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    change = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    assert change.status_code == 200
    assert b'name="_save"' in change.content


def test_procedure_edit_in_admin_is_kept_in_history(admin_client):
    procedure = ProcedureFactory(name="Refunds")
    url = reverse("admin:procedures_procedure_change", args=[procedure.pk])
    response = admin_client.post(
        url,
        {
            "name": "Refunds over $500",
            "slug": procedure.slug,
            "description": "",
            "status": "draft",
            "trigger": '{"source": "api"}',
            "judgement_confidence_threshold": "0.8",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    names = [h.name for h in Procedure.history.filter(id=procedure.pk).order_by("history_date")]
    assert names == ["Refunds", "Refunds over $500"]
    history_page = admin_client.get(reverse("admin:procedures_procedure_history", args=[procedure.pk]))
    assert b"Refunds over $500" in history_page.content


def test_step_history_page_lists_changes(admin_client):
    step = StepFactory(title="Reply")
    step.title = "Reply to the requester"
    step.save()
    page = admin_client.get(reverse("admin:procedures_step_history", args=[step.pk]))
    assert page.status_code == 200
    assert step.history.count() == 2


def test_sqlite_runs_in_wal_with_immediate_transactions():
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite-specific settings")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.e2e
def test_qcluster_fixture_runs_real_tasks(qcluster):
    from django_q.tasks import async_task, result

    from tests.support.processes import wait_for

    task_id = async_task("math.sqrt", 16)
    assert wait_for(lambda: result(task_id), timeout=30, what="sqrt task") == 4.0


@pytest.mark.django_db(transaction=True)
def test_role_groups_come_back_after_the_database_is_flushed():
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    assert set(Group.objects.values_list("name", flat=True)) == {OPS_MANAGERS, REVIEWERS}
    assert Group.objects.get(name=REVIEWERS).permissions.filter(codename="change_reviewitem").exists()


def test_home_sends_staff_to_the_admin_and_reviewers_to_the_inbox(client, reviewer):
    assert client.get("/")["Location"] == "/inbox/"
    client.force_login(reviewer)
    assert client.get("/")["Location"] == "/inbox/"
    client.force_login(UserFactory(username="staffer", is_staff=True))
    assert client.get("/")["Location"] == "/admin/"
