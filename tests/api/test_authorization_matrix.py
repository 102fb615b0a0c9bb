"""Every API endpoint × every persona, with the status each must get — one table.

Each request runs inside a savepoint that is rolled back, so every persona
meets the same world (v2 published, v3 compiled, v4 a draft, one open review item).
"""

from __future__ import annotations

import pytest
from django.db import transaction

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "outsider", "reviewer", "ops_manager", "integration", "admin")

READ_ALL = "401 403 200 200 200 200"  # every role and the integration token may read
OPS_ONLY = "401 403 403 200 403 200"  # ops managers (and admins) change procedures and start runs
CASE_CREATE = "401 403 403 201 201 201"  # integrations create cases
INBOX = "401 403 200 200 403 200"  # reviewers work the inbox (ops managers too, as in the inbox pages)
CREATED_BY_OPS = "401 403 403 201 403 201"
INSIGHTS_READ = "401 403 403 200 200 200"  # ops managers, and tokens with procedures:read (issue 13)

SOURCE_V5 = "Refund requests\n\n1. Reply to the customer.\n2. Close the ticket.\n3. Add the tag done.\n"

#        endpoint                              method  path                                               body                                                   expected (PERSONAS order)
MATRIX = [
    ("list procedures",                       "get",  lambda w: "/api/v1/procedures/",                               None,                                                  READ_ALL),
    ("create procedure",                      "post", lambda w: "/api/v1/procedures/",                               lambda w: {"name": "Returns", "source": SOURCE_V5},   CREATED_BY_OPS),
    ("read procedure",                        "get",  lambda w: f"/api/v1/procedures/{w.procedure.id}/",             None,                                                  READ_ALL),
    ("edit procedure source",                 "post", lambda w: f"/api/v1/procedures/{w.procedure.id}/source/",      lambda w: {"source": SOURCE_V5},                       CREATED_BY_OPS),
    ("roll procedure back",                   "post", lambda w: f"/api/v1/procedures/{w.procedure.id}/rollback/",    lambda w: {"to_version": 1},                           CREATED_BY_OPS),
    ("diff versions",                         "get",  lambda w: f"/api/v1/procedures/{w.procedure.id}/diff/?old=1&new=2", None,                                             READ_ALL),
    ("list versions",                         "get",  lambda w: f"/api/v1/versions/?procedure={w.procedure.id}",     None,                                                  READ_ALL),
    ("read version",                          "get",  lambda w: f"/api/v1/versions/{w.v2.id}/",                      None,                                                  READ_ALL),
    ("compile version",                       "post", lambda w: f"/api/v1/versions/{w.v4.id}/compile/",              lambda w: {"compiler": "rules"},                       OPS_ONLY),
    ("publish version",                       "post", lambda w: f"/api/v1/versions/{w.v3.id}/publish/",              None,                                                  OPS_ONLY),
    ("list version questions",                "get",  lambda w: f"/api/v1/questions/?version={w.v3.id}",             None,                                                  READ_ALL),
    ("answer a question (none open: 400)",    "post", lambda w: "/api/v1/questions/answer/",                         lambda w: {"version": w.v4.id, "phrase": "x", "answer": "case.tier"}, "401 403 403 400 403 400"),
    ("list steps",                            "get",  lambda w: f"/api/v1/steps/?version={w.v3.id}",                 None,                                                  READ_ALL),
    ("read step",                             "get",  lambda w: f"/api/v1/steps/{w.step.id}/",                       None,                                                  READ_ALL),
    ("correct step",                          "post", lambda w: f"/api/v1/steps/{w.step.id}/correct/",               lambda w: {"changes": {"title": "Tell the customer"}}, OPS_ONLY),
    ("list cases",                            "get",  lambda w: "/api/v1/cases/?q=subject",                          None,                                                  READ_ALL),
    ("create case",                           "post", lambda w: "/api/v1/cases/",                                    lambda w: {"case": {"subject": "Refund please"}},      CASE_CREATE),
    ("read case",                             "get",  lambda w: f"/api/v1/cases/{w.case.id}/",                       None,                                                  READ_ALL),
    ("case timeline",                         "get",  lambda w: f"/api/v1/cases/{w.case.id}/timeline/",              None,                                                  READ_ALL),
    ("list runs",                             "get",  lambda w: f"/api/v1/runs/?case={w.case.id}",                   None,                                                  READ_ALL),
    ("read run",                              "get",  lambda w: f"/api/v1/runs/{w.run.id}/",                         None,                                                  READ_ALL),
    ("start run",                             "post", lambda w: "/api/v1/runs/",                                     lambda w: {"case": w.case.id, "procedure": w.procedure.id, "mode": "dry_run"}, CREATED_BY_OPS),
    ("cancel run",                            "post", lambda w: f"/api/v1/runs/{w.run.id}/cancel/",                  lambda w: {"reason": "duplicate case"},                OPS_ONLY),
    ("dry-run a version",                     "post", lambda w: "/api/v1/runs/dry-run/",                             lambda w: {"version": w.v3.id, "case": {"subject": "Refund"}}, OPS_ONLY),
    ("list review items",                     "get",  lambda w: "/api/v1/review-items/?status=open",                 None,                                                  READ_ALL),
    ("read review item",                      "get",  lambda w: f"/api/v1/review-items/{w.item.id}/",                None,                                                  READ_ALL),
    ("claim review item",                     "post", lambda w: f"/api/v1/review-items/{w.item.id}/claim/",          None,                                                  INBOX),
    ("release review item",                   "post", lambda w: f"/api/v1/review-items/{w.item.id}/unclaim/",        None,                                                  INBOX),
    ("decide review item",                    "post", lambda w: f"/api/v1/review-items/{w.item.id}/decide/",         lambda w: {"outcome": "continue", "note": "ok"},       INBOX),
    ("list inbound events",                   "get",  lambda w: "/api/v1/events/?source=api",                        None,                                                  READ_ALL),
    ("read inbound event",                    "get",  lambda w: f"/api/v1/events/{w.event.id}/",                     None,                                                  READ_ALL),
    ("intake health",                         "get",  lambda w: "/api/v1/events/health/",                             None,                                                  READ_ALL),
    ("list connector operations",             "get",  lambda w: "/api/v1/operations/?system=jira",                   None,                                                  READ_ALL),
    ("read connector operation",              "get",  lambda w: "/api/v1/operations/jira.create_issue/",             None,                                                  READ_ALL),
    ("list declared operations",              "get",  lambda w: "/api/v1/declared-operations/",                     None,                                                  READ_ALL),
    ("declare an operation (no endpoint: 400)", "post", lambda w: "/api/v1/declared-operations/",                   lambda w: {"name": "billing.get_status", "summary": "x"}, "401 403 403 400 403 400"),
    ("read declared operation (none: 404)",   "get",  lambda w: "/api/v1/declared-operations/jira.create_issue/",    None,                                                  "401 403 404 404 404 404"),
    ("change declared operation (none: 404)", "patch", lambda w: "/api/v1/declared-operations/jira.create_issue/",   lambda w: {"summary": "x"},                            "401 403 403 404 403 404"),
    ("delete declared operation (none: 404)", "delete", lambda w: "/api/v1/declared-operations/jira.create_issue/",  None,                                                  "401 403 403 404 403 404"),
    ("import OpenAPI (no endpoint: 400)",     "post", lambda w: "/api/v1/declared-operations/import-openapi/",       lambda w: {"document": {"openapi": "3.0.0", "paths": {}}, "system": "billing", "endpoint": "nope"}, "401 403 403 400 403 400"),
    ("import MCP tools (no server: 400)",     "post", lambda w: "/api/v1/declared-operations/import-mcp/",           lambda w: {"server": "nope", "system": "outage", "writes": {"t": False}}, "401 403 403 400 403 400"),
    ("record a mock (none: 404)",             "post", lambda w: "/api/v1/declared-operations/jira.create_issue/record-mock/", lambda w: {"params": {}},                  "401 403 403 404 403 404"),
    ("list endpoints",                        "get",  lambda w: "/api/v1/endpoints/",                                None,                                                  READ_ALL),
    ("create endpoint",                       "post", lambda w: "/api/v1/endpoints/",                                lambda w: {"name": "billing", "base_url": "http://127.0.0.1:9/b", "auth": "bearer", "secret": "s"}, CREATED_BY_OPS),
    ("list MCP servers",                      "get",  lambda w: "/api/v1/mcp-servers/",                              None,                                                  READ_ALL),
    ("create MCP server",                     "post", lambda w: "/api/v1/mcp-servers/",                              lambda w: {"name": "outage", "transport": "stdio", "command": "outage-mcp"}, CREATED_BY_OPS),
    ("list custom fields",                    "get",  lambda w: "/api/v1/custom-fields/",                            None,                                                  READ_ALL),
    ("select custom fields (bad system: 400)", "post", lambda w: "/api/v1/custom-fields/select/",                    lambda w: {"system": "jira", "fields": ["x"]},          "401 403 403 400 403 400"),
    ("list insights",                         "get",  lambda w: "/api/v1/insights/?procedure=x",                     None,                                                  INSIGHTS_READ),
    ("read insight",                          "get",  lambda w: f"/api/v1/insights/{_insight(w).id}/",              None,                                                  INSIGHTS_READ),
    ("accept insight",                        "post", lambda w: f"/api/v1/insights/{_insight(w).id}/accept/",        lambda w: {"note": "ok"},                              OPS_ONLY),
    ("dismiss insight",                       "post", lambda w: f"/api/v1/insights/{_insight(w).id}/dismiss/",       lambda w: {"note": "no"},                              OPS_ONLY),
    ("draft from insight (none proposed)",    "post", lambda w: f"/api/v1/insights/{_insight(w).id}/draft/",         None,                                                  "401 403 403 400 403 400"),
    ("weekly report preview",                 "get",  lambda w: "/api/v1/insights/report/",                          None,                                                  INSIGHTS_READ),
    ("list regression cases",                 "get",  lambda w: "/api/v1/regression-cases/",                         None,                                                  INSIGHTS_READ),
    ("pin regression case (run not ended)",   "post", lambda w: "/api/v1/regression-cases/",                         lambda w: {"procedure": w.procedure.slug, "case": w.case.id}, "401 403 403 409 403 409"),
    ("check regression cases",                "post", lambda w: "/api/v1/regression-cases/check/",                   lambda w: {"version": w.v3.id},                        OPS_ONLY),
    ("OpenAPI schema",                        "get",  lambda w: "/api/schema/",                                      None,                                                  "401 200 200 200 200 200"),
    ("Swagger UI (a browser page: sign in)",  "get",  lambda w: "/api/docs/",                                        None,                                                  "302 200 200 200 302 200"),
    ("unknown API path",                      "get",  lambda w: "/api/v1/nothing-here/",                             None,                                                  "404 404 404 404 404 404"),
]  # fmt: skip


