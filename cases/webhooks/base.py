"""What every webhook source shares: its rejection error and small parsing helpers."""

from __future__ import annotations

import json
import re
from typing import Any

# Deeper bodies are refused: no source we read nests past a dozen levels, and deep nesting
# is how a hostile body exhausts the parser's recursion.
MAX_DEPTH = 32
# NUL and unpaired surrogates cannot be stored by PostgreSQL (text or jsonb); they are removed.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


class WebhookRejected(Exception):
    """The request is refused: `status` is the HTTP answer, `code` stable, `message` says what to fix."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def storable(value: str) -> str:
    """`value` without the characters no supported database can store (NUL, unpaired surrogates)."""
    return _UNSTORABLE.sub("", value)


def json_body(body: bytes) -> Any:
    """The parsed body, with strings made storable; WebhookRejected (400) for bad or too deeply nested JSON."""
    try:
        data = json.loads(body.decode("utf-8"))
    except RecursionError:
        raise _too_deep() from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WebhookRejected(400, "malformed_json", f"The body is not valid JSON: {exc}. Send a JSON object.") from exc
    return _clean(data)


def _too_deep() -> WebhookRejected:
    return WebhookRejected(
        400, "too_deep", f"The JSON body is nested more than {MAX_DEPTH} levels deep. Send a flatter object."
    )


def _clean(data: Any) -> Any:
    """A copy of parsed JSON with storable strings (keys too), refusing nesting deeper than MAX_DEPTH.

    Iterative, so a hostile body cannot exhaust the interpreter's recursion limit here either.
    """
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any, int]] = [(data, root, 0, 1)]  # (value, parent container, key in parent, depth)
    while stack:
        value, parent, key, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_DEPTH:
                raise _too_deep()
            copy: Any = {}
            for k, v in value.items():
                clean_key = storable(k)
                copy[clean_key] = None
                stack.append((v, copy, clean_key, depth + 1))
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                raise _too_deep()
            copy = [None] * len(value)
            stack.extend((v, copy, i, depth + 1) for i, v in enumerate(value))
        elif isinstance(value, str):
            copy = storable(value)
        else:
            copy = value
        parent[key] = copy
    return root[0]


def json_object(body: bytes) -> dict:
    data = json_body(body)
    if not isinstance(data, dict):
        raise WebhookRejected(400, "malformed_json", "The body must be a JSON object.")
    return data


def text(value: Any) -> str | None:
    if value is None:
        return None
    value = storable(str(value)).strip()
    return value or None
