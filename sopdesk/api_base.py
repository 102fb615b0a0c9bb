"""The API's JSON parser (with the size limit) and its cursor pagination.

Kept apart from sopdesk.api: DRF imports these while it defines APIView, so
this module must not import DRF's views.
"""

from __future__ import annotations

import json

from django.conf import settings
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser

from sopdesk.api_errors import RequestTooLarge

# --- Parsing ---------------------------------------------------------------------------


class LimitedJSONParser(JSONParser):
    """JSON bodies up to DATA_UPLOAD_MAX_MEMORY_SIZE (else 413); every malformed body is a 400, never a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if limit is not None and declared and declared.isdigit() and int(declared) > limit:
            raise RequestTooLarge()
        raw = stream.read(limit + 1) if stream is not None and limit is not None else (stream.read() if stream else b"")
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge()
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            text = raw.decode(encoding)
            data = json.loads(text, parse_constant=_reject_constant)
        except (LookupError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(f"The body is not text in {encoding!r}: send UTF-8 JSON.") from exc
        except RecursionError as exc:
            raise exceptions.ParseError("The JSON is nested too deeply.") from exc
        except ValueError as exc:
            raise exceptions.ParseError(f"The body is not valid JSON: {exc}.") from exc
        problem = _unstorable_text(data)
        if problem:
            raise exceptions.ParseError(f"The body contains {problem}. Remove it.")
        return data


def _unstorable_text(value) -> str:
    """What in the parsed JSON no database column can hold: NUL characters (PostgreSQL refuses them in
    text and JSON) and lone UTF-16 surrogates (not encodable as UTF-8). Empty when there is none."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "a NUL character (\\u0000)"
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "a lone surrogate escape (\\ud800-\\udfff) that is not text"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return ""


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


# --- Pagination --------------------------------------------------------------------------


class Cursor(CursorPagination):
    """Newest first, `page_size` up to 200; a bad `cursor` is a 400 naming the parameter."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request) -> int:
        return page_size_param(request, default=self.page_size, maximum=self.max_page_size)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError(
                {self.cursor_query_param: ["Not a cursor this API gave out. Use the 'next' or 'previous' link."]}
            ) from None


def page_size_param(request, *, default: int, maximum: int) -> int:
    """`page_size` from the query: absent → default; a whole number 1..maximum (larger is capped); else a 400."""
    raw = request.query_params.get("page_size")
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise exceptions.ValidationError({"page_size": [f"Give a whole number from 1 to {maximum}."]})
    return min(int(raw), maximum)
