"""REST API for declared tools (secrets are write-only: no response ever carries one).

GET/POST            /api/v1/declared-operations/              list, declare (HTTP or MCP) with mocks
GET/PATCH/DELETE    /api/v1/declared-operations/{name}/
POST                /api/v1/declared-operations/import-openapi/   {document, system, endpoint, pick?, writes?}
POST                /api/v1/declared-operations/import-mcp/       {server, system, writes: {tool: bool}}
POST                /api/v1/declared-operations/{name}/record-mock/  {params}: a real read, kept as a mock
GET/POST            /api/v1/endpoints/        GET/POST /api/v1/mcp-servers/
GET                 /api/v1/custom-fields/    POST /api/v1/custom-fields/select/ {system, sobject?, fields}
"""

from __future__ import annotations

from contextlib import contextmanager

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from connectors.base import ConnectorError
from connectors.declared import fields as custom_fields
from connectors.declared import mcp, openapi, services
from connectors.declared.demo import BILLING_STATUS
from connectors.declared.errors import DeclarationError
from connectors.declared.models import CustomField, DeclaredOperation, Endpoint, McpServer
from sopdesk.api_auth import Rule
from sopdesk.api_errors import Invalid

READ = Rule("procedures:read", "connectors.view_declaredoperation")
WRITE = Rule("procedures:write", "connectors.change_declaredoperation")


@contextmanager
def _refusals():
    try:
        yield
    except DeclarationError as exc:
        raise Invalid(exc.message, code=exc.code, fields=exc.fields) from None
    except ConnectorError as exc:
        raise Invalid(f"The system answered: {exc}", code=exc.code) from None


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise exceptions.ValidationError({"body": ["Send a JSON object."]})
    return dict(request.data)


def operation_json(op: DeclaredOperation) -> dict:
    return {
        "name": op.name,
        "kind": op.kind,
        "summary": op.summary,
        "synonyms": op.synonyms,
        "writes": op.writes,
        "enabled": op.enabled,
        "input_schema": op.input_schema,
        "outputs": op.outputs,
        "endpoint": op.endpoint.name if op.endpoint_id else None,
        "method": op.method,
        "path": op.path,
        "query": op.query,
        "body": op.body,
        "idempotency_header": op.idempotency_header,
        "mcp_server": op.mcp_server.name if op.mcp_server_id else None,
        "mcp_tool": op.mcp_tool,
        "timeout": op.timeout,
        "retry_attempts": op.retry_attempts,
        "mocks": [
            {"match": m.match, "result": m.result, "error": m.error, "recorded": m.recorded} for m in op.mocks.all()
        ],
        "updated_at": op.updated_at.isoformat(),
    }


def endpoint_json(e: Endpoint) -> dict:
    return {
        "name": e.name,
        "base_url": e.base_url,
        "auth": e.auth,
        "auth_header": e.auth_header,
        "secret_env": e.secret_env,
        "secret_stored": bool(e.secret_sealed),
    }


def server_json(s: McpServer) -> dict:
    return {
        "name": s.name,
        "transport": s.transport,
        "command": s.command,
        "env_names": s.env_names,
        "url": s.url,
        "auth": s.auth,
        "auth_header": s.auth_header,
        "secret_env": s.secret_env,
        "secret_stored": bool(s.secret_sealed),
        "timeout": s.timeout,
    }


