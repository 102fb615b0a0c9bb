"""Frozen snapshots of declarations, read once from the database and handed to the executors.

A handler never re-reads its row: the catalog rebuilds every spec when a
declaration changes, so a call uses exactly what `registry.operations()` showed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.registry import Param

SCHEMA_TYPES = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "array": "list",
    "object": "object",
}
OUTPUT_TYPES = ("string", "text", "integer", "number", "boolean", "list", "object", "datetime")


@dataclass(frozen=True)
class Output:
    name: str
    path: str
    type: str = "string"
    values: tuple[str, ...] = ()  # the only values it can take (JSON Schema `enum`), when declared


@dataclass(frozen=True)
class Mock:
    match: dict[str, Any]
    result: dict[str, Any]
    error: str = ""


@dataclass(frozen=True)
class Auth:
    system: str
    auth: str = "none"
    auth_header: str = ""
    secret_env: str = ""
    secret_sealed: str = field(default="", repr=False)


@dataclass(frozen=True)
class EndpointSpec:
    name: str
    base_url: str
    credentials: Auth
    version: str = ""  # changes when the row changes: a new keep-alive session


@dataclass(frozen=True)
class ServerSpec:
    name: str
    transport: str
    command: str = ""
    env_names: tuple[str, ...] = ()
    url: str = ""
    credentials: Auth | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class OperationSpec:
    name: str
    kind: str
    writes: bool
    input_schema: dict[str, Any]
    outputs: tuple[Output, ...]
    endpoint: EndpointSpec | None = None
    method: str = "GET"
    path: str = ""
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    idempotency_header: str = ""
    server: ServerSpec | None = None
    tool: str = ""
    timeout: float = 20.0
    retry_attempts: int | None = None
    mocks: tuple[Mock, ...] = ()

    @property
    def system(self) -> str:
        return self.name.split(".", 1)[0]


def schema_type(prop: dict[str, Any]) -> str:
    """The JSON Schema type of a property, seeing through `["x", "null"]` and `anyOf`/`oneOf` with null."""
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if not kind:
        for option in prop.get("anyOf") or prop.get("oneOf") or ():
            if isinstance(option, dict) and option.get("type") not in (None, "null"):
                return schema_type(option)
    return kind or ("object" if "properties" in prop else "string")


def params_from_schema(schema: dict[str, Any]) -> dict[str, Param]:
    """Registry parameters from a JSON Schema object: types, required, enum choices, descriptions."""
    properties = (schema or {}).get("properties") or {}
    required = set((schema or {}).get("required") or ())
    params = {}
    for name, prop in properties.items():
        prop = prop if isinstance(prop, dict) else {}
        ptype = SCHEMA_TYPES.get(schema_type(prop), "string")
        if ptype == "string" and prop.get("format") == "email":
            ptype = "email"
        choices = tuple(str(c) for c in prop.get("enum") or () if c is not None)
        description = str(prop.get("description") or prop.get("title") or "")
        params[name] = Param(ptype, required=name in required, description=description, choices=choices)  # type: ignore[arg-type]
    return params


def outputs_from_rows(rows: list[dict[str, Any]]) -> tuple[Output, ...]:
    return tuple(
        Output(
            name=str(r["name"]),
            path=str(r.get("path") or f"/{r['name']}"),
            type=str(r.get("type") or "string"),
            values=enum_values(r.get("enum")),
        )
        for r in rows or ()
    )


def schema_values(prop: dict[str, Any], root: dict[str, Any] | None = None) -> list[Any]:
    """The values a JSON Schema property allows (`enum`, `const`, through a local `$ref` or `anyOf` with null); [] when
    it allows any. Pydantic's Literal and Enum outputs of an MCP tool come out this way."""
    if not isinstance(prop, dict):
        return []
    ref = prop.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and root:
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        return schema_values(target or {}, root)
    if isinstance(prop.get("enum"), list):
        return [v for v in prop["enum"] if v is not None]
    if "const" in prop and prop["const"] is not None:
        return [prop["const"]]
    options = [
        o for o in prop.get("anyOf") or prop.get("oneOf") or () if isinstance(o, dict) and o.get("type") != "null"
    ]
    return schema_values(options[0], root) if len(options) == 1 else []


def enum_values(enum: Any) -> tuple[str, ...]:
    """A declared value list as strings (null dropped): ["active", "suspended", null] → ("active", "suspended")."""
    if not isinstance(enum, list | tuple):
        return ()
    return tuple(str(v).lower() if isinstance(v, bool) else str(v) for v in enum if v is not None)
