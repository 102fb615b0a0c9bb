"""Every operation sopdesk can perform on an outside system, in one flat mapping.

The compiler, the validator, the editor and the engine read this registry;
nothing else hard-codes operation names. Each entry declares its typed
parameters, the facts it returns, whether it writes, and how a write is made
idempotent. `handler` is the dotted path of the function that performs it,
imported lazily on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from typing import Any, Literal

ParamType = Literal["string", "text", "integer", "number", "boolean", "list", "object", "email"]


@dataclass(frozen=True)
class Param:
    type: ParamType
    required: bool = True
    description: str = ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    name: str
    summary: str
    params: dict[str, Param]
    returns: tuple[str, ...] = ()
    writes: bool = False
    idempotency: str = ""
    handler: str = ""
    keywords: tuple[str, ...] = field(default=(), compare=False)
    # Declared operations (connectors.declared) carry their executor and, when scripted, their mock.
    origin: str = field(default="built-in", compare=False)
    call: Callable[..., dict[str, Any]] | None = field(default=None, compare=False, repr=False)
    mock: Callable[..., dict[str, Any]] | None = field(default=None, compare=False, repr=False)

    @property
    def system(self) -> str:
        return self.name.split(".", 1)[0]

    def load_handler(self) -> Callable[..., dict[str, Any]]:
        return self.call or _import(self.handler)

    def load_mock(self) -> Callable[..., dict[str, Any]]:
        """The scripted stand-in for dry runs; NotConfigured when the operation has none (never the real call)."""
        if self.mock is None:
            from connectors.base import NotConfigured

            raise NotConfigured(f"{self.name} has no mock: add scripted answers in the admin", system=self.system)
        return self.mock


def _op(name: str, summary: str, params: dict[str, Param], **kwargs: Any) -> tuple[str, Operation]:
    return name, Operation(name=name, summary=summary, params=params, **kwargs)


S = Param("string")
S_OPT = Param("string", required=False)
TEXT = Param("text")

OPERATIONS: dict[str, Operation] = dict(
    [
        # --- Salesforce -------------------------------------------------------------
        _op(
            "salesforce.query_account",
            "Find the customer's Salesforce account by email domain, organization name or account id.",
            {
                "email": Param(
                    "email", required=False, description="Requester email; matched on the account's domain."
                ),
                "organization": Param("string", required=False, description="Organization / account name."),
                "account_id": Param("string", required=False),
            },
            returns=("id", "name", "plan", "owner_email", "owner_name", "risk_flag", "match_count"),
            handler="connectors.salesforce.operations.query_account",
            keywords=("salesforce", "account", "organization", "plan", "customer"),
        ),
        _op(
            "salesforce.query_open_opportunity",
            "Find the account's open opportunity (the most recent one not closed).",
            {"account_id": S},
            returns=("id", "name", "stage", "risk_score", "amount"),
            handler="connectors.salesforce.operations.query_open_opportunity",
            keywords=("opportunity", "risk"),
        ),
        _op(
            "salesforce.update_record",
            "Update fields on a Salesforce record (Account, Opportunity, Contact, ...).",
            {"object": S, "record_id": S, "fields": Param("object", description="Field name to new value.")},
            returns=("id", "updated"),
            writes=True,
            idempotency="PATCH is naturally idempotent: the same fields set twice leave one state.",
            handler="connectors.salesforce.operations.update_record",
            keywords=("update", "mark", "flag", "set", "salesforce"),
        ),
        _op(
            "salesforce.add_note",
            "Add a note (Task record) on a Salesforce account.",
            {"account_id": S, "subject": S, "body": TEXT},
            returns=("id",),
            writes=True,
            idempotency="Upsert on the external id field SopdeskKey__c = the idempotency key.",
            handler="connectors.salesforce.operations.add_note",
            keywords=("note", "salesforce", "account"),
        ),
        # --- Jira ---------------------------------------------------------------------
        _op(
            "jira.create_issue",
            "Open a Jira issue.",
            {
                "project": S,
                "issue_type": Param("string", required=False, description="Bug, Task, Story, ... (default Task)."),
                "summary": S,
                "description": Param("text", required=False),
                "priority": Param("string", required=False, choices=("Highest", "High", "Medium", "Low", "Lowest")),
                "labels": Param("list", required=False),
                "assignee": S_OPT,
            },
            returns=("key", "id", "url"),
            writes=True,
            idempotency="A label sd-<key hash> on the issue; JQL finds an earlier create before creating again.",
            handler="connectors.jira.operations.create_issue",
            keywords=("jira", "issue", "bug", "task", "ticket", "project"),
        ),
        _op(
            "jira.add_comment",
            "Comment on a Jira issue.",
            {"issue_key": S, "body": TEXT},
            returns=("id",),
            writes=True,
            idempotency="The comment carries a hidden marker with the key; existing comments are checked first.",
            handler="connectors.jira.operations.add_comment",
            keywords=("jira", "comment"),
        ),
        _op(
            "jira.link_issues",
            "Link two Jira issues.",
            {"link_type": S, "inward_issue": S, "outward_issue": S},
            returns=("linked",),
            writes=True,
            idempotency="Existing links between the two issues are checked first.",
            handler="connectors.jira.operations.link_issues",
            keywords=("jira", "link"),
        ),
        _op(
            "jira.transition_issue",
            "Move a Jira issue to another status.",
            {"issue_key": S, "transition": S},
            returns=("status",),
            writes=True,
            idempotency="No-op when the issue is already in the target status.",
            handler="connectors.jira.operations.transition_issue",
            keywords=("jira", "transition", "resolve", "done"),
        ),
        _op(
            "jira.get_issue",
            "Read a Jira issue's status and fields.",
            {"issue_key": S},
            returns=("key", "status", "summary", "assignee", "resolved"),
            handler="connectors.jira.operations.get_issue",
            keywords=("jira", "status"),
        ),
        # --- Zendesk ------------------------------------------------------------------
        _op(
            "zendesk.get_ticket",
            "Read a Zendesk ticket with its requester and organization.",
            {"ticket_id": S},
            returns=("id", "subject", "description", "status", "tags", "requester_email", "organization", "group"),
            handler="connectors.zendesk.operations.get_ticket",
            keywords=("zendesk", "ticket"),
        ),
        _op(
            "zendesk.add_note",
            "Add an internal note to a Zendesk ticket.",
            {"ticket_id": S, "body": TEXT},
            returns=("ticket_id",),
            writes=True,
            idempotency="A tag sd-<key hash> is added in the same update as the note; the ticket's tags are checked first.",
            handler="connectors.zendesk.operations.add_note",
            keywords=("internal note", "note", "zendesk"),
        ),
        _op(
            "zendesk.reply",
            "Reply to the requester on a Zendesk ticket (public comment unless public is false).",
            {"ticket_id": S, "body": TEXT, "public": Param("boolean", required=False)},
            returns=("ticket_id",),
            writes=True,
            idempotency="A tag sd-<key hash> is added in the same update as the reply; the ticket's tags are checked first.",
            handler="connectors.zendesk.operations.reply",
            keywords=("reply", "respond", "tell", "ask", "answer", "customer"),
        ),
        _op(
            "zendesk.add_tags",
            "Add tags to a Zendesk ticket.",
            {"ticket_id": S, "tags": Param("list")},
            returns=("tags",),
            writes=True,
            idempotency="Tags are a set: adding a present tag changes nothing.",
            handler="connectors.zendesk.operations.add_tags",
            keywords=("tag",),
        ),
        _op(
            "zendesk.update_ticket",
            "Change a Zendesk ticket's status, priority, group or assignee.",
            {
                "ticket_id": S,
                "status": Param(
                    "string", required=False, choices=("new", "open", "pending", "hold", "solved", "closed")
                ),
                "priority": Param("string", required=False, choices=("low", "normal", "high", "urgent")),
                "group": S_OPT,
                "assignee_email": Param("email", required=False),
            },
            returns=("ticket_id", "status"),
            writes=True,
            idempotency="Setting the same values twice leaves one state.",
            handler="connectors.zendesk.operations.update_ticket",
            keywords=("close", "solve", "assign", "forward", "group", "priority"),
        ),
        # --- Email --------------------------------------------------------------------
        _op(
            "email.send",
            "Send an email through the configured mail server.",
            {"to": Param("list", description="Addresses."), "subject": S, "body": TEXT},
            returns=("message_id",),
            writes=True,
            idempotency="The Message-ID is derived from the key and recorded; a recorded key is not sent again.",
            handler="connectors.email.operations.send",
            keywords=("email", "mail", "notify", "remind", "warn"),
        ),
        # --- Generic HTTP -------------------------------------------------------------
        _op(
            "http.request",
            "Call a configured HTTP endpoint (status page, paging webhook, order system, ...).",
            {
                "endpoint": Param("string", description="Name of an endpoint configured in SOPDESK_HTTP_ENDPOINTS."),
                "method": Param("string", required=False, choices=("GET", "POST", "PUT", "PATCH", "DELETE")),
                "path": S_OPT,
                "body": Param("object", required=False),
            },
            returns=("status", "body"),
            writes=True,
            idempotency="An Idempotency-Key header carries the key.",
            handler="connectors.http.operations.request",
            keywords=("webhook", "page", "status page", "portal", "system", "registry"),
        ),
        # --- Carrier claims portal ----------------------------------------------------
        _op(
            "carrier.lookup_shipment",
            "Look a shipment up by tracking number in the carrier's records.",
            {"carrier": S, "tracking_number": S},
            returns=("tracking_number", "carrier", "ship_date", "declared_value", "status", "delivered_at"),
            handler="connectors.carrier.operations.lookup_shipment",
            keywords=("shipment", "tracking", "carrier", "look up"),
        ),
        _op(
            "carrier.file_claim",
            "File a freight claim on the carrier's claims portal.",
            {
                "carrier": S,
                "tracking_number": S,
                "amount": Param("number"),
                "description": Param("text", required=False),
                "photos": Param("list", required=False),
            },
            returns=("claim_id", "status"),
            writes=True,
            idempotency="An Idempotency-Key header; the portal returns the earlier claim for a repeated key.",
            handler="connectors.carrier.operations.file_claim",
            keywords=("file", "claim", "carrier", "portal"),
        ),
        _op(
            "carrier.claim_status",
            "Read a filed claim's status and settled amount.",
            {"carrier": S, "claim_id": S},
            returns=("claim_id", "status", "settled", "settled_amount"),
            handler="connectors.carrier.operations.claim_status",
            keywords=("claim", "status", "settled"),
        ),
        _op(
            "carrier.send_follow_up",
            "Send the carrier a follow-up message on an open claim.",
            {"carrier": S, "claim_id": S, "message": Param("text", required=False)},
            returns=("claim_id", "follow_ups"),
            writes=True,
            idempotency="An Idempotency-Key header; a repeated key returns the earlier follow-up.",
            handler="connectors.carrier.operations.send_follow_up",
            keywords=("follow-up", "follow up", "chase", "carrier"),
        ),
    ]
)


class UnknownOperation(KeyError):
    code = "unknown_operation"


def operations() -> dict[str, Operation]:
    """Every operation an SOP may use: the built-in ones above, plus the team's declared ones.

    Read the registry through this function (or `get`), never through OPERATIONS directly,
    so declared operations are seen everywhere the built-in ones are. Declared operations are
    cached per process and reloaded when any declaration changes (one indexed read per call);
    without database access (e.g. a unit test of the engine core) only the built-in ones exist.
    """
    from connectors.declared.catalog import declared_operations

    declared = declared_operations()
    return {**OPERATIONS, **declared} if declared else OPERATIONS


def get(name: str) -> Operation:
    if name in OPERATIONS:  # a declared operation never shadows a built-in one: no need to read the declarations
        return OPERATIONS[name]
    known = operations()
    try:
        return known[name]
    except KeyError:
        raise UnknownOperation(f"no operation {name!r}; known: {', '.join(sorted(known))}") from None


def check_params(operation: Operation, params: dict[str, Any]) -> list[str]:
    """Problems with a step's parameters for this operation (names only: values may be templates)."""
    problems = [f"unknown parameter {name!r}" for name in params if name not in operation.params]
    problems += [
        f"missing required parameter {name!r}"
        for name, spec in operation.params.items()
        if spec.required and name not in params
    ]
    return problems


@cache
def _import(dotted: str) -> Callable[..., dict[str, Any]]:
    module_name, _, attr = dotted.rpartition(".")
    return getattr(import_module(module_name), attr)
