from __future__ import annotations

import pytest

from tests.support import declared_tools
from tests.support.tool_server import ToolServer


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
