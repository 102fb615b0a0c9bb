"""Replay in memory: the coverage of a persistent dry run of the same file, with no row written and reads asked once."""

from __future__ import annotations

import json

import pytest

from cases.models import Case, ReviewItem, Run, StepExecution, Timer
from cases.replay import replay_run, tickets_generate, tickets_read
from cases.replay_core import Reads, replay_memory
from cases.replay_persistent import replay_persistent
from cases.walk_key import WalkKey
from procedures.models import Procedure
from procedures.steps import parse
from tests.cases.graphs import claim, escalation
from tests.factories import ProcedureVersionFactory

pytestmark = pytest.mark.django_db


def triage():
    """Decisions on text, tags and priority; writes that carry the subject, description and a custom field."""
    return parse(
        {
            "title": "Triage",
            "start": "crash",
            "steps": [
                {
                    "kind": "decide",
                    "key": "crash",
                    "title": "A crash?",
                    "branches": [
                        {"when": "case.subject.contains('crash')", "next": "vip"},
                        {"when": "case.priority == 'urgent'", "next": "tag"},
                    ],
                    "otherwise": "reply",
                },
                {
                    "kind": "decide",
                    "key": "vip",
                    "title": "VIP?",
                    "branches": [{"when": "'vip' in case.tags", "next": "bug"}],
                    "otherwise": "tag",
                },
                {
                    "kind": "act",
                    "key": "bug",
                    "title": "Open a bug",
                    "operation": "jira.create_issue",
                    "params": {
                        "project": "ENG",
                        "issue_type": "Bug",
                        "summary": "{{ case.subject }}",
                        "description": "{{ case.description }} (tracking {{ case.fields.tracking_number }})",
                    },
                    "next": "done",
                },
                {
                    "kind": "act",
                    "key": "tag",
                    "title": "Tag",
                    "operation": "zendesk.add_tags",
                    "params": {"ticket_id": "{{ case.ticket_id }}", "tags": "{{ ['triaged'] }}"},
                    "next": "done",
                },
                {
                    "kind": "act",
                    "key": "reply",
                    "title": "Reply",
                    "operation": "zendesk.reply",
                    "params": {"ticket_id": "{{ case.ticket_id }}", "body": "Thanks, {{ case.requester_name }}."},
                    "next": "done",
                },
                {"kind": "end", "key": "done", "title": "Done", "outcome": "resolved"},
            ],
        }
    )


def _version(graph, slug):
    procedure = Procedure.objects.create(name=slug, slug=slug)
    version = ProcedureVersionFactory(procedure=procedure, graph=graph.to_json(), status="published")
    procedure.published_version = version
    procedure.save()
    return version


def _export(count: int) -> dict:
    """A generated export made to reach every kind of stop of both test SOPs.

    Every 7th ticket's requester is unknown (a missing e-mail); claims have amounts
    below and above the approval threshold, with and without a photo or a tracking number.
    """
    export = tickets_generate(count=count, seed=5)
    for n, ticket in enumerate(export["tickets"]):
        if n % 7 == 3:
            ticket["requester_id"], ticket["organization_id"] = 99999, None
        if n % 5 != 4:
            ticket["amount"] = [800, 7200, 12000, 300][n % 4]
        if n % 3:
            ticket["custom_fields"] = [{"name": "tracking_number", "value": f"1Z{n:06d}"}]
        if n % 6 == 2:
            ticket["subject"] = f"Crash on save #{n}"  # "crash" lower-case only in some subjects
        if n % 11 == 5:
            ticket["subject"] = ticket["description"] = None
        if n % 4 == 1:
            ticket["attachments"] = [{"file_name": f"box{n}.jpg", "content_type": "image/jpeg", "content_url": "x"}]
    return export


@pytest.fixture
def export_tickets(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(_export(250)))
    return tickets_read(path, lookup=False).tickets


def _rows() -> tuple[int, int, int, int, int]:
    return (
        Case.objects.count(),
        Run.objects.count(),
        StepExecution.objects.count(),
        Timer.objects.count(),
        ReviewItem.objects.count(),
    )


