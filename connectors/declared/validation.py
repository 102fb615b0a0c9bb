"""What makes a declaration usable: checked before anything is stored, so nothing half-valid joins the registry."""

from __future__ import annotations

import re
from typing import Any

from connectors.declared import extract, templates
from connectors.declared.errors import DeclarationError
from connectors.declared.spec import OUTPUT_TYPES, SCHEMA_TYPES, enum_values

NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
FACT = re.compile(r"^[a-z_][a-z0-9_]*$")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
RESERVED_SYSTEMS = ("salesforce", "jira", "zendesk", "email", "http", "carrier", "case", "event")


def check_operation(data: dict[str, Any], *, endpoint_known: bool, server_known: bool) -> None:
    """Raise DeclarationError naming every field to fix."""
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    name = str(data.get("name") or "")
    if not NAME.match(name):
        add("name", "Use system.action in lower case, e.g. billing.get_account_status.")
    elif name.split(".")[0] in RESERVED_SYSTEMS:
        add("name", f"{name.split('.')[0]!r} is a built-in system; name your own system, e.g. billing.")
    if not str(data.get("summary") or "").strip():
        add("summary", "Say what it does, in the words an SOP would use.")
    schema = data.get("input_schema") or {}
    inputs: set[str] = set()
    if not isinstance(schema, dict) or (schema and schema.get("type", "object") != "object"):
        add("input_schema", 'A JSON Schema object: {"type": "object", "properties": {...}, "required": [...]}.')
    else:
        props = schema.get("properties") or {}
        if not isinstance(props, dict):
            add("input_schema", "properties must be an object of input name → schema.")
            props = {}
        for pname, prop in props.items():
            if not FACT.match(pname):
                add("input_schema", f"input {pname!r}: use lower-case letters, digits and _.")
            kind = prop.get("type", "string") if isinstance(prop, dict) else None
            kinds = kind if isinstance(kind, list) else [kind]
            if not isinstance(prop, dict) or not all(k in SCHEMA_TYPES or k == "null" for k in kinds):
                add("input_schema", f"input {pname!r}: type must be one of {', '.join(SCHEMA_TYPES)}.")
        inputs = set(props)
        for req in schema.get("required") or []:
            if req not in inputs:
                add("input_schema", f"required input {req!r} is not among the properties.")
    outputs = data.get("outputs") or []
    seen: set[str] = set()
    if not isinstance(outputs, list):
        add("outputs", 'A list like [{"name": "account_status", "path": "/status", "type": "string"}].')
        outputs = []
    for i, out in enumerate(outputs):
        if not isinstance(out, dict) or not FACT.match(str(out.get("name") or "")):
            add("outputs", f"output {i + 1}: give a fact name in lower case (letters, digits, _).")
            continue
        if out["name"] in seen:
            add("outputs", f"output {out['name']!r} is declared twice.")
        seen.add(out["name"])
        problem = extract.check_path(str(out.get("path") or f"/{out['name']}"))
        if problem:
            add("outputs", f"output {out['name']!r}: {problem}; use a JSON pointer (/a/b) or $.a.b.")
        if str(out.get("type") or "string") not in OUTPUT_TYPES:
            add("outputs", f"output {out['name']!r}: type must be one of {', '.join(OUTPUT_TYPES)}.")
        enum = out.get("enum")
        if enum is not None and (
            not isinstance(enum, list) or not enum or not all(isinstance(v, str | int | float | bool) for v in enum)
        ):
            add("outputs", f'output {out["name"]!r}: enum lists the values it can take, e.g. ["active", "suspended"].')
    kind = data.get("kind") or "http"
    if kind == "http":
        if not endpoint_known:
            add("endpoint", "Choose the named endpoint (base URL and auth) this operation calls.")
        if str(data.get("method") or "GET").upper() not in METHODS:
            add("method", f"Use one of {', '.join(METHODS)}.")
        for field in ("path", "query", "body"):
            unknown = templates.names(data.get(field)) - inputs
            if unknown:
                add(field, f"placeholders {sorted(unknown)} are not inputs; declare them in input_schema.")
    elif kind == "mcp":
        if not server_known:
            add("mcp_server", "Choose the MCP server that provides this tool.")
        if not str(data.get("mcp_tool") or "").strip():
            add("mcp_tool", "Name the server's tool.")
    else:
        add("kind", "Use http or mcp.")
    if problems:
        names = ", ".join(sorted(problems))
        raise DeclarationError(f"Fix these fields of the declaration: {names}.", fields=problems)


def output_values(outputs: Any) -> dict[str, tuple[str, ...]]:
    """output name → its declared values, for the outputs that declare them."""
    rows = [o for o in outputs or [] if isinstance(o, dict) and o.get("name")]
    return {o["name"]: enum_values(o.get("enum")) for o in rows if enum_values(o.get("enum"))}


def check_mock(
    *, inputs: set[str], outputs: set[str], match: Any, result: Any, error: str, values: dict | None = None
) -> None:
    """A mock's match names inputs, its result names outputs, each with a value the output can take."""
    problems: dict[str, list[str]] = {}
    if not isinstance(match, dict):
        problems["match"] = ["An object of input name → value; {} answers any inputs."]
    elif set(match) - inputs:
        problems["match"] = [f"{sorted(set(match) - inputs)} are not inputs of this operation."]
    if not isinstance(result, dict):
        problems["result"] = ["An object of output fact → value."]
    elif outputs and set(result) - outputs - {"message"}:
        problems["result"] = [f"{sorted(set(result) - outputs)} are not outputs of this operation."]
    else:
        for name, allowed in (values or {}).items():
            given = result.get(name)
            if given is not None and enum_values([given])[0] not in allowed:
                problems.setdefault("result", []).append(
                    f"{name} {given!r} is not a value it can take ({', '.join(allowed)})."
                )
    if error not in ("", "not_found", "permanent", "retryable"):
        problems["error"] = ["Use '', not_found, permanent or retryable."]
    if problems:
        raise DeclarationError(f"Fix the mock: {', '.join(sorted(problems))}.", fields=problems)
