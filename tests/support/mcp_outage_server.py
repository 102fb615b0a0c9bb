"""An MCP server for declared-tool tests, built with the official SDK (`MCPServer`, formerly FastMCP).

    python tests/support/mcp_outage_server.py                    # stdio
    python tests/support/mcp_outage_server.py --http PORT        # streamable HTTP on 127.0.0.1:PORT/mcp

Tools: `check_outage` (read), `region_health` (read; its `state` is one of ok/degraded/down), `open_incident` (write; honours `idempotency_key`),
`explode` (always an error). If MCP_CALL_LOG names a file, every tool call
appends one JSON line to it (with the server's process id), so a test can count the calls a server
received and the processes that answered them.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Literal

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel

HOURS_SINCE = {"eu-west": 3.0, "us-east": 200.0}
app = MCPServer("outage-detector")


class OutageReport(BaseModel):
    region: str
    outage: bool
    hours_since_outage: float | None


class RegionHealth(BaseModel):
    region: str
    state: Literal["ok", "degraded", "down"]


class Incident(BaseModel):
    incident_id: str
    region: str


def _log(tool: str, **arguments) -> None:
    path = os.environ.get("MCP_CALL_LOG")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"tool": tool, "pid": os.getpid(), **arguments}) + "\n")


@app.tool()
def check_outage(region: str, hours: int = 24) -> OutageReport:
    """Check the outage detector: was there an outage in this region in the last `hours` hours?"""
    _log("check_outage", region=region, hours=hours)
    since = HOURS_SINCE.get(region)
    return OutageReport(region=region, outage=since is not None and since <= hours, hours_since_outage=since)


@app.tool()
def open_incident(region: str, summary: str, idempotency_key: str = "") -> Incident:
    """Open an incident for a region in the outage tracker."""
    _log("open_incident", region=region, summary=summary, idempotency_key=idempotency_key)
    return Incident(incident_id=f"INC-{abs(hash((region, idempotency_key))) % 10000}", region=region)


@app.tool()
def region_health(region: str) -> RegionHealth:
    """The region's health as the outage detector sees it now."""
    _log("region_health", region=region)
    return RegionHealth(region=region, state="degraded" if region in HOURS_SINCE else "ok")


@app.tool()
def explode(region: str) -> str:
    """Always fails."""
    raise ValueError(f"detector offline for {region}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--http":
        app.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        app.run()
