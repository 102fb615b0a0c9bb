"""Hand-written graphs for the engine's unit tests (the compiler's output is tested end to end)."""

from __future__ import annotations

from procedures.steps import Graph, parse


def escalation() -> Graph:
    return parse(
        {
            "title": "Product bug escalation",
            "trigger": {"source": "zendesk", "events": ["ticket.created", "ticket.updated"], "tags": ["product-bug"]},
            "start": "find_account",
            "steps": [
                {
                    "kind": "gather",
                    "key": "find_account",
                    "title": "Find the account",
                    "instruction": "Find the requester's organization in Salesforce and read the account's plan.",
                    "operation": "salesforce.query_account",
                    "params": {"email": "{{ case.requester_email }}"},
                    "save_as": "account",
                    "required": ["plan"],
                    "next": "is_free",
                },
                {
                    "kind": "decide",
                    "key": "is_free",
                    "title": "Is the plan Free?",
                    "branches": [{"when": "account.plan == 'Free'", "next": "reply_free"}],
                    "otherwise": "open_bug",
                },
                {
                    "kind": "act",
                    "key": "reply_free",
                    "title": "Reply",
                    "operation": "zendesk.reply",
                    "params": {"ticket_id": "{{ case.ticket_id }}", "body": "Logged for the product team."},
                    "next": "done_free",
                },
                {"kind": "end", "key": "done_free", "title": "Stop", "outcome": "resolved"},
                {
                    "kind": "act",
                    "key": "open_bug",
                    "title": "Open a Bug",
                    "operation": "jira.create_issue",
                    "params": {
                        "project": "ENG",
                        "issue_type": "Bug",
                        "summary": "{{ case.subject }}",
                        "description": "{{ case.description }} ({{ account.name }}, {{ account.plan }}) {{ case.url }}",
                        "priority": "{{ account.plan == 'Enterprise' ? 'Highest' : 'High' }}",
                    },
                    "save_as": "jira",
                    "next": "note",
                },
                {
                    "kind": "act",
                    "key": "note",
                    "title": "Note the key",
                    "operation": "zendesk.add_note",
                    "params": {"ticket_id": "{{ case.ticket_id }}", "body": "Jira: {{ jira.key }}"},
                    "next": "done",
                },
                {"kind": "end", "key": "done", "title": "Done", "outcome": "resolved"},
            ],
        }
    )


def claim() -> Graph:
    return parse(
        {
            "title": "Freight claims",
            "start": "check_amount",
            "steps": [
                {
                    "kind": "decide",
                    "key": "check_amount",
                    "title": "Over $5,000?",
                    "branches": [{"when": "case.amount > 5000", "next": "approval"}],
                    "otherwise": "file",
                },
                {
                    "kind": "approve",
                    "key": "approval",
                    "title": "Claims manager approval",
                    "role": "claims manager",
                    "evidence": [{"kind": "photo", "min_count": 1}],
                    "on_missing_evidence": "ask_photo",
                    "on_approved": "file",
                    "on_rejected": "rejected",
                },
                {
                    "kind": "act",
                    "key": "ask_photo",
                    "title": "Ask for a photo",
                    "operation": "zendesk.reply",
                    "params": {"ticket_id": "{{ case.ticket_id }}", "body": "Please send a photo."},
                    "next": "wait_photo",
                },
                {
                    "kind": "wait",
                    "key": "wait_photo",
                    "title": "Wait for the reply",
                    "delay": {"days": 5},
                    "for_event": "customer.replied",
                    "on_event": "approval",
                    "next": "abandon",
                },
                {"kind": "end", "key": "abandon", "title": "Abandoned", "outcome": "abandoned"},
                {"kind": "end", "key": "rejected", "title": "Rejected", "outcome": "closed"},
                {
                    "kind": "act",
                    "key": "file",
                    "title": "File the claim",
                    "operation": "carrier.file_claim",
                    "params": {
                        "carrier": "UPS",
                        "tracking_number": "{{ case.fields.tracking_number }}",
                        "amount": "{{ case.amount }}",
                    },
                    "save_as": "claim",
                    "next": "wait_7",
                },
                {
                    "kind": "wait",
                    "key": "wait_7",
                    "title": "7 days",
                    "delay": {"days": 7},
                    "anchor": "file",
                    "for_event": "claim.settled",
                    "on_event": "close",
                    "next": "close",
                },
                {"kind": "end", "key": "close", "title": "Close", "outcome": "closed"},
            ],
        }
    )
