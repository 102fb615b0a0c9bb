"""CEL conditions and `{{ CEL }}` templates, compiled once and cached.

`evaluate(expr, names)` runs one CEL expression against the names visible to a
step (`case`, `event`, and every earlier step's `save_as`). `render(template,
names)` fills each `{{ ... }}` placeholder; a template that is exactly one
placeholder keeps the value's type (a number stays a number).

A name or field the expression needs but the run does not have raises
`MissingFact` (the engine turns it into a hold); any other failure raises
`ExpressionError`.

Compiled programs are cached by expression text (bounded LRU; a text always
compiles to the same program, so no version can make an entry stale). Building
the CEL context (the standard library plus every name, converted) costs far more
than running a program, so a step builds it once: `scope(names)` returns a
`Scope` that `evaluate` and `render` accept in place of the names.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

import cel
from cel import stdlib

PLACEHOLDER = re.compile(r"\{\{\s*(.+?)\s*\}\}", re.DOTALL)
_UNDEFINED = re.compile(r"Undefined variable or function: '([^']+)'")


class ExpressionError(ValueError):
    code = "expression_failed"

    def __init__(self, message: str, *, expression: str):
        super().__init__(message)
        self.expression = expression


class MissingFact(ExpressionError):
    """The expression reads a fact the run does not have (yet)."""

    code = "missing_fact"

    def __init__(self, message: str, *, expression: str, fact: str):
        super().__init__(message, expression=expression)
        self.fact = fact


@lru_cache(maxsize=4096)
def _program(expression: str) -> Any:
    try:
        return cel.compile(expression)
    except (ValueError, RuntimeError) as exc:
        raise ExpressionError(f"cannot compile {expression!r}: {exc}", expression=expression) from exc


def _plain(value: Any) -> Any:
    """Values CEL can take: JSON-like, no None inside maps (CEL reads absent keys as missing)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value if v is not None]
    return value


def _context(names: dict[str, Any]) -> Any:
    context = cel.Context()
    stdlib.add_stdlib_to_context(context)
    for name, value in names.items():
        context.add_variable(name, _plain(value))
    return context


class Scope:
    """The names one step's expressions see, made into a CEL context once (on first use)."""

    __slots__ = ("_context", "names")

    def __init__(self, names: dict[str, Any]):
        self.names = dict(names)
        self._context: Any = None

    @property
    def context(self) -> Any:
        if self._context is None:
            self._context = _context(self.names)
        return self._context

    def set(self, name: str, value: Any) -> None:
        """Bind one more name (e.g. a fact computed from an earlier one) without rebuilding the context."""
        self.names[name] = value
        if self._context is not None:
            self._context.add_variable(name, _plain(value))


def scope(names: dict[str, Any] | Scope) -> Scope:
    """One CEL context for all of a step's expressions and templates."""
    return names if isinstance(names, Scope) else Scope(names)


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


def evaluate(expression: str, names: dict[str, Any] | Scope) -> Any:
    """The value of a CEL expression, as JSON-compatible Python."""
    program = _program(expression)
    try:
        return _json_value(program.execute(scope(names).context))
    except KeyError as exc:
        fact = str(exc.args[0]) if exc.args else "?"
        raise MissingFact(f"{expression!r} needs {fact!r}, which is missing", expression=expression, fact=fact) from exc
    except RuntimeError as exc:
        match = _UNDEFINED.search(str(exc))
        if match:
            raise MissingFact(
                f"{expression!r} needs {match.group(1)!r}, which is missing", expression=expression, fact=match.group(1)
            ) from exc
        raise ExpressionError(f"{expression!r} failed: {exc}", expression=expression) from exc
    except (TypeError, ValueError) as exc:
        raise ExpressionError(f"{expression!r} failed: {exc}", expression=expression) from exc


def check(expression: str) -> None:
    """Compile an expression (cached), raising ExpressionError if it does not parse."""
    _program(expression)


def render(template: Any, names: dict[str, Any] | Scope) -> Any:
    """Fill a template's placeholders. Non-strings (numbers, lists) pass through rendered element-wise."""
    names = scope(names)
    if isinstance(template, dict):
        return {k: render(v, names) for k, v in template.items()}
    if isinstance(template, list):
        return [render(v, names) for v in template]
    if not isinstance(template, str):
        return template
    whole = PLACEHOLDER.fullmatch(template.strip())
    if whole and template.strip().count("{{") == 1:
        return evaluate(whole.group(1), names)
    return PLACEHOLDER.sub(lambda m: _text(evaluate(m.group(1), names)), template)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)
