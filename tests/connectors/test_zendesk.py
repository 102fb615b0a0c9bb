"""Zendesk operations through zenpy over HTTP to the emulator."""

from __future__ import annotations

import pytest

from connectors.base import NotFound, PermanentError
from connectors.registry import get


def op(name):
    return get(name).load_handler()


def ticket(sandbox, ticket_id):
    return sandbox.inspect("zendesk")["tickets"][ticket_id]


def test_get_ticket_with_requester_organization_and_group(sandbox):
    assert op("zendesk.get_ticket")({"ticket_id": "1"}) == {
        "id": 1,
        "subject": "Export to CSV crashes",
        "description": "Exporting the Q3 report crashes the app.",
        "status": "new",
        "tags": ["product-bug"],
        "requester_email": "alice@acme.example",
        "organization": "Acme Corp",
        "group": "Support",
    }


def test_get_ticket_of_a_requester_without_organization(sandbox):
    assert op("zendesk.get_ticket")({"ticket_id": 4})["organization"] == ""


def test_get_missing_ticket_is_not_found(sandbox):
    with pytest.raises(NotFound):
        op("zendesk.get_ticket")({"ticket_id": "999"})


def test_add_note_is_an_internal_comment(sandbox):
    assert op("zendesk.add_note")({"ticket_id": "1", "body": "Jira: ENG-1"}, idempotency_key="run:note") == {
        "ticket_id": 1
    }
    comments = ticket(sandbox, 1)["comments"]
    assert (comments[-1]["body"], comments[-1]["public"]) == ("Jira: ENG-1", False)


def test_reply_is_public_unless_told_otherwise(sandbox):
    op("zendesk.reply")({"ticket_id": "3", "body": "Logged for the product team."}, idempotency_key="r1")
    op("zendesk.reply")({"ticket_id": "3", "body": "Internal after all.", "public": False}, idempotency_key="r2")
    comments = ticket(sandbox, 3)["comments"]
    assert [(c["body"], c["public"]) for c in comments[1:]] == [
        ("Logged for the product team.", True),
        ("Internal after all.", False),
    ]


def test_add_tags_keeps_existing_tags(sandbox):
    op("zendesk.add_note")({"ticket_id": "1", "body": "x"}, idempotency_key="n")
    assert op("zendesk.add_tags")({"ticket_id": "1", "tags": ["jira-linked"]})["tags"] == ["product-bug", "jira-linked"]
    assert ticket(sandbox, 1)["tags"][0] == "product-bug" and ticket(sandbox, 1)["tags"][-1] == "jira-linked"
    assert op("zendesk.get_ticket")({"ticket_id": "1"})["tags"] == ["product-bug", "jira-linked"]  # no markers


def test_update_ticket_status_priority_group_and_assignee(sandbox):
    result = op("zendesk.update_ticket")(
        {
            "ticket_id": "2",
            "status": "pending",
            "priority": "urgent",
            "group": "Tier 2",
            "assignee_email": "lead@sopdesk.example",
        }
    )
    assert result == {"ticket_id": 2, "status": "pending"}
    stored = ticket(sandbox, 2)
    assert (stored["status"], stored["priority"], stored["group_id"], stored["assignee_id"]) == (
        "pending",
        "urgent",
        301,
        110,
    )


def test_update_ticket_to_an_end_user_assignee_is_permanent_with_the_remote_message(sandbox):
    with pytest.raises(PermanentError) as caught:
        op("zendesk.update_ticket")({"ticket_id": "2", "assignee_email": "alice@acme.example"})
    assert caught.value.status == 422
    assert "is not an agent" in caught.value.remote_message


def test_update_ticket_with_unknown_group_is_not_found(sandbox):
    with pytest.raises(NotFound):
        op("zendesk.update_ticket")({"ticket_id": "2", "group": "Nobody"})


def test_429_is_retried(sandbox):
    sandbox.faults("zendesk", script=[429, 429])
    op("zendesk.add_tags")({"ticket_id": "1", "tags": ["retried"]})
    assert "retried" in ticket(sandbox, 1)["tags"]


def test_a_lost_note_response_does_not_add_the_note_twice(sandbox):
    sandbox.faults("zendesk", script=[200, 503], when="after")  # GET passes, the PUT commits and answers 503
    op("zendesk.add_note")({"ticket_id": "1", "body": "once"}, idempotency_key="lost")
    assert [c["body"] for c in ticket(sandbox, 1)["comments"]].count("once") == 1
