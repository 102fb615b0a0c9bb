"""CEL conditions and `{{ CEL }}` templates, compiled once and cached.

`evaluate(expr, names)` runs one CEL expression against the names visible to a
step (`case`, `event`, and every earlier step's `save_as`). `render(template,
names)` fills each `{{ ... }}` placeholder; a template that is exactly one
placeholder keeps the value's type (a number stays a number).

A name or field the expression needs but the run does not have raises
`MissingFact` (the engine turns it into a hold); any other failure raises
`ExpressionError`.

Compiled programs are cached by expression text, with the names and functions
each one reads (bounded LRU; a text always compiles to the same program, so no
procedure version can make an entry stale, and a program is shared by every
version that uses the expression). Templates are split into text and
placeholders once per template text. Building a CEL context (the standard
library, every name converted) costs far more than running a program, so a
step builds one: `scope(names)` returns a `Scope` that `evaluate` and `render`
accept in place of the names. A Scope converts only the names its expressions
read, and adds the standard library only for an expression that calls one of
its functions.
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


def _stdlib_names() -> frozenset[str]:
    """Every name the standard library adds, also as CEL reports it (`math.greatest` reads `math`, calls `greatest`)."""
    context = cel.Context()
    stdlib.add_stdlib_to_context(context)
    names = set(context.functions)
    return frozenset(names | {n.rsplit(".", 1)[-1] for n in names} | {n.split(".")[0] for n in names if "." in n})


_STDLIB = _stdlib_names()


@lru_cache(maxsize=4096)
def _reads(expression: str) -> tuple[tuple[str, ...], bool]:
    """The names an expression reads, and whether it calls a standard-library function."""
    program = _program(expression)
    variables = tuple(program.variables())
    return variables, not _STDLIB.isdisjoint((*variables, *program.functions()))


def _plain(value: Any) -> Any:
    """Values CEL can take: JSON-like, no None inside maps (CEL reads absent keys as missing)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value if v is not None]
    return value


class Scope:
    """The names one step's expressions see, in one CEL context that gets what they read as they need it."""

    __slots__ = ("_bound", "_context", "_stdlib", "names")

    def __init__(self, names: dict[str, Any]):
        self.names = dict(names)
        self._context = cel.Context()
        self._bound: set[str] = set()
        self._stdlib = False

    def context_for(self, expression: str) -> Any:
        """The context with every name `expression` reads (that exists) and, if it calls one, the standard library."""
        variables, wants_stdlib = _reads(expression)
        if wants_stdlib and not self._stdlib:
            stdlib.add_stdlib_to_context(self._context)
            self._stdlib = True
        for name in variables:
            if name not in self._bound and name in self.names:
                self._context.add_variable(name, _plain(self.names[name]))
                self._bound.add(name)
        return self._context

    def set(self, name: str, value: Any) -> None:
        """Bind one more name (e.g. a fact computed from an earlier one) without starting a new context."""
        self.names[name] = value
        if name in self._bound:
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
    context = scope(names).context_for(expression)
    try:
        return _json_value(program.execute(context))
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
    whole, parts = _template(template)
    if whole is not None:
        return evaluate(whole, names)
    if len(parts) == 1:
        return template
    # parts alternate: text, placeholder expression, text, ...
    return "".join(part if i % 2 == 0 else _text(evaluate(part, names)) for i, part in enumerate(parts))


@lru_cache(maxsize=4096)
def _template(template: str) -> tuple[str | None, tuple[str, ...]]:
    """(the expression, ()) for a template that is exactly one placeholder, else (None, text and expressions)."""
    whole = PLACEHOLDER.fullmatch(template.strip())
    if whole and template.strip().count("{{") == 1:
        return whole.group(1), ()
    return None, tuple(PLACEHOLDER.split(template))


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
