"""The MCP client for declared tools, over the official `mcp` SDK: stdio or streamable HTTP.

The SDK is async; sopdesk's engine is not. Calls go through `mcp_pool`:
one open session per server per process, on an event loop of its own, each
call bounded by the server's timeout (a timed-out or broken session is
replaced on the next call). Tool errors (`isError`) are permanent, transport
failures and timeouts retryable. Writes are marked by the admin, never
inferred from the tool's annotations.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any, TypeVar

from connectors import idempotency, retry
from connectors.base import ConnectorError, NotConfigured, PermanentError, RetryableError
from connectors.declared import extract, mcp_pool, secrets
from connectors.declared.spec import OperationSpec, ServerSpec, schema_values

T = TypeVar("T")


class ToolError(PermanentError):
    code = "tool_error"


async def _open(server: ServerSpec, stack: AsyncExitStack) -> Any:
    """An initialised session with the server, its transports entered on `stack` (closed with it)."""
    from mcp.client.session import ClientSession

    if server.transport == "stdio":
        from mcp.client.stdio import StdioServerParameters, stdio_client

        argv = shlex.split(server.command)
        if not argv:
            raise NotConfigured(f"MCP server {server.name} has no command", system=server.name)
        env = {name: os.environ[name] for name in server.env_names if name in os.environ}
        params = StdioServerParameters(command=argv[0], args=argv[1:], env=env)
        errlog = stack.enter_context(open(os.devnull, "w"))  # noqa: SIM115 - closed with the session's stack
        streams = await stack.enter_async_context(stdio_client(params, errlog=errlog))
    else:
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client

        if not server.url:
            raise NotConfigured(f"MCP server {server.name} has no URL", system=server.name)
        headers, auth = _http_auth(server)
        client = await stack.enter_async_context(create_mcp_http_client(headers=headers, auth=auth))
        streams = await stack.enter_async_context(streamable_http_client(server.url, http_client=client))
    session = await stack.enter_async_context(ClientSession(*streams[:2], read_timeout_seconds=server.timeout))
    await session.initialize()
    return session


def _http_auth(server: ServerSpec) -> tuple[dict[str, str], Any]:
    if not server.credentials:
        return {}, None
    secret = secrets.resolve(
        secret_env=server.credentials.secret_env, secret_sealed=server.credentials.secret_sealed, system=server.name
    )
    headers, basic = secrets.auth_headers(
        auth=server.credentials.auth, auth_header=server.credentials.auth_header, secret=secret
    )
    if basic:
        import httpx2

        return headers, httpx2.BasicAuth(*basic)
    return headers, None


def _call(server: ServerSpec, action: Callable[[Any], Awaitable[T]], *, write: bool = False) -> T:
    return mcp_pool.call(server, _open, action, write=write)


def classify(system: str):
    def classify_one(exc: Exception) -> ConnectorError:
        if isinstance(exc, TimeoutError | asyncio.TimeoutError):
            return RetryableError(f"{system}: the MCP server timed out", system=system)
        if isinstance(exc, OSError | ConnectionError) or mcp_pool.broken(exc):
            return RetryableError(f"{system}: cannot reach the MCP server: {exc}", system=system)
        text = str(exc) or type(exc).__name__
        if "connect" in text.lower() or type(exc).__name__ in ("ConnectError", "ReadTimeout", "ClosedResourceError"):
            return RetryableError(f"{system}: MCP transport failed: {text}", system=system)
        return PermanentError(f"{system}: MCP call failed: {text}", system=system)

    return classify_one


def tools_list(server: ServerSpec) -> list[dict[str, Any]]:
    """The server's tools: name, description, input schema, output schema (if any)."""

    async def action(session) -> list[dict[str, Any]]:
        result = await session.list_tools()
        return [
            {
                "name": t.name,
                "description": t.description or "",
                "input_schema": dict(t.input_schema or {}),
                "output_schema": dict(getattr(t, "output_schema", None) or {}),
            }
            for t in result.tools
        ]

    return retry.once(lambda: _call(server, action), classify=classify(server.name))


def _document(result: Any) -> Any:
    structured = getattr(result, "structured_content", None)
    if structured is not None:
        return structured
    texts = [c.text for c in getattr(result, "content", None) or () if getattr(c, "type", "") == "text"]
    joined = "\n".join(texts)
    try:
        return json.loads(joined)
    except ValueError:
        return {"text": joined}


