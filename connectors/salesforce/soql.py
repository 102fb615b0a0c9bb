"""The slice of SOQL the Salesforce emulator understands.

    SELECT f1, Rel.f2 FROM Object [WHERE a = 'x' AND b != null AND c LIKE '%y%'] [ORDER BY f [ASC|DESC]] [LIMIT n]

Comparisons: = != < <= > >= LIKE IN, values quoted strings, numbers,
true/false/null; clauses joined by AND. String comparison is
case-insensitive, as in SOQL. Anything else is a MALFORMED_QUERY.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

QUERY = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?"
    r"(?:\s+ORDER\s+BY\s+(?P<order>[\w.]+)(?:\s+(?P<direction>ASC|DESC))?)?"
    r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
VALUE = r"'(?:[^'\\]|\\.)*'|true|false|null|-?\d+(?:\.\d+)?|\([^)]*\)"
CLAUSE = re.compile(rf"\s*([\w.]+)\s*(!=|<=|>=|=|<|>|\bLIKE\b|\bIN\b)\s*({VALUE})\s*", re.IGNORECASE)


class MalformedQuery(ValueError):
    pass


@dataclass(frozen=True)
class Query:
    fields: tuple[str, ...]
    object: str
    where: tuple[tuple[str, str, Any], ...]
    order: str | None
    descending: bool
    limit: int | None


def parse(text: str) -> Query:
    match = QUERY.match(text)
    if not match:
        raise MalformedQuery(f"unexpected token in query: {text[:80]!r}")
    where: list[tuple[str, str, Any]] = []
    if match["where"]:
        parts = re.split(r"\s+AND\s+", match["where"], flags=re.IGNORECASE)
        for part in parts:
            clause = CLAUSE.fullmatch(part)
            if not clause:
                raise MalformedQuery(f"unexpected token in WHERE: {part!r}")
            where.append((clause[1], clause[2].upper(), _value(clause[3])))
    return Query(
        fields=tuple(f.strip() for f in match["fields"].split(",")),
        object=match["object"],
        where=tuple(where),
        order=match["order"],
        descending=(match["direction"] or "").upper() == "DESC",
        limit=int(match["limit"]) if match["limit"] else None,
    )


def _value(raw: str) -> Any:
    if raw.startswith("'"):
        return re.sub(r"\\(.)", r"\1", raw[1:-1])
    if raw.startswith("("):
        return [_value(item.strip()) for item in raw[1:-1].split(",") if item.strip()]
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    return float(raw) if "." in raw else int(raw)


def matches(value: Any, operator: str, expected: Any) -> bool:
    if isinstance(value, str) and isinstance(expected, str):
        value, expected = value.lower(), expected.lower()
    if operator == "=":
        return value == expected
    if operator == "!=":
        return value != expected
    if operator == "LIKE":
        pattern = "^" + re.escape(str(expected)).replace("%", ".*").replace("_", ".") + "$"
        return value is not None and re.match(pattern, str(value).lower()) is not None
    if operator == "IN":
        lowered = [e.lower() if isinstance(e, str) else e for e in expected]
        return value in lowered
    if value is None or expected is None:
        return False
    return {"<": value < expected, "<=": value <= expected, ">": value > expected, ">=": value >= expected}[operator]


def escape(value: str) -> str:
    """Quote a value for a SOQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
