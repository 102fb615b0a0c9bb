"""Zendesk Support emulator: tickets (get/create/update with comments and tags), users, organizations, groups, search.

Paths and shapes follow what zenpy sends and accepts (shared/WIRE.md §4):
`.json` suffixes, `{"ticket": ...}` envelopes, an `audit` on ticket writes,
`requester_id` (never a nested requester), and Zendesk's error bodies
(`{"error": "RecordNotFound", "description": ...}`). Auth is
`email/token:token` basic auth with the sandbox credentials.
"""

from __future__ import annotations

import base64
import itertools
import re
from datetime import UTC, datetime
from html import escape
from typing import Any

from connectors.config import SANDBOX_CREDENTIALS
from connectors.sandbox import seed
from connectors.sandbox.server import Emulator, Request, Response

P = r"/api/v2"
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = (None, "low", "normal", "high", "urgent")
# Ticket fields as GET /api/v2/ticket_fields.json lists them: system fields, then custom ones.
TICKET_FIELDS = [
    {"id": 1, "type": "subject", "title": "Subject", "active": True, "removable": False},
    {"id": 2, "type": "description", "title": "Description", "active": True, "removable": False},
    {"id": 3, "type": "priority", "title": "Priority", "active": True, "removable": False},
    {"id": 360001, "type": "text", "title": "Order number", "active": True, "removable": True},
    {
        "id": 360002,
        "type": "tagger",
        "title": "Customer region",
        "active": True,
        "removable": True,
        "custom_field_options": [
            {"id": 1, "name": "EU West", "value": "eu-west"},
            {"id": 2, "name": "US East", "value": "us-east"},
        ],
    },
    {"id": 360003, "type": "decimal", "title": "Order value", "active": True, "removable": True},
    {"id": 360004, "type": "checkbox", "title": "VIP customer", "active": True, "removable": True},
]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ZendeskEmulator(Emulator):
    system = "zendesk"

    def seed(self) -> None:
        self.organizations = {o["id"]: {**o, "created_at": _now()} for o in seed.ZD_ORGANIZATIONS}
        self.groups = {g["id"]: {**g, "created_at": _now()} for g in seed.ZD_GROUPS}
        self.users = {u["id"]: {**u, "external_id": None, "created_at": _now()} for u in seed.ZD_USERS}
        self.tickets: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self._ids = itertools.count(1000)
        for ticket_id, requester, subject, description, tags, group in seed.ZD_TICKETS:
            self._store_ticket(
                {
                    "id": ticket_id,
                    "subject": subject,
                    "description": description,
                    "tags": tags,
                    "requester_id": requester,
                    "group_id": group,
                    "status": "new",
                }
            )

    def snapshot(self) -> dict[str, Any]:
        tickets = {tid: {**t, "comments": self.comments[tid]} for tid, t in self.tickets.items()}
        return {"tickets": tickets, "users": self.users, "organizations": self.organizations}

    def routes(self):
        return [
            ("GET", r"/agent/tickets/(?P<id>\d+)", self.agent_page),
            ("GET", P + r"/tickets/(?P<id>\d+)\.json", self.get_ticket),
            ("PUT", P + r"/tickets/(?P<id>\d+)\.json", self.update_ticket),
            ("GET", P + r"/tickets/(?P<id>\d+)/comments\.json", self.get_comments),
            ("GET", P + r"/tickets\.json", self.list_tickets),
            ("POST", P + r"/tickets\.json", self.create_ticket),
            ("GET", P + r"/users/me\.json", self.me),
            ("GET", P + r"/users/(?P<id>\d+)\.json", self.get_user),
            ("GET", P + r"/users/show_many\.json", self.show_many_users),
            ("GET", P + r"/organizations/(?P<id>\d+)\.json", self.get_organization),
            ("GET", P + r"/groups\.json", self.list_groups),
            ("GET", P + r"/groups/(?P<id>\d+)\.json", self.get_group),
            ("GET", P + r"/search\.json", self.search),
            ("GET", P + r"/ticket_fields\.json", self.list_ticket_fields),
        ]

    def list_ticket_fields(self, request: Request) -> Response:
        fields = [{**f, "url": f"{self.base_url}/api/v2/ticket_fields/{f['id']}.json"} for f in TICKET_FIELDS]
        return Response(200, {"ticket_fields": fields, "count": len(fields), "next_page": None, "previous_page": None})

    def authorized(self, request: Request) -> bool:
        if request.path.startswith("/agent/"):
            return True  # the human-facing ticket page links point to (connectors/zendesk/links.py)
        creds = SANDBOX_CREDENTIALS["zendesk"]
        expected = base64.b64encode(f"{creds['email']}/token:{creds['token']}".encode()).decode()
        return request.headers.get("Authorization", "") == f"Basic {expected}"

    def error_response(self, status: int, message: str) -> Response:
        name = {401: "Couldn't authenticate you", 404: "RecordNotFound", 422: "RecordInvalid"}.get(status)
        if status == 401:
            return Response(401, {"error": name})
        if status == 429:
            return Response(429, "Too Many Requests", {"Content-Type": "text/plain"})
        return Response(status, {"error": name or "ServerError", "description": message})

    def _invalid(self, details: dict[str, str]) -> Response:
        return Response(
            422,
            {
                "error": "RecordInvalid",
                "description": "Record validation errors",
                "details": {k: [{"description": v}] for k, v in details.items()},
            },
        )

    def _not_found(self) -> Response:
        return Response(404, {"error": "RecordNotFound", "description": "Not found"})

    # --- rendering ----------------------------------------------------------------------
    def _ticket(self, ticket: dict[str, Any]) -> dict[str, Any]:
        return {**ticket, "url": f"{self.base_url}/api/v2/tickets/{ticket['id']}.json"}

    def _audit(self, ticket_id: int, events: list[dict[str, Any]]) -> dict[str, Any]:
        return {"id": next(self._ids), "ticket_id": ticket_id, "created_at": _now(), "author_id": 120, "events": events}

    def _store_ticket(self, data: dict[str, Any]) -> dict[str, Any]:
        ticket = {
            "id": data["id"],
            "subject": data.get("subject", ""),
            "raw_subject": data.get("subject", ""),
            "description": data.get("description", ""),
            "status": data.get("status", "new"),
            "priority": data.get("priority"),
            "type": data.get("type"),
            "tags": list(data.get("tags") or []),
            "requester_id": data["requester_id"],
            "submitter_id": data["requester_id"],
            "assignee_id": data.get("assignee_id"),
            "group_id": data.get("group_id"),
            "organization_id": self.users[data["requester_id"]].get("organization_id"),
            "external_id": data.get("external_id"),
            "created_at": _now(),
            "updated_at": _now(),
            "via": {"channel": "api"},
            "custom_fields": data.get("custom_fields") or [],
        }
        self.tickets[ticket["id"]] = ticket
        self.comments[ticket["id"]] = []
        self._add_comment(ticket["id"], ticket["description"], public=True, author_id=data["requester_id"])
        return ticket

    def _add_comment(self, ticket_id: int, body: str, *, public: bool, author_id: int) -> dict[str, Any]:
        comment = {
            "id": next(self._ids),
            "type": "Comment",
            "author_id": author_id,
            "body": body,
            "html_body": f"<p>{body}</p>",
            "plain_body": body,
            "public": public,
            "created_at": _now(),
        }
        self.comments[ticket_id].append(comment)
        return comment

    # --- tickets ------------------------------------------------------------------------
    def agent_page(self, request: Request) -> Response:
        ticket = self.tickets.get(int(request.params["id"]))
        if ticket is None:
            return Response(404, "Ticket not found", {"Content-Type": "text/plain"})
        comments = "".join(
            f"<li>{'public' if c.get('public') else 'internal note'}: {escape(c.get('body') or '')}</li>"
            for c in self.comments[ticket["id"]]
        )
        page = (
            f"<!doctype html><title>Ticket #{ticket['id']}</title><h1>#{ticket['id']}: {escape(ticket['subject'])}</h1>"
            f"<p>{escape(ticket['status'])} · {escape(ticket.get('priority') or 'no priority')} · tags "
            f"{escape(' '.join(ticket['tags']))}</p><ol>{comments}</ol>"
        )
        return Response(200, page, {"Content-Type": "text/html; charset=utf-8"})

    def get_ticket(self, request: Request) -> Response:
        ticket = self.tickets.get(int(request.params["id"]))
        return Response(200, {"ticket": self._ticket(ticket)}) if ticket else self._not_found()

    def get_comments(self, request: Request) -> Response:
        ticket_id = int(request.params["id"])
        if ticket_id not in self.tickets:
            return self._not_found()
        comments = self.comments[ticket_id]
        return Response(200, {"comments": comments, "count": len(comments), "next_page": None, "previous_page": None})

    def list_tickets(self, request: Request) -> Response:
        external_id = request.arg("external_id")
        found = [
            self._ticket(t) for t in self.tickets.values() if external_id is None or t["external_id"] == external_id
        ]
        return Response(200, {"tickets": found, "count": len(found), "next_page": None, "previous_page": None})

    def update_ticket(self, request: Request) -> Response:
        ticket = self.tickets.get(int(request.params["id"]))
        if ticket is None:
            return self._not_found()
        data = request.json().get("ticket") or {}
        problems = {}
        if "status" in data and data["status"] not in STATUSES:
            problems["status"] = f"Status: {data['status']} is not valid"
        if "priority" in data and data["priority"] not in PRIORITIES:
            problems["priority"] = f"Priority: {data['priority']} is not valid"
        if data.get("group_id") is not None and data["group_id"] not in self.groups:
            problems["group"] = "Group: is invalid"
        if data.get("assignee_id") is not None and self.users.get(data["assignee_id"], {}).get("role") == "end-user":
            problems["assignee"] = "Assignee: is not an agent"
        if ticket["status"] == "closed":
            problems["status"] = "Status: closed prevents ticket update"
        if problems:
            return self._invalid(problems)
        events = []
        for name in ("status", "priority", "group_id", "assignee_id", "subject", "external_id"):
            if name in data and data[name] != ticket[name]:
                events.append(
                    {"type": "Change", "field_name": name, "value": data[name], "previous_value": ticket[name]}
                )
                ticket[name] = data[name]
        if "tags" in data:
            ticket["tags"] = sorted(dict.fromkeys(data["tags"]))
        for tag in data.get("additional_tags") or []:
            if tag not in ticket["tags"]:
                ticket["tags"].append(tag)
        comment = data.get("comment")
        if comment and (comment.get("body") or comment.get("html_body")):
            created = self._add_comment(
                ticket["id"],
                comment.get("body") or comment.get("html_body"),
                public=comment.get("public", True),
                author_id=comment.get("author_id", 120),
            )
            events.append({"type": "Comment", **created})
            if ticket["status"] == "new" and "status" not in data:
                ticket["status"] = "open"
        ticket["updated_at"] = _now()
        return Response(200, {"ticket": self._ticket(ticket), "audit": self._audit(ticket["id"], events)})

    def create_ticket(self, request: Request) -> Response:
        data = dict(request.json().get("ticket") or {})
        requester = data.pop("requester", None)
        if requester and "email" in requester:
            found = next((u for u in self.users.values() if u["email"] == requester["email"]), None)
            if found is None:
                user_id = next(self._ids)
                found = {
                    "id": user_id,
                    "name": requester.get("name") or requester["email"],
                    "email": requester["email"],
                    "organization_id": None,
                    "role": "end-user",
                    "external_id": None,
                    "created_at": _now(),
                }
                self.users[user_id] = found
            data["requester_id"] = found["id"]
        data.setdefault("requester_id", 120)
        comment = data.pop("comment", None) or {}
        data["description"] = data.get("description") or comment.get("body") or ""
        if not data["description"]:
            return self._invalid({"description": "Description: cannot be blank"})
        if data["requester_id"] not in self.users:
            return self._invalid({"requester": "Requester: is invalid"})
        data["id"] = max(self.tickets, default=0) + 1
        ticket = self._store_ticket(data)
        return Response(201, {"ticket": self._ticket(ticket), "audit": self._audit(ticket["id"], [])})

    # --- people -------------------------------------------------------------------------
    def me(self, request: Request) -> Response:
        return Response(200, {"user": self.users[120]})

    def get_user(self, request: Request) -> Response:
        user = self.users.get(int(request.params["id"]))
        return Response(200, {"user": user}) if user else self._not_found()

    def show_many_users(self, request: Request) -> Response:
        ids = {int(i) for i in (request.arg("ids") or "").split(",") if i}
        external_ids = {e for e in (request.arg("external_ids") or "").split(",") if e}
        users = [u for u in self.users.values() if u["id"] in ids or (u["external_id"] or "") in external_ids]
        return Response(200, {"users": users, "count": len(users), "next_page": None, "previous_page": None})

    def get_organization(self, request: Request) -> Response:
        organization = self.organizations.get(int(request.params["id"]))
        return Response(200, {"organization": organization}) if organization else self._not_found()

    def list_groups(self, request: Request) -> Response:
        groups = list(self.groups.values())
        return Response(200, {"groups": groups, "count": len(groups), "next_page": None, "previous_page": None})

    def get_group(self, request: Request) -> Response:
        group = self.groups.get(int(request.params["id"]))
        return Response(200, {"group": group}) if group else self._not_found()

    # --- search -------------------------------------------------------------------------
    def search(self, request: Request) -> Response:
        query = request.arg("query") or ""
        terms = re.findall(r'(\w+)(:|<|>)("[^"]*"|\S+)', query)
        kind = next((v for k, _, v in terms if k == "type"), request.arg("filter[type]") or "ticket")
        pool = {
            "ticket": self.tickets,
            "user": self.users,
            "organization": self.organizations,
            "group": self.groups,
        }.get(kind, {})
        results = []
        for item in pool.values():
            ok = True
            for key, op, raw in terms:
                value = raw.strip('"').lower()
                if key == "type":
                    continue
                if key in ("tags", "tag"):
                    ok &= value in [t.lower() for t in item.get("tags", [])]
                elif key == "status" and op == "<":
                    ok &= STATUSES.index(item["status"]) < STATUSES.index(value)
                elif key == "status" and op == ">":
                    ok &= STATUSES.index(item["status"]) > STATUSES.index(value)
                else:
                    ok &= str(item.get(key, "")).lower() == value
            if ok:
                results.append({**(self._ticket(item) if kind == "ticket" else item), "result_type": kind})
        return Response(
            200, {"results": results, "count": len(results), "next_page": None, "previous_page": None, "facets": None}
        )
