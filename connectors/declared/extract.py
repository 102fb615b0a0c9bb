"""Output facts from a response: JSON pointer (`/account/status`) or a simple JSONPath (`$.account.status`,
`$.items[0].id`), coerced to the declared type. A missing value is None, never an error: the step's
`required` facts decide whether the run needs a person.
"""

from __future__ import annotations

import re
from typing import Any

from connectors.base import PermanentError

_SEGMENT = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\[['\"]([^'\"]+)['\"]\]")
_MISSING = object()


def _tokens(path: str) -> list[str | int]:
    if path in ("", "/", "$"):
        return []
    if path.startswith("/"):
        return [int(p) if p.isdigit() else p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]
    if path.startswith("$"):
        rest, tokens, pos = path[1:], [], 0
        for match in _SEGMENT.finditer(rest):
            if match.start() != pos:
                raise ValueError(f"cannot read path {path!r} at {rest[pos:]!r}")
            name, index, quoted = match.groups()
            tokens.append(int(index) if index is not None else (name or quoted))
            pos = match.end()
        if pos != len(rest):
            raise ValueError(f"cannot read path {path!r} at {rest[pos:]!r}")
        return tokens
    return _tokens("/" + path.replace(".", "/"))


def check_path(path: str) -> str:
    """'' when `path` is readable, else what is wrong with it."""
    try:
        _tokens(path)
    except ValueError as exc:
        return str(exc)
    return ""


def lookup(document: Any, path: str) -> Any:
    value = document
    for token in _tokens(path):
        if isinstance(value, dict) and str(token) in value:
            value = value[str(token)]
        elif isinstance(value, list) and isinstance(token, int) and -len(value) <= token < len(value):
            value = value[token]
        else:
            return _MISSING
    return value


def coerce(value: Any, kind: str, *, fact: str, system: str) -> Any:
    if value is None or value is _MISSING:
        return None
    try:
        if kind in ("string", "text", "datetime"):
            return value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
        if kind == "boolean":
            if isinstance(value, str):
                return value.strip().lower() in ("true", "1", "yes", "y", "on")
            return bool(value)
        if kind == "list":
            return value if isinstance(value, list) else [value]
        return value
    except (TypeError, ValueError):
        raise PermanentError(
            f"{system} returned {value!r} for {fact}, which is not a {kind}: fix the output declaration",
            system=system,
        ) from None


def facts(document: Any, outputs, *, system: str) -> dict[str, Any]:
    """The declared output facts of `document`; with no outputs declared, its top-level keys."""
    if not outputs:
        return dict(document) if isinstance(document, dict) else {"result": document}
    return {o.name: coerce(lookup(document, o.path), o.type, fact=o.name, system=system) for o in outputs}
