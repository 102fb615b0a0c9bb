"""REST API for the connector registry (read-only): what operations a step may use.

    GET /api/v1/operations/          list (filters: system, writes; cursor-paginated)
    GET /api/v1/operations/{name}/   one operation

Read from `connectors.registry.operations()`: name, summary, typed parameters,
returned facts, whether it writes and how it is made idempotent. Credentials
and handler paths are never part of it.
"""

from __future__ import annotations

import base64
import binascii

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, viewsets
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from connectors import registry
from sopdesk.api_auth import Rule
from sopdesk.api_base import Cursor, page_size_param


class ParamSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.ChoiceField(
        choices=["string", "text", "integer", "number", "boolean", "list", "object", "email"]
    )
    required = serializers.BooleanField()
    description = serializers.CharField(allow_blank=True)
    choices = serializers.ListField(child=serializers.CharField())


class OperationSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="e.g. 'jira.create_issue'.")
    system = serializers.CharField(help_text="The outside system: salesforce, jira, ..., or a team's own (billing).")
    summary = serializers.CharField()
    params = ParamSerializer(many=True)
    returns = serializers.ListField(child=serializers.CharField(), help_text="Facts the operation returns.")
    writes = serializers.BooleanField(help_text="True when it changes something outside sopdesk.")
    idempotency = serializers.CharField(allow_blank=True, help_text="How a repeated write is made harmless.")
    origin = serializers.CharField(help_text="built-in, declared http, declared mcp or custom fields.")
    keywords = serializers.ListField(child=serializers.CharField(), help_text="Words an SOP may use for it.")
    mocked = serializers.BooleanField(help_text="True when dry runs answer from scripted mocks.")


def operation_json(op: registry.Operation) -> dict:
    return {
        "name": op.name,
        "system": op.system,
        "summary": op.summary,
        "params": [
            {
                "name": name,
                "type": p.type,
                "required": p.required,
                "description": p.description,
                "choices": list(p.choices),
            }
            for name, p in op.params.items()
        ],
        "returns": list(op.returns),
        "writes": op.writes,
        "idempotency": op.idempotency,
        "origin": op.origin,
        "keywords": list(op.keywords),
        "mocked": op.mock is not None,
    }


class ListCursor(BasePagination):
    """Cursor pagination over an in-memory list (the registry), in the same shape as the other lists."""

    page_size = 50
    max_page_size = 200

    def paginate_list(self, items: list, request) -> list:
        self.request = request
        raw = request.query_params.get("cursor")
        self.offset = _decode(raw) if raw else 0
        self.size = page_size_param(request, default=self.page_size, maximum=self.max_page_size)
        self.total = len(items)
        return items[self.offset : self.offset + self.size]

    def _link(self, offset: int | None) -> str | None:
        if offset is None:
            return None
        url = self.request.build_absolute_uri()
        if offset <= 0:
            return remove_query_param(url, "cursor")
        return replace_query_param(url, "cursor", base64.urlsafe_b64encode(f"o={offset}".encode()).decode())

    def get_paginated_response(self, data) -> Response:
        nxt = self.offset + self.size if self.offset + self.size < self.total else None
        prev = max(0, self.offset - self.size) if self.offset > 0 else None
        return Response({"next": self._link(nxt), "previous": self._link(prev), "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return Cursor().get_paginated_response_schema(schema)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return Cursor().get_schema_operation_parameters(view)


def _decode(raw: str) -> int:
    try:
        text = base64.urlsafe_b64decode(raw.encode("ascii")).decode("ascii")
        if not text.startswith("o=") or not text[2:].isdigit() or len(text) > 12:
            raise ValueError(text)
        return int(text[2:])
    except (ValueError, UnicodeError, binascii.Error):
        raise exceptions.ValidationError(
            {"cursor": ["Not a cursor this API gave out. Use the 'next' or 'previous' link."]}
        ) from None


class OperationViewSet(viewsets.ViewSet):
    """The operations steps can call: parameters, returned facts, whether it writes, idempotency."""

    pagination_class = ListCursor
    lookup_field = "name"
    lookup_value_regex = r"[a-z0-9_]+\.[a-z0-9_]+"
    access = {
        "list": Rule("procedures:read", "procedures.view_procedure"),
        "retrieve": Rule("procedures:read", "procedures.view_procedure"),
    }

    @extend_schema(
        parameters=[
            OpenApiParameter("system", str, description="Only this system's operations, e.g. 'jira'."),
            OpenApiParameter("writes", bool, description="Only operations that write (true) or only reads (false)."),
        ],
        responses={200: OperationSerializer(many=True)},
    )
    def list(self, request):
        operations = sorted(registry.operations().values(), key=lambda op: op.name)
        system = request.query_params.get("system")
        if system:
            operations = [op for op in operations if op.system == system]
        writes = request.query_params.get("writes")
        if writes is not None:
            if writes.lower() not in ("true", "false", "1", "0"):
                raise exceptions.ValidationError({"writes": ["Use true or false."]})
            wanted = writes.lower() in ("true", "1")
            operations = [op for op in operations if op.writes == wanted]
        paginator = self.pagination_class()
        page = paginator.paginate_list(operations, request)
        return paginator.get_paginated_response([operation_json(op) for op in page])

    @extend_schema(responses={200: OperationSerializer})
    def retrieve(self, request, name=None):
        operation = registry.operations().get(name or "")
        if operation is None:
            raise exceptions.NotFound(f"No operation {name!r}. List them at /api/v1/operations/.")
        return Response(operation_json(operation))


def register(router) -> None:
    from connectors.declared.api import register as register_declared

    router.register("operations", OperationViewSet, basename="operation")
    register_declared(router)
