"""`manage.py replay`: dry run over an export, coverage printed, nothing written anywhere."""

from __future__ import annotations

import csv
import json

import pytest
from django.core.management import call_command

from cases.models import Case
from cases.replay import replay_run, tickets_generate, tickets_load
from procedures.models import Procedure
from tests.cases.graphs import escalation
from tests.factories import ProcedureVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def version():
    procedure = Procedure.objects.create(name="Escalation", slug="escalation")
    version = ProcedureVersionFactory(procedure=procedure, graph=escalation().to_json(), status="published")
    procedure.published_version = version
    procedure.save()
    return version


def test_generated_file_loads_with_requesters_and_tags(tmp_path):
    path = tmp_path / "tickets.json"
    path.write_text(json.dumps(tickets_generate(count=50)))
    tickets = tickets_load(path)
    assert len(tickets) == 50
    assert {t.requester_email for t in tickets} >= {"alice@acme.example", "pat@nowhere.example"}
    assert all("product-bug" in t.facts["tags"] for t in tickets)


def test_csv_and_ndjson_exports_load(tmp_path):
    csv_path = tmp_path / "t.csv"
    with csv_path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Id", "Subject", "Requester email", "Tags", "Tracking number"])
        writer.writerow(["7", "Broken", "bob@globex.example", "product-bug vip", "1Z1"])
    (ticket,) = tickets_load(csv_path)
    assert ticket.facts["tags"] == ["product-bug", "vip"] and ticket.facts["fields"] == {"tracking_number": "1Z1"}
    nd = tmp_path / "t.ndjson"
    nd.write_text('{"id": 1, "subject": "a", "tags": ["x"]}\n{"id": 2, "subject": "b", "tags": []}\n')
    assert [t.subject for t in tickets_load(nd)] == ["a", "b"]


def test_replay_reports_coverage_and_writes_nothing(sandbox, version):
    tickets = [t for t in tickets_load_from(tickets_generate(count=40))]
    coverage = replay_run(version=version, tickets=tickets)
    assert coverage.total == 40
    assert coverage.unattended + sum(coverage.held.values()) == 40
    assert coverage.held[("find_account", "missing_fact")] > 0  # pat@nowhere.example
    assert coverage.held[("find_account", "conflicting_fact")] > 0  # umbrella: two accounts
    assert coverage.actions["jira.create_issue"] > 0 and coverage.actions["zendesk.reply"] > 0
    assert sandbox.inspect("jira")["issues"] == {}
    assert not Case.objects.exists()  # rolled back


def tickets_load_from(data: dict):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.json"
        path.write_text(json.dumps(data))
        return tickets_load(path)


def test_replay_command_prints_the_table(sandbox, version, tmp_path, capsys):
    path = tmp_path / "gen.json"
    call_command("replay", "escalation", str(path), "--generate", "30", "--no-progress")
    out = capsys.readouterr().out
    assert "Tickets replayed" in out and "30" in out
    assert "Stopped at an edge" in out and "jira.create_issue" in out
