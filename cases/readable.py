"""Values as people read them: "yes" for True, lists comma-separated, maps as name/value rows. No Python reprs."""

from __future__ import annotations

from typing import Any


def readable_text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return (
            ", ".join(readable_text(v) for v in value)
            if all(not isinstance(v, (dict, list)) for v in value)
            else ("; ".join(readable_text(v) for v in value))
        )
    if isinstance(value, dict):
        return ", ".join(f"{k}: {readable_text(v)}" for k, v in value.items())
    return str(value)


def table_rows(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """A dict as (name, readable value) rows; nested maps become dotted names, lists comma-separated."""
    if not isinstance(value, dict):
        return [(prefix or "value", readable_text(value))] if value not in (None, {}, []) else []
    rows: list[tuple[str, str]] = []
    for key, item in value.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(item, dict) and item:
            rows += table_rows(item, name)
        else:
            rows.append((name, readable_text(item)))
    return rows
