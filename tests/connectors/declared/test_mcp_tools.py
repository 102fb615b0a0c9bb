"""MCP tools: a server started by the test (stdio and streamable HTTP), imported, listed and called."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from connectors import health, registry
from connectors.base import PermanentError
from connectors.declared import services
from connectors.declared.mcp import mcp_import
from procedures.compiler.llm_clauses import operations_text
from tests.api.conftest import signed_in
from tests.support.processes import ROOT, free_port, wait_for

pytestmark = pytest.mark.django_db
SERVER = ROOT / "tests" / "support" / "mcp_outage_server.py"


@pytest.fixture
def stdio_server(tmp_path, monkeypatch):
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("MCP_CALL_LOG", str(log))
    server = services.mcp_server_save(
        name="outage-mcp", transport="stdio", command=f"{sys.executable} {SERVER}", env_names="MCP_CALL_LOG",
        timeout=60,
    )  # fmt: skip
    return server, log


def calls(log) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_stdio_tools_are_imported_listed_in_the_api_and_the_editor_vocabulary_and_called(stdio_server, ops_manager):
    _server, log = stdio_server
    response = signed_in(ops_manager).post(
        "/api/v1/declared-operations/import-mcp/",
        {"server": "outage-mcp", "system": "outage", "writes": {"check_outage": False, "open_incident": True},
         "synonyms": {"check_outage": "outage detector, downtime"}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    listed = signed_in(ops_manager).get("/api/v1/operations/?system=outage").json()["results"]
    by_name = {op["name"]: op for op in listed}
    assert set(by_name) == {"outage.check_outage", "outage.open_incident"}
    check = by_name["outage.check_outage"]
    assert check["origin"] == "declared mcp" and not check["writes"]
    assert {p["name"]: (p["type"], p["required"]) for p in check["params"]} == {
        "region": ("string", True),
        "hours": ("integer", False),
    }
    assert check["returns"] == ["region", "outage", "hours_since_outage"]
    assert "outage detector" in check["keywords"]
    assert by_name["outage.open_incident"]["writes"] is True
    vocabulary = operations_text()  # what the model compiler is told exists
    assert "- outage.check_outage [reads]" in vocabulary
    assert "- outage.open_incident [writes]" in vocabulary

    facts = registry.get("outage.check_outage").load_handler()({"region": "eu-west"})
    assert facts == {"region": "eu-west", "outage": True, "hours_since_outage": 3.0}

    open_incident = registry.get("outage.open_incident").load_handler()
    first = open_incident({"region": "eu-west", "summary": "EU down"}, idempotency_key="run7-incident-1")
    again = open_incident({"region": "eu-west", "summary": "EU down"}, idempotency_key="run7-incident-1")
    assert first == again and first["incident_id"].startswith("INC-")
    assert [c["tool"] for c in calls(log)] == ["check_outage", "open_incident"]  # the repeat was not sent


def test_a_tool_error_is_permanent_and_writes_are_never_assumed(stdio_server, ops_manager):
    server, _ = stdio_server
    response = signed_in(ops_manager).post(
        "/api/v1/declared-operations/import-mcp/",
        {"server": "outage-mcp", "system": "outage", "writes": {"nope": False}},
        format="json",
    )
    assert response.status_code == 400 and "has no tool nope" in response.json()["error"]["message"]
    response = signed_in(ops_manager).post(
        "/api/v1/declared-operations/import-mcp/", {"server": "outage-mcp", "system": "outage"}, format="json"
    )
    assert response.status_code == 400 and "writes" in response.json()["error"]["fields"]
    mcp_import(server=server, system="outage", writes={"explode": False})
    with pytest.raises(PermanentError, match="the tool reported an error: Error executing tool explode"):
        registry.get("outage.explode").load_handler()({"region": "eu-west"})


def test_connectors_check_lists_the_servers_tools(stdio_server):
    server, _ = stdio_server
    mcp_import(server=server, system="outage", writes={"check_outage": False})
    rows = {row["system"]: row for row in health.summary() if row["system"].startswith("mcp")}
    assert rows["mcp outage-mcp"]["status"] == "ok"
    assert "check_outage" in rows["mcp outage-mcp"]["detail"]


@pytest.fixture
def http_server():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(SERVER), "--http", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )

    def listening() -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    try:
        wait_for(listening, timeout=60, what="the MCP server to listen")
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_streamable_http_server_tools_are_called(http_server):
    server = services.mcp_server_save(name="outage-http", transport="http", url=http_server, timeout=30)
    mcp_import(server=server, system="outage", writes={"check_outage": False})
    facts = registry.get("outage.check_outage").load_handler()({"region": "us-east", "hours": 24})
    assert facts == {"region": "us-east", "outage": False, "hours_since_outage": 200.0}
