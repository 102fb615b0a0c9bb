"""The case facts the engine gives every step as `case.<name>` (see procedures.compiler.rules for the naming)."""

from __future__ import annotations

CASE_FACTS = frozenset(
    {
        "id",
        "subject",
        "description",
        "tags",
        "requester_email",
        "requester_name",
        "organization",
        "ticket_id",
        "url",
        "amount",
        "fields",
        "attachments",
        "group",
        "priority",
        "tier",
        "status",
        "assignee_email",
        "source",
        "external_id",
        "created_at",
    }
)
# The ones an SOP sentence can mean: not the engine's bookkeeping, nor the `fields` map as a whole.
SENTENCE_FACTS = CASE_FACTS - {"id", "external_id", "source", "created_at", "fields"}
