"""Small typed readers for settings that come from the environment.

Every setting sopdesk reads from the environment goes through one of these, so
a bad value fails at start-up with a message naming the variable.

A variable missing from the environment may come from an env file
(`KEY=VALUE` lines; `#` comments): `manage.py demo` writes the values its
processes run with (sandbox URL, site URL, webhook secret) to
`<data dir>/sopdesk.env`, so `demo_ticket` and every other command in
another terminal agree with the running demo without exporting anything.
The environment always wins over the file.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_FILE: dict[str, str] = {}


def env_file_read(path: Path) -> dict[str, str]:
    """The KEY=VALUE pairs of an env file; {} when it does not exist. A malformed line fails naming it."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    values = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.removeprefix("export ").partition("=")
        if not sep or not name.strip().isidentifier():
            raise ImproperlyConfigured(f"{path}, line {number}: expected NAME=value, got {line!r}")
        values[name.strip()] = value.strip().strip('"').strip("'")
    return values


def env_file_write(path: Path, values: dict[str, str], *, header: str = "") -> None:
    """Write `values` as an env file readable only by its owner (it may hold secrets)."""
    lines = [f"# {line}" for line in header.splitlines()] + [f"{k}={v}" for k, v in values.items()]
    path = Path(path)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)


def env_file_use(path: Path | None) -> None:
    """Read variables missing from the environment from `path` (None: from nowhere)."""
    global _FILE
    _FILE = env_file_read(path) if path else {}


def _raw(name: str) -> str | None:
    return os.environ[name] if name in os.environ else _FILE.get(name)


def env_str(name: str, default: str = "") -> str:
    raw = _raw(name)
    return default if raw is None else raw


def env_bool(name: str, default: bool = False) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = _raw(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from exc


def env_float(name: str, default: float) -> float:
    raw = _raw(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = _raw(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]
