"""Writes to declarations: every change is validated whole, stored in one transaction, and seen by every process.

Used by the admin and the API alike. Each service ends with
`catalog.declarations_changed()`, so the registry reloads everywhere.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from connectors.declared import catalog, secrets, validation
from connectors.declared.errors import DeclarationError
from connectors.declared.models import CustomField, DeclaredOperation, Endpoint, McpServer, MockResponse

OPERATION_FIELDS = (
    "name", "kind", "summary", "synonyms", "writes", "enabled", "input_schema", "outputs", "method", "path",
    "query", "body", "idempotency_header", "mcp_tool", "timeout", "retry_attempts",
)  # fmt: skip


def _endpoint(name: str | None) -> Endpoint | None:
    if not name:
        return None
    endpoint = Endpoint.objects.filter(name=name).first()
    if endpoint is None:
        known = ", ".join(Endpoint.objects.values_list("name", flat=True)) or "none yet"
        raise DeclarationError(f"No endpoint {name!r} (known: {known}).", fields={"endpoint": ["Unknown endpoint."]})
    return endpoint


def _server(name: str | None) -> McpServer | None:
    if not name:
        return None
    server = McpServer.objects.filter(name=name).first()
    if server is None:
        raise DeclarationError(f"No MCP server {name!r}.", fields={"mcp_server": ["Unknown MCP server."]})
    return server


@transaction.atomic
def endpoint_save(
    *, name: str, base_url: str, auth: str = "none", auth_header: str = "", secret_env: str = "",
    secret: str | None = None, instance: Endpoint | None = None,
) -> Endpoint:  # fmt: skip
    """Create or change an endpoint. `secret=None` keeps the stored secret, '' removes it."""
    endpoint = instance or Endpoint.objects.filter(name=name).first() or Endpoint(name=name)
    endpoint.name, endpoint.base_url, endpoint.auth = name, base_url, auth
    endpoint.auth_header, endpoint.secret_env = auth_header, secret_env
    if secret is not None:
        endpoint.secret_sealed = secrets.seal(secret)
    _full_clean(endpoint)
    endpoint.save()
    catalog.declarations_changed()
    return endpoint


@transaction.atomic
def mcp_server_save(*, name: str, secret: str | None = None, instance: McpServer | None = None, **fields) -> McpServer:
    server = instance or McpServer.objects.filter(name=name).first() or McpServer(name=name)
    server.name = name
    for key, value in fields.items():
        setattr(server, key, value)
    if secret is not None:
        server.secret_sealed = secrets.seal(secret)
    if server.transport == "stdio" and not server.command:
        raise DeclarationError("A stdio MCP server needs a command.", fields={"command": ["Required for stdio."]})
    if server.transport == "http" and not server.url:
        raise DeclarationError("A streamable HTTP MCP server needs a URL.", fields={"url": ["Required for http."]})
    _full_clean(server)
    server.save()
    catalog.declarations_changed()
    return server


def _full_clean(obj) -> None:
    from django.core.exceptions import ValidationError

    try:
        obj.full_clean(validate_unique=False)
    except ValidationError as exc:
        fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        raise DeclarationError(f"Fix these fields: {', '.join(sorted(fields))}.", fields=fields) from None


@transaction.atomic
def operation_save(*, data: dict[str, Any], instance: DeclaredOperation | None = None) -> DeclaredOperation:
    """Create (or change `instance`) from API-shaped data; `endpoint`/`mcp_server` by name; `mocks` replace all."""
    current = {f: getattr(instance, f) for f in OPERATION_FIELDS} if instance else {}
    if instance:
        current["endpoint"] = instance.endpoint.name if instance.endpoint_id else None
        current["mcp_server"] = instance.mcp_server.name if instance.mcp_server_id else None
    merged = {**current, **data}
    endpoint, server = _endpoint(merged.get("endpoint")), _server(merged.get("mcp_server"))
    validation.check_operation(merged, endpoint_known=endpoint is not None, server_known=server is not None)
    clash = DeclaredOperation.objects.filter(name=merged["name"]).exclude(pk=getattr(instance, "pk", None))
    if clash.exists():
        raise DeclarationError(f"{merged['name']} is already declared.", fields={"name": ["Already declared."]})
    operation = instance or DeclaredOperation()
    for field in OPERATION_FIELDS:
        if field in merged and merged[field] is not None:
            setattr(operation, field, merged[field])
    operation.method = operation.method.upper()
    operation.endpoint, operation.mcp_server = endpoint, server
    _full_clean(operation)
    operation.save()
    if "mocks" in data:
        mocks_replace(operation=operation, rows=data["mocks"] or [], notify=False)
    catalog.declarations_changed()
    return operation


def _io(operation: DeclaredOperation) -> tuple[set[str], set[str]]:
    inputs = set(((operation.input_schema or {}).get("properties") or {}).keys())
    outputs = {o["name"] for o in operation.outputs or [] if isinstance(o, dict) and "name" in o}
    return inputs, outputs


@transaction.atomic
def mocks_replace(*, operation: DeclaredOperation, rows: list[dict[str, Any]], notify: bool = True) -> None:
    if not isinstance(rows, list):
        raise DeclarationError("mocks must be a list of {match, result, error}.", fields={"mocks": ["A list."]})
    inputs, outputs = _io(operation)
    for row in rows:
        if not isinstance(row, dict):
            raise DeclarationError("Each mock is an object {match, result, error}.", fields={"mocks": ["Objects."]})
        validation.check_mock(
            inputs=inputs, outputs=outputs, match=row.get("match", {}), result=row.get("result", {}),
            error=str(row.get("error") or ""), values=validation.output_values(operation.outputs),
        )  # fmt: skip
    operation.mocks.all().delete()
    for position, row in enumerate(rows):
        MockResponse.objects.create(
            operation=operation, position=position, match=row.get("match") or {}, result=row.get("result") or {},
            error=str(row.get("error") or ""), recorded=bool(row.get("recorded")),
        )  # fmt: skip
    if notify:
        catalog.declarations_changed()


def mock_check(*, operation: DeclaredOperation, match: Any, result: Any, error: str) -> None:
    inputs, outputs = _io(operation)
    validation.check_mock(
        inputs=inputs, outputs=outputs, match=match, result=result, error=error,
        values=validation.output_values(operation.outputs),
    )  # fmt: skip


def mock_record(*, operation: DeclaredOperation, params: dict[str, Any]) -> MockResponse:
    """Call the real system once with `params` (a read only) and keep its answer as a mock row."""
    from connectors import registry

    if operation.writes:
        raise DeclarationError("Only reads are recorded: a recorded write would really happen.")
    result = registry.get(operation.name).load_handler()(dict(params))
    with transaction.atomic():
        inputs, _ = _io(operation)
        match = {k: v for k, v in params.items() if k in inputs}
        position = (operation.mocks.order_by("-position").values_list("position", flat=True).first() or 0) + 1
        mock = MockResponse.objects.create(
            operation=operation, position=position, match=match, result=result, recorded=True
        )
        catalog.declarations_changed()
    return mock


@transaction.atomic
def operation_delete(*, operation: DeclaredOperation) -> None:
    operation.delete()
    catalog.declarations_changed()


@transaction.atomic
def custom_fields_select(*, system: str, sobject: str, wanted: list[str], available: list[dict]) -> list[CustomField]:
    """Keep the fields named in `wanted` (by title or id, any case) from `available` (what the system lists)."""
    by_key = {}
    for field in available:
        by_key[field["title"].lower()] = field
        by_key[str(field["field_id"]).lower()] = field
    missing = [w for w in wanted if w.lower() not in by_key]
    if missing:
        known = ", ".join(sorted({f["title"] for f in available}))
        raise DeclarationError(
            f"{system} has no field {', '.join(map(repr, missing))} (it has: {known}).", fields={"fields": missing}
        )
    from connectors.declared.fields import fact_name

    rows = []
    for w in wanted:
        field = by_key[w.lower()]
        row, _ = CustomField.objects.update_or_create(
            system=system,
            sobject=sobject,
            fact=fact_name(field["title"]),
            defaults={
                "field_id": str(field["field_id"]), "title": field["title"], "type": field["type"],
                "choices": field.get("choices") or [], "enabled": True,
            },
        )  # fmt: skip
        rows.append(row)
    catalog.declarations_changed()
    return rows