def execute(spec: OperationSpec, params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    server = spec.server
    if server is None:
        raise NotConfigured(f"{spec.name} has no MCP server: choose one in the admin", system=spec.system)
    arguments = dict(params)
    if spec.writes and spec.idempotency_header:
        arguments[spec.idempotency_header] = idempotency.token(idempotency_key)

    async def action(session) -> Any:
        return await session.call_tool(spec.tool, arguments)

    def once() -> dict[str, Any]:
        result = _call(server, action, write=spec.writes)
        if getattr(result, "is_error", False):
            texts = [c.text for c in getattr(result, "content", None) or () if getattr(c, "type", "") == "text"]
            detail = "; ".join(texts) or "no detail"
            raise ToolError(
                f"{spec.name}: the tool reported an error: {detail}", system=spec.system, remote_message=detail
            )
        return extract.facts(_document(result), spec.outputs, system=spec.system)

    if spec.writes:
        return _write_once(spec, once, idempotency_key)
    policy = retry.RetryPolicy.from_settings()
    if spec.retry_attempts:
        policy = retry.RetryPolicy(spec.retry_attempts, policy.base_delay, policy.max_delay)
    return retry.run(once, classify=classify(spec.system), policy=retry._override.get() or policy)


def _write_once(spec: OperationSpec, once: Callable[[], dict[str, Any]], key: str | None) -> dict[str, Any]:
    """A write is tried once per engine attempt and recorded under its key, so a retried step does not repeat it.

    MCP has no standard idempotency; a tool that accepts the key (`idempotency_header` names the argument)
    can deduplicate a write whose answer was lost, the ledger covers every answered write.
    """
    from connectors.models import WriteRecord

    if key:
        earlier = WriteRecord.objects.filter(idempotency_key=key).first()
        if earlier is not None:
            return dict(earlier.result)
    result = retry.once(once, classify=classify(spec.system))
    if key:
        WriteRecord.objects.get_or_create(idempotency_key=key, defaults={"operation": spec.name, "result": result})
    return result


def mcp_import(*, server, system: str, writes: dict[str, bool], synonyms: dict[str, str] | None = None) -> list:
    """Declare the server's tools named in `writes` (tool → whether it writes) as `<system>.<tool>`.

    The admin states for every tool whether it writes: nothing is assumed read-only.
    Inputs come from the tool's input schema, output facts from its output schema.
    """
    from django.db import transaction

    from connectors.declared.catalog import spec_for_server
    from connectors.declared.errors import ImportFailed
    from connectors.declared.models import DeclaredOperation
    from connectors.declared.openapi import snake
    from connectors.declared.services import operation_save

    tools = {t["name"]: t for t in tools_list(spec_for_server(server))}
    unknown = [name for name in writes if name not in tools]
    if unknown:
        raise ImportFailed(
            f"{server.name} has no tool {', '.join(unknown)} (it has: {', '.join(sorted(tools))}).",
            fields={"tools": unknown},
        )
    created = []
    with transaction.atomic():
        for tool_name, tool_writes in writes.items():
            tool = tools[tool_name]
            output_schema = tool["output_schema"] or {}
            outputs = [
                {"name": snake(name), "path": f"/{name}", "type": _output_type(prop, output_schema)}
                | ({"enum": values} if (values := schema_values(prop, output_schema)) else {})
                for name, prop in (output_schema.get("properties") or {}).items()
            ]
            schema = dict(tool["input_schema"] or {"type": "object", "properties": {}})
            schema = {k: v for k, v in schema.items() if k in ("type", "properties", "required")}
            data = {
                "name": f"{system}.{snake(tool_name)}",
                "kind": "mcp",
                "summary": tool["description"] or tool_name.replace("_", " "),
                "synonyms": (synonyms or {}).get(tool_name, ""),
                "writes": bool(tool_writes),
                "input_schema": schema,
                "outputs": outputs,
                "mcp_server": server.name,
                "mcp_tool": tool_name,
                "idempotency_header": "",
            }
            existing = DeclaredOperation.objects.filter(name=data["name"]).first()
            created.append(operation_save(data=data, instance=existing))
    return created


def _output_type(prop: dict, root: dict) -> str:
    from connectors.declared.spec import SCHEMA_TYPES, schema_type

    ref = prop.get("$ref") if isinstance(prop, dict) else None
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        prop = (root.get("$defs") or {}).get(ref.removeprefix("#/$defs/"), {})
    return SCHEMA_TYPES.get(schema_type(prop), "string")
