"""`{name}` placeholders in declared paths, queries and bodies, filled from a call's inputs.

A string that is exactly one placeholder takes the input's typed value (a
number stays a number in a JSON body; an absent optional input drops the
key); placeholders inside longer strings are replaced by their text. Path
values are URL-quoted, so an input can never step outside the endpoint.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from connectors.base import PermanentError

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ABSENT = object()


def names(template: Any) -> set[str]:
    if isinstance(template, str):
        return set(PLACEHOLDER.findall(template))
    if isinstance(template, dict):
        return set().union(*(names(v) for v in template.values())) if template else set()
    if isinstance(template, list):
        return set().union(*(names(v) for v in template)) if template else set()
    return set()


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def fill(template: Any, inputs: dict[str, Any], *, system: str) -> Any:
    if isinstance(template, str):
        whole = PLACEHOLDER.fullmatch(template)
        if whole:
            return inputs.get(whole.group(1), _ABSENT)

        def one(match: re.Match) -> str:
            value = inputs.get(match.group(1))
            if value is None:
                raise PermanentError(f"{system}: input {match.group(1)!r} is needed in {template!r}", system=system)
            return _text(value)

        return PLACEHOLDER.sub(one, template)
    if isinstance(template, dict):
        filled = {k: fill(v, inputs, system=system) for k, v in template.items()}
        return {k: v for k, v in filled.items() if v is not _ABSENT}
    if isinstance(template, list):
        return [v for v in (fill(t, inputs, system=system) for t in template) if v is not _ABSENT]
    return template


def fill_path(template: str, inputs: dict[str, Any], *, system: str) -> str:
    def one(match: re.Match) -> str:
        value = inputs.get(match.group(1))
        if value in (None, ""):
            raise PermanentError(f"{system}: input {match.group(1)!r} is needed for the path", system=system)
        return quote(_text(value), safe="")

    path = PLACEHOLDER.sub(one, template or "")
    return path if not path or path.startswith("/") else "/" + path
