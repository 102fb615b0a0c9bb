"""OpenAI's strict structured-output form of a JSON schema, and back.

OpenAI's strict mode accepts a subset of JSON Schema: every property required,
no free-form maps, no `oneOf`, no `default`. Callers keep their ordinary
pydantic schema; `strict_schema` turns it into the strict form for the wire
and `from_strict` turns an answer back into the caller's shape.

Every list and every free string in a schema sent is bounded (`maxItems`,
`maxLength`): servers such as llama.cpp turn the schema into a grammar, and an
unbounded list or string is where a small model loops until its token limit.
"""

from __future__ import annotations

import copy
from typing import Any

# Keywords kept on the wire; everything else (default, discriminator, title, ...) is dropped. A server
# that rejects a kept bound (OpenAI's strict mode may refuse maxLength) gets it dropped by connectors.model.
_KEPT_KEYWORDS = frozenset({
    "type", "properties", "required", "additionalProperties", "items", "anyOf", "$ref", "$defs", "enum",
    "description", "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "multipleOf", "minItems", "maxItems", "minLength", "maxLength",
})  # fmt: skip
# Bounds given to a list or a free string that has none (a caller's own bound is kept).
DEFAULT_MAX_ITEMS = 64
DEFAULT_MAX_LENGTH = 2000
PAIR_MAX_ITEMS = 24
PAIR_NAME_MAX_LENGTH = 64
_PAIR_NAME = "name"
_PAIR_VALUE = "value"
_ANY_SCALAR = {
    "anyOf": [
        {"type": "string", "maxLength": DEFAULT_MAX_LENGTH},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "null"},
    ]
}


def strict_schema(schema: dict) -> dict:
    """The strict-mode form of a JSON schema (pure; the input is not changed).

    * every object lists all its properties in `required` and has
      `additionalProperties: false`; a property that was optional becomes
      nullable (null means "absent": `from_strict` drops it so defaults apply),
      except a `const` (a union's tag such as `kind`), which is always given;
    * a map (`additionalProperties: {schema}`) becomes a list of
      `{"name", "value"}` pairs, since strict mode has no free-form objects;
    * `oneOf` becomes `anyOf`, `const` a one-value `enum`; `discriminator`,
      `default`, `title` and other unsupported keywords are dropped; `$defs`
      are kept and converted too;
    * every array gets `maxItems` and every string without an `enum`,
      `pattern` or `format` gets `maxLength`, when the caller gave none.
    Applying it twice gives the same result.
    """
    out = _strict(copy.deepcopy(schema))
    if "$defs" in schema:
        out["$defs"] = {name: _strict(copy.deepcopy(sub)) for name, sub in schema["$defs"].items()}
    return out


def _strict(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    node = dict(node)
    if "oneOf" in node:
        node["anyOf"] = node.pop("oneOf")
    if "const" in node:
        node["enum"] = [node.pop("const")]
    if "$ref" in node:
        return {"$ref": node["$ref"]}  # strict mode allows no siblings next to $ref
    if node.get("type") == "object" and not node.get("properties") and node.get("additionalProperties") is not False:
        return _pairs_schema(node)

    out = {k: v for k, v in node.items() if k in _KEPT_KEYWORDS and k != "$defs"}
    if "properties" in node:
        required = set(node.get("required", []))
        props = {}
        for name, sub in node["properties"].items():
            strict_sub = _strict(sub)
            # A constant (a union's tag such as `kind`) is always given; anything else optional may be null.
            tag = isinstance(sub, dict) and "const" in sub
            props[name] = strict_sub if name in required or tag else _nullable(strict_sub)
        out["properties"] = props
        out["required"] = list(props)
        out["additionalProperties"] = False
        out["type"] = "object"
    if "items" in node:
        out["items"] = _strict(node["items"])
    if "anyOf" in node:
        out["anyOf"] = [_strict(v) for v in node["anyOf"]]
    return _bounded(out)


def _bounded(node: dict) -> dict:
    kind = node.get("type")
    if kind == "array" and "maxItems" not in node:
        node["maxItems"] = DEFAULT_MAX_ITEMS
    free = not any(k in node for k in ("enum", "pattern", "format", "maxLength"))
    if kind == "string" and free:
        node["maxLength"] = DEFAULT_MAX_LENGTH
    return node


def _pairs_schema(node: dict) -> dict:
    """A map as a list of name/value pairs."""
    value = node.get("additionalProperties")
    value_schema = _strict(value) if isinstance(value, dict) else _ANY_SCALAR
    out = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                _PAIR_NAME: {"type": "string", "maxLength": PAIR_NAME_MAX_LENGTH},
                _PAIR_VALUE: value_schema,
            },
            "required": [_PAIR_NAME, _PAIR_VALUE],
            "additionalProperties": False,
        },
        "maxItems": node.get("maxProperties", PAIR_MAX_ITEMS),
    }
    description = node.get("description", "")
    out["description"] = (description + " " if description else "") + "Given as a list of name/value pairs."
    return out