class DeclaredOperationViewSet(viewsets.ViewSet):
    """A team's own HTTP operations and MCP tools, with their mocks."""

    lookup_field = "name"
    lookup_value_regex = r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*"
    access = {
        "list": READ,
        "retrieve": READ,
        "create": WRITE,
        "partial_update": WRITE,
        "destroy": WRITE,
        "import_openapi": WRITE,
        "import_mcp": WRITE,
        "record_mock": WRITE,
    }

    def _get(self, name: str) -> DeclaredOperation:
        op = DeclaredOperation.objects.select_related("endpoint", "mcp_server").filter(name=name).first()
        if op is None:
            raise exceptions.NotFound(f"No declared operation {name!r}.")
        return op

    @extend_schema(operation_id="declared_operations_list", responses={200: OpenApiTypes.OBJECT})
    def list(self, request):
        rows = DeclaredOperation.objects.select_related("endpoint", "mcp_server").prefetch_related("mocks")
        return Response({"results": [operation_json(op) for op in rows]})

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def retrieve(self, request, name=None):
        return Response(operation_json(self._get(name)))

    @extend_schema(
        examples=[OpenApiExample("billing status", request_only=True, value={**BILLING_STATUS, "endpoint": "billing"})],
        request=OpenApiTypes.OBJECT,
        responses={201: OpenApiTypes.OBJECT},
    )
    def create(self, request):
        with _refusals():
            op = services.operation_save(data=_body(request))
        return Response(operation_json(op), status=status.HTTP_201_CREATED)

    @extend_schema(
        examples=[
            OpenApiExample("new synonyms", request_only=True, value={"synonyms": "billing system, account status"})
        ],
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT},
    )
    def partial_update(self, request, name=None):
        with _refusals():
            op = services.operation_save(data=_body(request), instance=self._get(name))
        return Response(operation_json(op))

    @extend_schema(responses={204: None})
    def destroy(self, request, name=None):
        services.operation_delete(operation=self._get(name))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        examples=[
            OpenApiExample(
                "pick two operations",
                request_only=True,
                value={
                    "document": {"openapi": "3.0.3", "info": {"title": "Billing", "version": "1"}, "paths": {}},
                    "system": "billing",
                    "endpoint": "billing",
                    "pick": ["getAccountStatus"],
                    "writes": {"getAccountStatus": False},
                },
            )
        ],
        request=OpenApiTypes.OBJECT,
        responses={201: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["post"], url_path="import-openapi")
    def import_openapi(self, request):
        body = _body(request)
        missing = [k for k in ("document", "system", "endpoint") if not body.get(k)]
        if missing:
            raise exceptions.ValidationError({k: ["This field is required."] for k in missing})
        with _refusals():
            ops = openapi.openapi_import(
                document=body["document"],
                system=str(body["system"]),
                endpoint=str(body["endpoint"]),
                pick=body.get("pick"),
                writes=body.get("writes"),
                synonyms=body.get("synonyms"),
            )
        return Response({"results": [operation_json(op) for op in ops]}, status=status.HTTP_201_CREATED)

    @extend_schema(
        examples=[
            OpenApiExample(
                "outage tool",
                request_only=True,
                value={
                    "server": "outage-detector",
                    "system": "outage",
                    "writes": {"check_outage": False},
                    "synonyms": {"check_outage": "outage detector, incident"},
                },
            )
        ],
        request=OpenApiTypes.OBJECT,
        responses={201: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["post"], url_path="import-mcp")
    def import_mcp(self, request):
        body = _body(request)
        writes = body.get("writes")
        if not isinstance(writes, dict) or not writes:
            raise exceptions.ValidationError(
                {"writes": ['Name each tool to use and whether it writes: {"check_outage": false}.']}
            )
        server = McpServer.objects.filter(name=body.get("server") or "").first()
        if server is None:
            raise exceptions.ValidationError({"server": ["No MCP server with this name."]})
        with _refusals():
            ops = mcp.mcp_import(
                server=server, system=str(body.get("system") or ""), writes=writes, synonyms=body.get("synonyms")
            )
        return Response({"results": [operation_json(op) for op in ops]}, status=status.HTTP_201_CREATED)

    @extend_schema(
        examples=[OpenApiExample("one account", request_only=True, value={"params": {"email": "alice@acme.example"}})],
        request=OpenApiTypes.OBJECT,
        responses={201: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["post"], url_path="record-mock")
    def record_mock(self, request, name=None):
        params = _body(request).get("params")
        if not isinstance(params, dict):
            raise exceptions.ValidationError({"params": ["The inputs to call with, as an object."]})
        with _refusals():
            mock = services.mock_record(operation=self._get(name), params=params)
        return Response({"match": mock.match, "result": mock.result}, status=status.HTTP_201_CREATED)


class EndpointViewSet(viewsets.ViewSet):
    """Named base URLs and their auth. `secret` is accepted, never returned."""

    access = {"list": READ, "create": WRITE}

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def list(self, request):
        return Response({"results": [endpoint_json(e) for e in Endpoint.objects.all()]})

    @extend_schema(
        examples=[
            OpenApiExample(
                "billing",
                request_only=True,
                value={
                    "name": "billing",
                    "base_url": "https://billing.internal.example/api",
                    "auth": "bearer",
                    "secret_env": "BILLING_API_TOKEN",
                },
            )
        ],
        request=OpenApiTypes.OBJECT,
        responses={201: OpenApiTypes.OBJECT},
    )
    def create(self, request):
        body = _body(request)
        allowed = {"name", "base_url", "auth", "auth_header", "secret_env", "secret"}
        with _refusals():
            if not body.get("name") or not body.get("base_url"):
                raise DeclarationError(
                    "Give name and base_url.", fields={"name": ["Required."], "base_url": ["Required."]}
                )
            endpoint = services.endpoint_save(**{k: v for k, v in body.items() if k in allowed})
        return Response(endpoint_json(endpoint), status=status.HTTP_201_CREATED)


class McpServerViewSet(viewsets.ViewSet):
    """MCP servers (a stdio command or a streamable HTTP URL) whose tools SOPs may use. `secret` is write-only."""

    access = {"list": READ, "create": WRITE}

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def list(self, request):
        return Response({"results": [server_json(s) for s in McpServer.objects.all()]})

    @extend_schema(
        examples=[
            OpenApiExample(
                "stdio server",
                request_only=True,
                value={
                    "name": "outage-detector",
                    "transport": "stdio",
                    "command": "python -m outage_mcp",
                    "timeout": 20,
                },
            )
        ],
        request=OpenApiTypes.OBJECT,
        responses={201: OpenApiTypes.OBJECT},
    )
    def create(self, request):
        body = _body(request)
        allowed = {"transport", "command", "env_names", "url", "auth", "auth_header", "secret_env", "timeout"}
        with _refusals():
            if not body.get("name"):
                raise DeclarationError("Give the server a name.", fields={"name": ["Required."]})
            server = services.mcp_server_save(
                name=str(body["name"]), secret=body.get("secret"), **{k: v for k, v in body.items() if k in allowed}
            )
        return Response(server_json(server), status=status.HTTP_201_CREATED)


class CustomFieldViewSet(viewsets.ViewSet):
    """Zendesk ticket fields and Salesforce object fields selected as named, typed facts."""

    access = {"list": READ, "select": WRITE}

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def list(self, request):
        rows = CustomField.objects.all()
        return Response(
            {
                "results": [
                    {"system": r.system, "sobject": r.sobject, "field_id": r.field_id, "title": r.title,
                     "fact": r.fact, "type": r.type, "choices": r.choices, "enabled": r.enabled}
                    for r in rows
                ]
            }
        )  # fmt: skip

    @extend_schema(
        examples=[
            OpenApiExample(
                "two ticket fields",
                request_only=True,
                value={"system": "zendesk", "fields": ["Order number", "Product area"]},
            )
        ],
        request=OpenApiTypes.OBJECT,
        responses={201: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["post"])
    def select(self, request):
        body = _body(request)
        system, wanted = body.get("system"), body.get("fields")
        if system not in ("zendesk", "salesforce") or not isinstance(wanted, list) or not wanted:
            raise exceptions.ValidationError(
                {"system": ["zendesk or salesforce."], "fields": ["A list of field titles (or ids / API names)."]}
            )
        sobject = str(body.get("sobject") or ("Ticket" if system == "zendesk" else "Account"))
        with _refusals():
            available = (
                custom_fields.zendesk_fields_available()
                if system == "zendesk"
                else custom_fields.salesforce_fields_available(sobject)
            )
            rows = services.custom_fields_select(
                system=system, sobject=sobject, wanted=[str(w) for w in wanted], available=available
            )
        return Response(
            {"results": [{"fact": r.fact, "title": r.title, "type": r.type, "choices": r.choices} for r in rows]},
            status=status.HTTP_201_CREATED,
        )


def register(router) -> None:
    router.register("declared-operations", DeclaredOperationViewSet, basename="declared-operation")
    router.register("endpoints", EndpointViewSet, basename="endpoint")
    router.register("mcp-servers", McpServerViewSet, basename="mcp-server")
    router.register("custom-fields", CustomFieldViewSet, basename="custom-field")
