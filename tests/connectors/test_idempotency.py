"""Every write in the registry, replayed with the same key, leaves one remote object and the same result.

Replays happen both plainly and with the first write's response lost (the
emulator applies the write, then answers 503), the case idempotency keys exist for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from connectors.registry import OPERATIONS, get

Setup = Callable[[Any], dict[str, Any]]
Count = Callable[[Any], int]


def _account(sandbox) -> str:
    return get("salesforce.query_account").load_handler()({"email": "alice@acme.example"})["id"]


def _issue(sandbox) -> str:
    return get("jira.create_issue").load_handler()({"project": "ENG", "summary": "base"}, idempotency_key="base")["key"]


def _claim(sandbox) -> str:
    return get("carrier.file_claim").load_handler()(
        {"carrier": "UPS", "tracking_number": "1Z0000000000001200", "amount": 100}, idempotency_key="base"
    )["claim_id"]


def _comments(sandbox, ticket_id=1) -> int:
    return len(sandbox.inspect("zendesk")["tickets"][ticket_id]["comments"])


# operation -> (the system that receives the write, params from a prepared sandbox, how many remote objects)
WRITES: dict[str, tuple[str, Setup, Count]] = {
    "salesforce.update_record": (
        "salesforce",
        lambda s: {"object": "Account", "record_id": _account(s), "fields": {"Risk_Flag__c": True}},
        lambda s: sum(1 for a in s.inspect("salesforce")["records"]["Account"].values() if a.get("Risk_Flag__c")),
    ),
    "salesforce.add_note": (
        "salesforce",
        lambda s: {"account_id": _account(s), "subject": "Escalated", "body": "ENG-1"},
        lambda s: len(s.inspect("salesforce")["records"]["Task"]),
    ),
    "jira.create_issue": (
        "jira",
        lambda s: {"project": "ENG", "issue_type": "Bug", "summary": "Crash", "priority": "High"},
        lambda s: len(s.inspect("jira")["issues"]),
    ),
    "jira.add_comment": (
        "jira",
        lambda s: {"issue_key": _issue(s), "body": "note"},
        lambda s: sum(len(i["comments"]) for i in s.inspect("jira")["issues"].values()),
    ),
    "jira.link_issues": (
        "jira",
        lambda s: {
            "link_type": "Relates",
            "inward_issue": _issue(s),
            "outward_issue": get("jira.create_issue").load_handler()(
                {"project": "ENG", "summary": "other"}, idempotency_key="other"
            )["key"],
        },
        lambda s: len(s.inspect("jira")["links"]),
    ),
    "jira.transition_issue": (
        "jira",
        lambda s: {"issue_key": _issue(s), "transition": "Done"},
        lambda s: sum(1 for i in s.inspect("jira")["issues"].values() if i["fields"]["status"]["name"] == "Done"),
    ),
    "zendesk.add_note": ("zendesk", lambda s: {"ticket_id": "1", "body": "ENG-1"}, _comments),
    "zendesk.reply": ("zendesk", lambda s: {"ticket_id": "1", "body": "Logged."}, _comments),
    "zendesk.add_tags": (
        "zendesk",
        lambda s: {"ticket_id": "1", "tags": ["jira-linked"]},
        lambda s: s.inspect("zendesk")["tickets"][1]["tags"].count("jira-linked"),
    ),
    "zendesk.update_ticket": (
        "zendesk",
        lambda s: {"ticket_id": "1", "status": "solved"},
        lambda s: sum(1 for t in s.inspect("zendesk")["tickets"].values() if t["status"] == "solved"),
    ),
    "email.send": (
        "email",
        lambda s: {"to": ["am@acme.example"], "subject": "ENG-1", "body": "x"},
        lambda s: len(s.mail()),
    ),
    "http.request": (
        "http",
        lambda s: {"endpoint": "status_page", "body": {"status": "degraded"}},
        lambda s: len(s.inspect("http")["received"]),
    ),
    "carrier.file_claim": (
        "carrier",
        lambda s: {"carrier": "UPS", "tracking_number": "1Z0000000000008400", "amount": 8400},
        lambda s: len(s.inspect("carrier")["claims"]),
    ),
    "carrier.send_follow_up": (
        "carrier",
        lambda s: {"carrier": "UPS", "claim_id": _claim(s)},
        lambda s: sum(len(c["follow_up_log"]) for c in s.inspect("carrier")["claims"].values()),
    ),
}


def test_every_write_in_the_registry_has_a_replay_test():
    assert set(WRITES) == {name for name, operation in OPERATIONS.items() if operation.writes}


@pytest.mark.parametrize("name", sorted(WRITES))
def test_replaying_a_write_with_the_same_key_leaves_one_remote_object(name, sandbox, db):
    _system, setup, count = WRITES[name]
    params = setup(sandbox)
    before = count(sandbox)
    handler = get(name).load_handler()

    first = handler(params, idempotency_key=f"run-7:{name}")
    second = handler(params, idempotency_key=f"run-7:{name}")

    assert second == first
    assert count(sandbox) == before + 1


@pytest.mark.parametrize("name", sorted(n for n, (system, _, _) in WRITES.items() if system != "email"))
def test_a_write_whose_response_was_lost_is_not_repeated(name, sandbox, db):
    system, setup, count = WRITES[name]
    params = setup(sandbox)
    before = count(sandbox)
    # The first write is applied, then answered 503: the client never sees its result.
    sandbox.faults(system, script=[503], when="after", writes_only=True)

    result = get(name).load_handler()(params, idempotency_key=f"run-8:{name}")

    assert sandbox.inspect(system)["faults"]["injected"] == 1
    assert count(sandbox) == before + 1
    assert result