def _nullable(node: dict) -> dict:
    if _allows_null(node):
        return node
    if "anyOf" in node:
        return {**node, "anyOf": [*node["anyOf"], {"type": "null"}]}
    description = node.get("description")
    inner = {k: v for k, v in node.items() if k != "description"}
    wrapped: dict = {"anyOf": [inner, {"type": "null"}]}
    if description:
        wrapped["description"] = description
    return wrapped


def _allows_null(node: dict) -> bool:
    if node.get("type") == "null" or (isinstance(node.get("type"), list) and "null" in node["type"]):
        return True
    return any(isinstance(v, dict) and v.get("type") == "null" for v in node.get("anyOf", []))


def from_strict(data: Any, schema: dict) -> Any:
    """Turn an answer to `strict_schema(schema)` back into `schema`'s shape (pure).

    Name/value pair lists become maps again, and a null for a property that
    `schema` does not require is dropped so the caller's default applies.
    Anything that does not fit the schema is passed through unchanged for the
    caller's own validation to report.
    """
    return _unstrict(data, schema, root=schema)


def _unstrict(data: Any, node: Any, *, root: dict) -> Any:
    node = _resolve(node, root)
    if not isinstance(node, dict):
        return data
    variants = node.get("anyOf") or node.get("oneOf")
    if variants:
        variant = _pick_variant(data, variants, root=root)
        return data if variant is None else _unstrict(data, variant, root=root)
    if isinstance(data, dict) and node.get("properties"):
        required = set(node.get("required", []))
        out = {}
        for name, value in data.items():
            sub = node["properties"].get(name)
            if value is None and sub is not None and name not in required:
                continue
            out[name] = value if sub is None else _unstrict(value, sub, root=root)
        return out
    if node.get("type") == "object" and not node.get("properties") and node.get("additionalProperties") is not False:
        if isinstance(data, list) and all(isinstance(p, dict) and _PAIR_NAME in p for p in data):
            value_schema = node.get("additionalProperties")
            return {
                p[_PAIR_NAME]: _unstrict(p.get(_PAIR_VALUE), value_schema, root=root)
                if isinstance(value_schema, dict)
                else p.get(_PAIR_VALUE)
                for p in data
            }
        return data
    if isinstance(data, list) and isinstance(node.get("items"), dict):
        return [_unstrict(item, node["items"], root=root) for item in data]
    return data


def _resolve(node: Any, root: dict) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            return node
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        if target is None:
            return node
        node = target
    return node


def _pick_variant(data: Any, variants: list, *, root: dict) -> Any:
    """The union member `data` belongs to: by type, and for objects by their `const` properties (e.g. kind)."""
    for variant in variants:
        resolved = _resolve(variant, root)
        if not isinstance(resolved, dict):
            continue
        kind = resolved.get("type")
        if data is None and kind == "null":
            return variant
        if isinstance(data, dict) and (kind == "object" or "properties" in resolved):
            consts = {
                name: sub["const"]
                for name, sub in resolved.get("properties", {}).items()
                if isinstance(sub, dict) and "const" in sub
            }
            if all(data.get(name) == value for name, value in consts.items()):
                return variant
        if isinstance(data, list) and (kind == "array" or (kind == "object" and "properties" not in resolved)):
            return variant
    return None
