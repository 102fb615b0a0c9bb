"""Checks for declared endpoints and MCP servers, in the shape of `connectors.health.Check`.

An endpoint gets one authenticated GET of its base URL: any answer but
401/403 or 5xx means reachable and authorized (a root may well be a 404).
Operations are not called: they may have side effects. An MCP server is
connected and asked for its tools; a declared tool it no longer lists fails.
"""

from __future__ import annotations

from typing import Any

import requests

from connectors import transport
from connectors.base import ConnectorError, RetryableError
from connectors.declared import catalog, mcp, secrets


def endpoint_check(endpoint) -> str:
    """A description of the answer; raises ConnectorError when unreachable, unauthorized or failing."""
    secret = secrets.resolve(secret_env=endpoint.secret_env, secret_sealed=endpoint.secret_sealed, system=endpoint.name)
    headers, basic = secrets.auth_headers(auth=endpoint.auth, auth_header=endpoint.auth_header, secret=secret)
    try:
        response = transport.session().get(endpoint.base_url, headers=headers, auth=basic, timeout=10)
    except requests.RequestException as exc:
        raise RetryableError(f"{endpoint.base_url} unreachable: {type(exc).__name__}", system=endpoint.name) from exc
    if response.status_code in (401, 403) or response.status_code >= 500:
        raise ConnectorError(
            f"{endpoint.base_url} answered {response.status_code}",
            system=endpoint.name,
            status=response.status_code,
            remote_message=response.text[:200],
        )
    return f"answered {response.status_code}"


def server_check(server) -> str:
    tools = {t["name"] for t in mcp.tools_list(catalog.spec_for_server(server))}
    declared = set(server.operations.filter(enabled=True).values_list("mcp_tool", flat=True))
    gone = sorted(declared - tools)
    if gone:
        raise ConnectorError(f"declared tools no longer offered: {', '.join(gone)}", system=server.name)
    return f"{len(tools)} tools ({', '.join(sorted(tools))})"


def targets() -> list[tuple[str, str, Any]]:
    """(label, where, callable) per declared endpoint and MCP server."""
    from connectors.declared.models import Endpoint, McpServer

    found: list[tuple[str, str, Any]] = []
    try:
        for e in Endpoint.objects.all():
            found.append((f"endpoint {e.name}", e.base_url, lambda e=e: endpoint_check(e)))
        for s in McpServer.objects.all():
            where = s.url if s.transport == "http" else s.command.split(" ")[0]
            found.append((f"mcp {s.name}", where, lambda s=s: server_check(s)))
    except Exception:  # no database (e.g. before migrate): nothing declared to check
        return []
    return found
