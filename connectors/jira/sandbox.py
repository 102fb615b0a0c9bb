"""Jira REST emulator (API v2 and v3 paths): server info, issues, comments, links, transitions, search.

Reports `deploymentType: Cloud`, so the jira library searches with
`/search/jql`; the legacy `/search` is served too. Basic auth with the
sandbox user and token. Errors use Jira's shape
`{"errorMessages": [...], "errors": {field: message}}`. JQL is limited to
`field = value` / `field in (...)` clauses joined by AND over project, key,
labels, status and issuetype (see `_jql`).
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from html import escape
from typing import Any

from connectors.config import SANDBOX_CREDENTIALS
from connectors.sandbox import seed
from connectors.sandbox.server import Emulator, Request, Response

# The issue types every project of the emulator has: Jira's standard Software and Service Management types.
STANDARD_ISSUE_TYPES = ("Bug", "Task", "Story", "Epic", "Incident", "Problem", "Service Request", "Change")
ISSUE_TYPES = seed.JIRA_ISSUE_TYPES + [
    {"id": str(10103 + n), "name": name}
    for n, name in enumerate(t for t in STANDARD_ISSUE_TYPES if t not in {s["name"] for s in seed.JIRA_ISSUE_TYPES})
]
PRIORITIES = tuple(seed.JIRA_PRIORITIES)

A = r"/rest/api/(?P<api>[23])"
ISSUE = A + r"/issue/(?P<key>[\w-]+)"
JQL_CLAUSE = re.compile(r'\s*(\w+)\s*(=|!=|\bin\b)\s*("[^"]*"|\([^)]*\)|[\w-]+)\s*', re.IGNORECASE)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class JiraEmulator(Emulator):
    system = "jira"

    def seed(self) -> None:
        self.projects = {p["key"]: dict(p) for p in seed.JIRA_PROJECTS}
        self.issues: dict[str, dict[str, Any]] = {}
        self.links: list[dict[str, Any]] = []
        self._next_id = 10000
        self._next_number = {key: 1 for key in self.projects}

    def snapshot(self) -> dict[str, Any]:
        return {"issues": self.issues, "links": self.links}

    def routes(self):
        return [
            ("GET", r"/browse/(?P<key>[\w-]+)", self.browse),
            ("GET", A + r"/serverInfo", self.server_info),
            ("GET", A + r"/myself", self.myself),
            ("GET", A + r"/field", self.fields),
            ("GET", A + r"/project/(?P<project>[\w-]+)", self.project),
            ("GET", A + r"/issueLinkType", self.link_types),
            ("POST", A + r"/issueLink", self.create_link),
            ("POST", A + r"/issue/?", self.create_issue),
            ("GET", A + r"/search", self.search),
            ("GET", A + r"/search/jql", self.search),
            ("POST", A + r"/search/jql", self.search),
            ("GET", ISSUE, self.get_issue),
            ("PUT", ISSUE, self.edit_issue),
            ("GET", ISSUE + r"/comment", self.comments),
            ("POST", ISSUE + r"/comment", self.add_comment),
            ("GET", ISSUE + r"/transitions", self.transitions),
            ("POST", ISSUE + r"/transitions", self.do_transition),
        ]

    def authorized(self, request: Request) -> bool:
        if request.path.startswith("/browse/"):
            return True  # the human-facing issue page the connector links to
        creds = SANDBOX_CREDENTIALS["jira"]
        expected = base64.b64encode(f"{creds['user']}:{creds['token']}".encode()).decode()
        return request.headers.get("Authorization", "") in (f"Basic {expected}", f"Bearer {creds['token']}")

    def error_response(self, status: int, message: str, errors: dict[str, str] | None = None) -> Response:
        return Response(status, {"errorMessages": [message] if message else [], "errors": errors or {}})

    # --- helpers ------------------------------------------------------------------------
    def _api(self, request: Request) -> str:
        return f"{self.base_url}/rest/api/{request.params.get('api', '2')}"

    def _issue(self, key: str) -> dict[str, Any] | None:
        if key in self.issues:
            return self.issues[key]
        return next((i for i in self.issues.values() if i["id"] == key), None)

    def _render(self, issue: dict[str, Any], request: Request) -> dict[str, Any]:
        fields = dict(issue["fields"])
        fields["comment"] = {
            "comments": issue["comments"],
            "total": len(issue["comments"]),
            "startAt": 0,
            "maxResults": len(issue["comments"]),
        }
        fields["issuelinks"] = [
            self._render_link(link, issue["key"])
            for link in self.links
            if issue["key"] in (link["inward"], link["outward"])
        ]
        return {
            "id": issue["id"],
            "key": issue["key"],
            "self": f"{self._api(request)}/issue/{issue['id']}",
            "fields": fields,
        }

    def _render_link(self, link: dict[str, Any], key: str) -> dict[str, Any]:
        link_type = next(t for t in seed.JIRA_LINK_TYPES if t["name"] == link["type"])
        rendered: dict[str, Any] = {"id": link["id"], "type": link_type}
        if link["outward"] == key:
            rendered["inwardIssue"] = {"key": link["inward"]}
        else:
            rendered["outwardIssue"] = {"key": link["outward"]}
        return rendered

    @staticmethod
    def _status(name: str) -> dict[str, Any]:
        category = next(c for n, c, _ in seed.JIRA_STATUSES if n == name)
        return {"name": name, "statusCategory": {"key": category}}

    # --- handlers -----------------------------------------------------------------------
    def browse(self, request: Request) -> Response:
        issue = self._issue(request.params["key"])
        if issue is None:
            return Response(404, "Issue not found", {"Content-Type": "text/plain"})
        fields = issue["fields"]
        page = (
            f"<!doctype html><title>{escape(issue['key'])}</title><h1>{escape(issue['key'])}: "
            f"{escape(fields['summary'])}</h1><p>{escape(fields['issuetype']['name'])} · "
            f"{escape(fields['priority']['name'])} · {escape(fields['status']['name'])}</p>"
            f"<pre>{escape(fields.get('description') or '')}</pre>"
        )
        return Response(200, page, {"Content-Type": "text/html; charset=utf-8"})

    def server_info(self, request: Request) -> Response:
        return Response(
            200,
            {
                "baseUrl": self.base_url,
                "version": "1001.0.0-SNAPSHOT",
                "versionNumbers": [1001, 0, 0],
                "deploymentType": "Cloud",
                "buildNumber": 100000,
                "serverTitle": "sopdesk sandbox Jira",
            },
        )

    def myself(self, request: Request) -> Response:
        user = SANDBOX_CREDENTIALS["jira"]["user"]
        return Response(
            200, {"accountId": "sandbox-bot", "emailAddress": user, "displayName": "sopdesk", "active": True}
        )

    def fields(self, request: Request) -> Response:
        names = [
            "summary",
            "description",
            "issuetype",
            "project",
            "priority",
            "labels",
            "status",
            "assignee",
            "resolution",
            "comment",
            "issuelinks",
            "created",
            "updated",
        ]
        return Response(
            200, [{"id": n, "key": n, "name": n.title(), "custom": False, "clauseNames": [n]} for n in names]
        )

    def project(self, request: Request) -> Response:
        project = self.projects.get(request.params["project"]) or next(
            (p for p in self.projects.values() if p["id"] == request.params["project"]), None
        )
        if project is None:
            return self.error_response(404, f"No project could be found with key '{request.params['project']}'.")
        return Response(200, {**project, "issueTypes": ISSUE_TYPES})

    def link_types(self, request: Request) -> Response:
        return Response(200, {"issueLinkTypes": seed.JIRA_LINK_TYPES})

    def create_issue(self, request: Request) -> Response:
        fields = request.json().get("fields") or {}
        errors = {}
        project_ref = fields.get("project") or {}
        project = self.projects.get(project_ref.get("key", "")) or next(
            (p for p in self.projects.values() if p["id"] == project_ref.get("id")), None
        )
        if project is None:
            errors["project"] = "valid project is required"
        if not (fields.get("summary") or "").strip():
            errors["summary"] = "You must specify a summary of the issue."
        issue_type = (fields.get("issuetype") or {}).get("name") or next(
            (t["name"] for t in ISSUE_TYPES if t["id"] == (fields.get("issuetype") or {}).get("id")), None
        )
        if issue_type not in {t["name"] for t in ISSUE_TYPES}:
            errors["issuetype"] = "Specify a valid issue type"
        priority = (fields.get("priority") or {}).get("name", "Medium")
        if priority not in PRIORITIES:
            errors["priority"] = f"Priority name '{priority}' is not valid"
        labels = fields.get("labels") or []
        if any(not isinstance(label, str) or " " in label for label in labels):
            errors["labels"] = "Labels cannot contain spaces."
        if errors:
            return self.error_response(400, "", errors)
        key = f"{project['key']}-{self._next_number[project['key']]}"
        self._next_number[project["key"]] += 1
        self._next_id += 1
        issue_id = str(self._next_id)
        self.issues[key] = {
            "id": issue_id,
            "key": key,
            "fields": {
                "summary": fields["summary"],
                "description": fields.get("description"),
                "issuetype": {"name": issue_type},
                "project": {"id": project["id"], "key": project["key"], "name": project["name"]},
                "priority": {"name": priority},
                "labels": list(labels),
                "assignee": fields.get("assignee"),
                "status": self._status("To Do"),
                "resolution": None,
                "created": _now(),
                "updated": _now(),
            },
            "comments": [],
        }
        return Response(201, {"id": issue_id, "key": key, "self": f"{self._api(request)}/issue/{issue_id}"})

    def get_issue(self, request: Request) -> Response:
        issue = self._issue(request.params["key"])
        if issue is None:
            return self.error_response(404, "Issue does not exist or you do not have permission to see it.")
        return Response(200, self._render(issue, request))

    def edit_issue(self, request: Request) -> Response:
        issue = self._issue(request.params["key"])
        if issue is None:
            return self.error_response(404, "Issue does not exist or you do not have permission to see it.")
        issue["fields"].update(request.json().get("fields") or {})
        issue["fields"]["updated"] = _now()
        return Response(204)

    def comments(self, request: Request) -> Response:
        issue = self._issue(request.params["key"])
        if issue is None:
            return self.error_response(404, "Issue does not exist or you do not have permission to see it.")
        return Response(
            200, {"comments": issue["comments"], "total": len(issue["comments"]), "startAt": 0, "maxResults": 5000}
        )

    def _comment(self, issue: dict[str, Any], body: str, request: Request) -> dict[str, Any]:
        comment_id = str(20000 + sum(len(i["comments"]) for i in self.issues.values()))
        comment = {
            "id": comment_id,
            "self": f"{self._api(request)}/issue/{issue['id']}/comment/{comment_id}",
            "body": body,
            "author": {"displayName": "sopdesk"},
            "created": _now(),
            "updated": _now(),
        }
        issue["comments"].append(comment)
        return comment

    def add_comment(self, request: Request) -> Response:
        issue = self._issue(request.params["key"])
        if issue is None:
            return self.error_response(404, "Issue does not exist or you do not have permission to see it.")
        body = request.json().get("body")
        if not body:
            return self.error_response(400, "", {"comment": "Comment body can not be empty!"})
        return Response(201, self._comment(issue, body, request))

    def transitions(self, request: Request) -> Response:
        if self._issue(request.params["key"]) is None:
            return self.error_response(404, "Issue does not exist or you do not have permission to see it.")
        return Response(
            200,
            {
                "transitions": [
                    {"id": tid, "name": name, "to": self._status(name)} for name, _, tid in seed.JIRA_STATUSES
                ]
            },
        )

    def do_transition(self, request: Request) -> Response:
        issue = self._issue(request.params["key"])
        if issue is None:
            return self.error_response(404, "Issue does not exist or you do not have permission to see it.")
        data = request.json()
        wanted = str((data.get("transition") or {}).get("id"))
        target = next((name for name, _, tid in seed.JIRA_STATUSES if tid == wanted), None)
        if target is None:
            return self.error_response(400, f"Transition id '{wanted}' is not valid for this issue.")
        issue["fields"]["status"] = self._status(target)
        issue["fields"]["resolution"] = {"name": "Done"} if target == "Done" else None
        for entry in (data.get("update") or {}).get("comment", []):
            self._comment(issue, entry["add"]["body"], request)
        return Response(204)

    def create_link(self, request: Request) -> Response:
        data = request.json()
        type_name = (data.get("type") or {}).get("name")
        if type_name not in {t["name"] for t in seed.JIRA_LINK_TYPES}:
            return self.error_response(404, f"No issue link type with name '{type_name}' found.")
        inward, outward = (data.get("inwardIssue") or {}).get("key"), (data.get("outwardIssue") or {}).get("key")
        for key in (inward, outward):
            if self._issue(key or "") is None:
                return self.error_response(404, f"Issue {key} does not exist.")
        self.links.append(
            {
                "id": str(30000 + len(self.links)),
                "type": type_name,
                "inward": self._issue(inward)["key"],
                "outward": self._issue(outward)["key"],
            }
        )
        return Response(201)

    def search(self, request: Request) -> Response:
        jql = request.arg("jql") if request.method == "GET" else request.json().get("jql")
        try:
            found = [i for i in self.issues.values() if self._jql(i, jql or "")]
        except ValueError as exc:
            return self.error_response(400, str(exc))
        found.sort(key=lambda i: int(i["id"]))
        limit = int(request.arg("maxResults", "50"))
        start = int(request.arg("startAt", "0"))
        page = [self._render(i, request) for i in found[start : start + limit]]
        if request.path.endswith("/jql"):
            return Response(200, {"issues": page, "isLast": start + limit >= len(found)})
        return Response(200, {"startAt": start, "maxResults": limit, "total": len(found), "issues": page})

    def _jql(self, issue: dict[str, Any], jql: str) -> bool:
        jql = re.sub(r"\s+ORDER\s+BY\s+.*$", "", jql, flags=re.IGNORECASE).strip()
        if not jql:
            return True
        for part in re.split(r"\s+AND\s+", jql, flags=re.IGNORECASE):
            clause = JQL_CLAUSE.fullmatch(part)
            if not clause:
                raise ValueError(f"Error in the JQL Query: unsupported clause {part!r}")
            field, op, raw = clause[1].lower(), clause[2].lower(), clause[3]
            values = (
                [v.strip().strip('"').lower() for v in raw.strip("()").split(",")]
                if op == "in"
                else [raw.strip('"').lower()]
            )
            actual = {
                "project": [issue["fields"]["project"]["key"].lower()],
                "key": [issue["key"].lower()],
                "labels": [label.lower() for label in issue["fields"]["labels"]],
                "status": [issue["fields"]["status"]["name"].lower()],
                "issuetype": [issue["fields"]["issuetype"]["name"].lower()],
            }.get(field)
            if actual is None:
                raise ValueError(f"Field '{field}' does not exist or you do not have permission to view it.")
            hit = any(v in actual for v in values)
            if hit == (op == "!="):
                return False
        return True