def _insight(w):
    """The world's one insight, created on first use (the insights rows, issue 13)."""
    if isinstance(w, _Ids):
        return w
    from reviews.models import Insight

    insight, _ = Insight.objects.get_or_create(
        procedure=w.procedure, key="tag:x→routed:Engineering", defaults={"kind": "association", "title": "x"}
    )
    return insight


def test_authorization_matrix(world, clients):
    failures, checks = [], 0
    for label, method, path, body, expected in MATRIX:
        assert len(expected.split()) == len(PERSONAS), label
        for persona, want in zip(PERSONAS, expected.split(), strict=True):
            url = path(world)
            sid = transaction.savepoint()
            try:
                response = getattr(clients[persona], method)(url, body(world) if body else None, format="json")
            finally:
                transaction.savepoint_rollback(sid)
            checks += 1
            got = response.status_code
            if got != int(want):
                detail = response.content[:200].decode(errors="replace")
                failures.append(f"{label} as {persona}: {method.upper()} {url} → {got}, expected {want}: {detail}")
            elif got >= 400 and url.startswith("/api/v1/"):
                error = response.json().get("error", {})
                if not (error.get("code") and error.get("message")):
                    failures.append(f"{label} as {persona}: {got} without the error body: {response.content[:200]}")
    print(f"authorization matrix: {checks} checks ({len(MATRIX)} endpoints × {len(PERSONAS)} personas)")
    assert checks == len(MATRIX) * len(PERSONAS)
    assert not failures, "\n".join(failures)


def test_matrix_covers_every_documented_operation(clients):
    """Each path+method in the OpenAPI schema has a row in the matrix."""
    schema = clients["admin"].get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    documented = {
        (method, path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method != "parameters"
    }
    covered = set()
    for _label, method, path_fn, _body, _expected in MATRIX:
        url = path_fn(_Ids()).split("?")[0]
        covered.add((method, url))
    missing = sorted(f"{m.upper()} {p}" for m, p in documented if (m, _template(p)) not in covered)
    assert not missing, f"endpoints without a row in the authorization matrix: {missing}"


class _Ids:
    """Stands in for the world when only the shape of each path matters."""

    def __getattr__(self, name):
        return _Ids()

    id = "{id}"


def _template(path: str) -> str:
    return path.replace("{name}", "jira.create_issue")
