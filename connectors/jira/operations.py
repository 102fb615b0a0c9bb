"""Jira operations (see the registry): create, comment, link, transition, read.

Jira has no idempotency key on writes (shared/WIRE.md §7). Each write looks
for its own earlier result first and the look-up plus the write are retried
together, so an attempt whose response was lost is found, not repeated:
a label `sd-<hash>` on created issues, a `[sopdesk-ref sd-<hash>]` line in
comments, the existing links, the current status.
"""

from __future__ import annotations

from typing import Any

from connectors import idempotency, retry
from connectors.base import NotFound, PermanentError
from connectors.jira import client


def _issue_facts(issue: Any) -> dict[str, Any]:
    return {"key": issue.key, "id": str(issue.id), "url": client.browse_url(issue.key)}


def create_issue(params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    marker = idempotency.token(idempotency_key)
    fields: dict[str, Any] = {
        "project": {"key": str(params["project"])},
        "summary": str(params["summary"])[:255],
        "issuetype": {"name": params.get("issue_type") or "Task"},
        "labels": [*[str(label).replace(" ", "-") for label in params.get("labels") or []], marker],
    }
    if params.get("description"):
        fields["description"] = str(params["description"])
    if params.get("priority"):
        fields["priority"] = {"name": params["priority"]}
    if params.get("assignee"):
        fields["assignee"] = {"accountId": params["assignee"]}

    def attempt() -> dict[str, Any]:
        earlier = client.call(lambda j: j.search_issues(f'labels = "{marker}"', maxResults=1, fields="summary"))
        if earlier:
            return _issue_facts(earlier[0])
        return _issue_facts(client.call(lambda j: j.create_issue(fields=fields, prefetch=False), retried=False))

    return retry.run(attempt, classify=client.classify)


def add_comment(params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    key, marker = str(params["issue_key"]), idempotency.token(idempotency_key)
    body = f"{params['body']}\n\n[sopdesk-ref {marker}]"

    def attempt() -> dict[str, Any]:
        for comment in client.call(lambda j: j.comments(key)):
            if marker in (comment.body or ""):
                return {"id": str(comment.id)}
        return {"id": str(client.call(lambda j: j.add_comment(key, body), retried=False).id)}

    return retry.run(attempt, classify=client.classify)


def _linked(issue: Any, link_type: str, other: str) -> bool:
    for link in getattr(issue.fields, "issuelinks", None) or []:
        linked = getattr(link, "outwardIssue", None) or getattr(link, "inwardIssue", None)
        if link.type.name.lower() == link_type.lower() and linked is not None and linked.key == other:
            return True
    return False


def link_issues(params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    link_type, inward, outward = str(params["link_type"]), str(params["inward_issue"]), str(params["outward_issue"])

    def attempt() -> dict[str, Any]:
        issue = client.call(lambda j: j.issue(inward, fields="issuelinks"))
        if not _linked(issue, link_type, outward):
            client.call(lambda j: j.create_issue_link(link_type, inward, outward), retried=False)
        return {"linked": True}

    return retry.run(attempt, classify=client.classify)


def transition_issue(params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    """`transition` may name the transition or its target status; already there means nothing to do."""
    key, wanted = str(params["issue_key"]), str(params["transition"]).strip().lower()

    def attempt() -> dict[str, Any]:
        issue = client.call(lambda j: j.issue(key, fields="status"))
        current = issue.fields.status.name
        available = client.call(lambda j: j.transitions(key))
        match = next((t for t in available if wanted in (t["name"].lower(), t["to"]["name"].lower())), None)
        if match is None:
            if current.lower() == wanted:
                return {"status": current}
            names = ", ".join(t["name"] for t in available)
            raise PermanentError(
                f"no transition {params['transition']!r} on {key} (available: {names})", system=client.SYSTEM
            )
        target = match["to"]["name"]
        if current != target:
            client.call(lambda j: j.transition_issue(key, match["id"]), retried=False)
        return {"status": target}

    return retry.run(attempt, classify=client.classify)


def get_issue(params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    key = str(params["issue_key"])
    try:
        issue = client.call(lambda j: j.issue(key))
    except NotFound:
        raise NotFound(f"no Jira issue {key}", system=client.SYSTEM) from None
    fields = issue.fields
    assignee = getattr(fields, "assignee", None)
    status = fields.status
    return {
        "key": issue.key,
        "status": status.name,
        "summary": fields.summary,
        "assignee": (getattr(assignee, "displayName", None) or getattr(assignee, "accountId", None) or "")
        if assignee
        else "",
        "resolved": status.statusCategory.key == "done",
    }
