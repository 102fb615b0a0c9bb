"""`manage.py replay`: dry run over an export, coverage printed, nothing written anywhere."""

from __future__ import annotations

import csv
import json

import pytest
from django.core.management import call_command

from cases.models import Case
from cases.replay import replay_run, tickets_generate, tickets_load, tickets_read
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


# --- Real exports: ids and sideloads, not e-mail addresses ----------------------------------------------


def _by_requester(export: dict) -> dict[int, int]:
    counts: dict[int, int] = {}
    for ticket in export["tickets"]:
        counts[ticket["requester_id"]] = counts.get(ticket["requester_id"], 0) + 1
    return counts


def test_a_200_ticket_export_with_sideloads_gets_the_coverage_the_sop_implies(sandbox, version, tmp_path):
    export = tickets_generate(count=200)  # the 1,000-ticket figure comes from `manage.py replay --generate 1000`
    assert "requester" not in export["tickets"][0] and "organization" not in export["tickets"][0]
    assert {"users", "organizations", "groups"} <= set(export)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export))
    loaded = tickets_read(path, lookup=False)  # the sideloads alone are enough
    assert loaded.directory.summary()[0] == "Users: 5 from the export, 0 looked up in Zendesk, 0 not found"
    by = _by_requester(export)

    coverage = replay_run(version=version, tickets=loaded.tickets)

    assert coverage.total == 200 and coverage.errors == 0
    # Enterprise, Pro and Free requesters (alice, bob, carol) run to the end with nobody involved.
    assert coverage.unattended == by[100] + by[101] + by[102]
    # Umbrella has two Salesforce accounts; pat's domain has none: those are the SOP's edges.
    assert coverage.held == {
        ("find_account", "conflicting_fact"): by[103],
        ("find_account", "missing_fact"): by[104],
    }
    assert coverage.actions["jira.create_issue"] == by[100] + by[101]
    assert coverage.actions["zendesk.reply"] == by[102]


def test_without_sideloads_requesters_are_looked_up_in_zendesk_once_per_id(sandbox, tmp_path):
    export = tickets_generate(count=60, sideloads=False)
    path = tmp_path / "plain.json"
    path.write_text(json.dumps(export))
    before = sandbox.requests("zendesk")
    loaded = tickets_read(path)
    users = set(_by_requester(export))
    orgs = {t["organization_id"] for t in export["tickets"] if t["organization_id"]}
    assert sandbox.requests("zendesk") - before == len(users) + len(orgs) + 1, "one call per id (+ the group)"
    assert {t.requester_email for t in loaded.tickets} == {
        "alice@acme.example",
        "bob@globex.example",
        "carol@initech.example",
        "dan@umbrella.example",
        "pat@nowhere.example",
    }
    assert {t.organization for t in loaded.tickets} == {"Acme Corp", "Globex", "Initech", "Umbrella", None}
    assert loaded.directory.summary()[0] == f"Users: 0 from the export, {len(users)} looked up in Zendesk, 0 not found"


def test_a_requester_nobody_knows_is_reported_as_a_missing_fact_not_a_failed_action(sandbox, version, tmp_path):
    export = tickets_generate(count=20, sideloads=False)
    for ticket in export["tickets"]:
        ticket["requester_id"], ticket["organization_id"] = 99999, None  # in no sideload, unknown to Zendesk
    path = tmp_path / "unknown.json"
    path.write_text(json.dumps(export))
    loaded = tickets_read(path)
    assert loaded.directory.summary()[0] == "Users: 0 from the export, 0 looked up in Zendesk, 1 not found"

    coverage = replay_run(version=version, tickets=loaded.tickets)

    assert coverage.held == {("find_account", "missing fact case.requester_email"): 20}
    assert coverage.errors == 0
    assert "action_failed" not in coverage.table() and "missing fact case.requester_email" in coverage.table()


def test_ndjson_export_pages_with_sideloads_load(tmp_path):
    first, second = tickets_generate(count=3, seed=1), tickets_generate(count=3, seed=2)
    path = tmp_path / "incremental.ndjson"
    path.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n")
    tickets = tickets_read(path, lookup=False).tickets
    assert len(tickets) == 6 and all(t.requester_email for t in tickets)
    assert tickets[0].url == f"https://sandbox.zendesk.com/agent/tickets/{first['tickets'][0]['id']}"