@pytest.mark.parametrize("graph", [escalation, claim, triage], ids=["escalation", "freight-claim", "triage"])
def test_in_memory_replay_has_the_coverage_of_the_persistent_dry_run(sandbox, export_tickets, graph):
    version = _version(graph(), graph.__name__)

    persistent = replay_persistent(version=version, tickets=export_tickets)
    before = _rows()
    memory = replay_memory(version=version, tickets=export_tickets)

    assert _rows() == before == (0, 0, 0, 0, 0), "the in-memory replay writes no row; the persistent one rolled back"
    assert memory.total == persistent.total == 250
    assert memory.unattended == persistent.unattended
    assert memory.waiting == persistent.waiting
    assert memory.held == persistent.held  # every (step, reason) with its count
    assert memory.outcomes == persistent.outcomes
    assert memory.actions == persistent.actions
    assert memory.errors == persistent.errors == 0
    assert memory.table() == persistent.table()
    # The file reaches more than one kind of stop, so the comparison says something.
    kinds = [memory.unattended > 0, memory.waiting > 0, sum(memory.held.values()) > 0]
    assert sum(kinds) >= 2 and len(memory.actions) >= 2, memory.table()


def test_both_test_sops_meet_waits_approvals_and_missing_facts(sandbox, export_tickets):
    coverage = replay_memory(version=_version(claim(), "claims"), tickets=export_tickets)
    assert coverage.waiting > 0  # claims filed wait for the settlement; claims without a photo wait for one
    assert coverage.held[("approval", "approval")] > 0
    assert coverage.held[("check_amount", "missing_fact")] > 0  # every 5th ticket has no amount
    assert coverage.held[("file", "missing_fact")] > 0  # no tracking number to file with
    assert coverage.actions["carrier.file_claim"] > 0 and coverage.actions["zendesk.reply"] > 0


def test_reads_are_asked_once_per_distinct_question_and_nothing_is_sent(sandbox, export_tickets):
    version = _version(escalation(), "escalation")
    requests_before = sum(sandbox.requests(system) for system in ("salesforce", "jira", "zendesk"))
    reads = Reads()

    coverage = replay_memory(version=version, tickets=export_tickets, reads=reads)

    emails = {t.requester_email or "" for t in export_tickets}  # "" is a question too (it finds nothing)
    served = sum(sandbox.requests(system) for system in ("salesforce", "jira", "zendesk")) - requests_before
    assert reads.asked == len(emails)  # one Salesforce lookup per requester, not per ticket
    assert served == len(emails) - 1  # the connector refuses "" without a request
    assert coverage.actions["jira.create_issue"] > 0
    assert sandbox.inspect("jira")["issues"] == {}


def test_replay_run_keep_stores_dry_runs_with_the_same_coverage(sandbox, export_tickets):
    version = _version(escalation(), "escalation")
    tickets = export_tickets[:40]

    kept = replay_run(version=version, tickets=tickets, keep=True)

    assert kept.key() == replay_run(version=version, tickets=tickets).key()
    assert Run.objects.filter(mode=Run.Mode.DRY_RUN).count() == 40
    assert not Run.objects.exclude(mode=Run.Mode.DRY_RUN).exists()


def test_tickets_differing_only_in_what_a_write_carries_share_a_walk_and_others_do_not():
    key = WalkKey(triage(), sent=lambda operation: not operation.startswith(("jira.", "zendesk.")))
    base = {
        "subject": "App crash",
        "description": "a",
        "tags": ["vip"],
        "priority": "high",
        "ticket_id": "1",
        "requester_name": "Ann",
        "fields": {"tracking_number": "1Z1"},
        "attachments": [],
    }
    same = {**base, "description": "b", "ticket_id": "2", "requester_name": "Bo", "fields": {"tracking_number": "9"}}
    assert key.of(base, "ticket.created") == key.of(same, "ticket.created")
    assert key.of(base, "ticket.created") != key.of({**base, "subject": "App freeze"}, "ticket.created")
    assert key.of(base, "ticket.created") != key.of({**base, "tags": []}, "ticket.created")
    assert key.of(base, "ticket.created") != key.of({**base, "fields": {}}, "ticket.created")  # the bug would stop
    assert key.of(base, "ticket.created") != key.of({**base, "description": None}, "ticket.created")
    assert key.of(base, "ticket.created") != key.of(base, "ticket.updated")


def test_an_outage_of_a_read_counts_as_failed_in_both_and_is_asked_again_per_ticket(sandbox, export_tickets):
    version = _version(escalation(), "escalation")
    tickets = [t for t in export_tickets if t.requester_email == "alice@acme.example"][:6]
    sandbox.faults("salesforce", error_rate=1.0, error_status=503)

    persistent = replay_persistent(version=version, tickets=tickets)
    reads = Reads()
    memory = replay_memory(version=version, tickets=tickets, reads=reads)

    assert memory.key() == persistent.key()
    assert memory.errors == 6 and memory.unattended == 0  # a retry would be due: not an edge of the SOP
    assert reads.asked == 6 and reads.answers == {}  # a 503 is not kept as the answer for the next ticket
