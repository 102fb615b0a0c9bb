"""Import operations from an OpenAPI 3 document: inputs from parameters and the JSON request body,
output facts from the JSON success response, reads (GET) or writes (anything else, unless told otherwise).
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.db import transaction

from connectors.declared.errors import ImportFailed
from connectors.declared.spec import SCHEMA_TYPES, schema_values

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
SCALARS = {"string", "integer", "number", "boolean"}


def snake(text: str) -> str:
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def load(document: dict | str | bytes) -> dict[str, Any]:
    if isinstance(document, bytes):
        document = document.decode("utf-8", "replace")
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            import yaml

            try:
                document = yaml.safe_load(document)
            except yaml.YAMLError as exc:
                raise ImportFailed(f"The document is neither JSON nor YAML: {exc}") from None
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3"):
        raise ImportFailed("Not an OpenAPI 3 document: it needs 'openapi: 3.x' and 'paths'.")
    if not isinstance(document.get("paths"), dict):
        raise ImportFailed("The document has no 'paths'.")
    return document


def _resolve(document: dict, schema: Any, depth: int = 0) -> Any:
    if depth > 8 or not isinstance(schema, dict):
        return schema if isinstance(schema, dict) else {}
    if "$ref" in schema:
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise ImportFailed(f"Only references inside the document are supported, not {ref!r}.")
        target: Any = document
        for part in ref[2:].split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(target, dict) else {}
        return _resolve(document, target, depth + 1)
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            part = _resolve(document, part, depth + 1)
            merged["properties"].update(part.get("properties") or {})
            merged["required"] += part.get("required") or []
        return merged
    resolved = dict(schema)
    if isinstance(schema.get("properties"), dict):
        resolved["properties"] = {k: _resolve(document, v, depth + 1) for k, v in schema["properties"].items()}
    return resolved


def _prop(schema: dict, description: str = "") -> dict[str, Any]:
    kind = schema.get("type") or ("object" if "properties" in schema else "string")
    prop: dict[str, Any] = {"type": kind if kind in SCHEMA_TYPES else "string"}
    if schema.get("enum"):
        prop["enum"] = list(schema["enum"])
    if schema.get("format"):
        prop["format"] = schema["format"]
    text = description or schema.get("description") or ""
    if text:
        prop["description"] = text
    return prop


def _success(document: dict, operation: dict) -> dict[str, Any]:
    responses = operation.get("responses") or {}
    for code in ("200", "201", "202", "2XX", "default"):
        content = (responses.get(code) or {}).get("content") or {}
        media = content.get("application/json") or next(iter(content.values()), None)
        if media and media.get("schema"):
            return _resolve(document, media["schema"])
    return {}


def _enum(prop: dict) -> dict[str, list]:
    values = schema_values(prop)
    return {"enum": values} if values else {}


def _outputs(schema: dict) -> list[dict[str, Any]]:
    """Output facts from a response schema: scalars at the top and one level down, with their `enum` values."""
    outputs: list[dict[str, Any]] = []
    for name, prop in (schema.get("properties") or {}).items():
        kind = prop.get("type") or ("object" if "properties" in prop else "string")
        if kind == "object" and prop.get("properties"):
            for sub, subprop in prop["properties"].items():
                subkind = subprop.get("type", "string")
                outputs.append(
                    {
                        "name": snake(f"{name}_{sub}"),
                        "path": f"/{name}/{sub}",
                        "type": SCHEMA_TYPES.get(subkind, "string") if subkind in SCALARS | {"array"} else "object",
                        **_enum(subprop),
                    }
                )
        else:
            outputs.append(
                {"name": snake(name), "path": f"/{name}", "type": SCHEMA_TYPES.get(kind, "string"), **_enum(prop)}
            )
    return outputs


def candidates(document: dict | str) -> list[dict[str, Any]]:
    """Every operation in the document, as a declaration's data (not stored)."""
    document = load(document)
    found = []
    for path, item in document["paths"].items():
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters") or []
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            op_id = operation.get("operationId") or f"{method}_{path}"
            properties: dict[str, Any] = {}
            required: list[str] = []
            query: dict[str, str] = {}
            template_path = path
            for param in [*shared, *(operation.get("parameters") or [])]:
                param = _resolve(document, param)
                where, pname = param.get("in"), str(param.get("name") or "")
                if where not in ("path", "query") or not pname:
                    continue
                key = snake(pname)
                properties[key] = _prop(_resolve(document, param.get("schema") or {}), param.get("description", ""))
                if where == "path":
                    template_path = template_path.replace("{" + pname + "}", "{" + key + "}")
                    required.append(key)
                else:
                    query[pname] = "{" + key + "}"
                    if param.get("required"):
                        required.append(key)
            body = None
            content = ((operation.get("requestBody") or {}).get("content") or {}).get("application/json")
            if content and content.get("schema"):
                schema = _resolve(document, content["schema"])
                body = {}
                for bname, bprop in (schema.get("properties") or {}).items():
                    key = snake(bname) if snake(bname) not in properties else f"body_{snake(bname)}"
                    properties[key] = _prop(bprop)
                    body[bname] = "{" + key + "}"
                    if bname in (schema.get("required") or []):
                        required.append(key)
            summary = (operation.get("summary") or operation.get("description") or f"{method.upper()} {path}").strip()
            found.append(
                {
                    "operation_id": op_id,
                    "action": snake(op_id),
                    "kind": "http",
                    "summary": summary,
                    "synonyms": ", ".join(str(t) for t in operation.get("tags") or []),
                    "method": method.upper(),
                    "path": template_path,
                    "query": query,
                    "body": body,
                    "writes": method != "get",
                    "input_schema": {"type": "object", "properties": properties, "required": sorted(set(required))},
                    "outputs": _outputs(_success(document, operation)),
                }
            )
    return found


@transaction.atomic
def openapi_import(
    *, document: dict | str, system: str, endpoint: str, pick: list[str] | None = None,
    writes: dict[str, bool] | None = None, synonyms: dict[str, str] | None = None,
) -> list:  # fmt: skip
    """Declare the picked operations (by operationId; all when `pick` is None) as `<system>.<operation_id>`."""
    from connectors.declared.services import _endpoint, operation_save

    _endpoint(endpoint)  # an unknown endpoint is refused before anything else
    found = candidates(document)
    if not found:
        raise ImportFailed("The document has no operations under 'paths'.", fields={"document": ["No operations."]})
    by_id = {c["operation_id"]: c for c in found}
    unknown = [p for p in pick or [] if p not in by_id]
    if unknown:
        raise ImportFailed(
            f"The document has no operation {', '.join(unknown)} (it has: {', '.join(sorted(by_id))}).",
            fields={"pick": unknown},
        )
    chosen = [by_id[p] for p in pick] if pick else found
    created = []
    for candidate in chosen:
        data = {k: v for k, v in candidate.items() if k not in ("operation_id", "action")}
        data["name"] = f"{system}.{candidate['action']}"
        data["endpoint"] = endpoint
        if writes and candidate["operation_id"] in writes:
            data["writes"] = bool(writes[candidate["operation_id"]])
        if synonyms and candidate["operation_id"] in synonyms:
            data["synonyms"] = synonyms[candidate["operation_id"]]
        from connectors.declared.models import DeclaredOperation

        existing = DeclaredOperation.objects.filter(name=data["name"]).first()
        created.append(operation_save(data=data, instance=existing))
    return created
