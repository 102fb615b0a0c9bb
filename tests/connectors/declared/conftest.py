from __future__ import annotations

import pytest

from connectors.declared import mcp_pool
from tests.support import declared_tools
from tests.support.tool_server import ToolServer


@pytest.fixture(autouse=True)
def _mcp_sessions_closed():
    """Every MCP session a test opened (and the stdio server process behind it) ends with the test."""
    yield
    mcp_pool.close_all()


@pytest.fixture
def tool_server():
    server = ToolServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def declared(db, tool_server, settings):
    settings.CONNECTOR_RETRY = {"attempts": 3, "base_delay": 0.0, "max_delay": 0.0}
    declared_tools.declare(billing_url=f"{tool_server.url}/billing", outage_url=tool_server.url)
    return tool_server
