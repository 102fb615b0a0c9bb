"""One MCP session per server per process: a stdio server is started once, replaced when it dies or changes,
stopped at exit, and never shared with a forked child."""

from __future__ import annotations

import json
import os
import sys

import pytest

from connectors import registry
from connectors.declared import mcp_pool, services
from connectors.declared.mcp import mcp_import
from tests.support.processes import ROOT, wait_for

pytestmark = pytest.mark.django_db
SERVER = ROOT / "tests" / "support" / "mcp_outage_server.py"


@pytest.fixture
def outage(tmp_path, monkeypatch, settings):
    settings.CONNECTOR_RETRY = {"attempts": 3, "base_delay": 0.0, "max_delay": 0.0}
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("MCP_CALL_LOG", str(log))
    server = services.mcp_server_save(
        name="outage-mcp", transport="stdio", command=f"{sys.executable} {SERVER}", env_names="MCP_CALL_LOG",
        timeout=60,
    )  # fmt: skip
    mcp_import(server=server, system="outage", writes={"check_outage": False, "open_incident": True})
    return server, log


def pids(log) -> list[int]:
    return [json.loads(line)["pid"] for line in log.read_text().splitlines()] if log.exists() else []


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def check(region: str = "eu-west") -> dict:
    return registry.get("outage.check_outage").load_handler()({"region": region})


def test_calls_to_a_stdio_server_share_one_process(outage):
    _, log = outage
    assert check("eu-west")["outage"] is True
    assert check("us-east")["outage"] is False
    registry.get("outage.open_incident").load_handler()({"region": "eu-west", "summary": "down"}, idempotency_key="k1")
    assert len(pids(log)) == 3
    assert len(set(pids(log))) == 1  # two reads and a write (and the import before them): one server process
    assert pids(log)[0] != os.getpid()


def test_a_server_that_died_is_started_again_on_the_next_call(outage):
    _, log = outage
    check()
    first = pids(log)[0]
    os.kill(first, 9)
    wait_for(lambda: not running(first) or _zombie(first), timeout=10, what="the server to die")
    assert check()["outage"] is True  # the broken session is replaced within the read's retries
    assert pids(log)[-1] != first


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_closing_the_sessions_stops_the_server_process_and_a_changed_server_gets_a_new_one(outage):
    server, log = outage
    check()
    first = pids(log)[0]
    services.mcp_server_save(instance=server, name="outage-mcp", transport="stdio", command=server.command,
                             env_names="MCP_CALL_LOG", timeout=45)  # fmt: skip
    check()
    second = pids(log)[-1]
    assert second != first  # a changed declaration is a new session ...
    wait_for(lambda: _zombie(first), timeout=15, what="the old server process to stop")  # ... and the old one ends
    mcp_pool.close_all()  # what runs at exit
    wait_for(lambda: _zombie(second), timeout=15, what="the server process to stop at close")


def test_a_forked_child_does_not_use_the_parents_sessions(outage):
    check()
    parent_pool = mcp_pool.pool()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        fresh = mcp_pool.pool()
        os.write(write, b"fresh" if fresh is not parent_pool and fresh.pid == os.getpid() else b"shared")
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    assert os.read(read, 16) == b"fresh"
    os.close(read)
    assert mcp_pool.pool() is parent_pool


def test_a_write_is_never_sent_on_a_session_whose_server_went_away(outage, settings):
    _, log = outage
    check()
    first = pids(log)[0]
    os.kill(first, 9)
    wait_for(lambda: _zombie(first), timeout=10, what="the server to die")
    settings.SOPDESK_MCP_IDLE_PING_SECONDS = 0.0  # the session counts as idle: a write pings it first
    incident = registry.get("outage.open_incident").load_handler()(
        {"region": "eu-west", "summary": "down"}, idempotency_key="k-after-death"
    )
    assert incident["incident_id"].startswith("INC-")
    writes = [json.loads(line) for line in log.read_text().splitlines() if '"open_incident"' in line]
    assert len(writes) == 1 and writes[0]["pid"] != first  # sent once, to the new server process
