"""Expectation files (format v2, see tests/procedures/compiler_eval/FORMAT.md): parsed, checked, located in the SOP."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KINDS = ("gather", "condition", "action", "wait", "approval", "end", "person")
OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in", "contains", "exists")
_REQUIRED = {
    "gather": ("operation",),
    "condition": ("fact", "op"),
    "action": ("operation",),
    "wait": (),
    "approval": ("role",),
    "end": ("outcome",),
    "person": (),
}


class ExpectationError(ValueError):
    """An expectation file that does not follow format v2; the message lists every problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Item:
    """One decision point or action a reader counts (or an `allowed` one, with id and text empty)."""

    id: str
    kind: str
    text: str = ""
    operation: str = ""
    params: dict = field(default_factory=dict)
    fact: tuple[str, ...] = ()
    op: str = ""
    value: object = None
    delay: dict | None = None
    event: str = ""
    role: str = ""
    evidence: str = ""
    outcome: str = ""
    why: str = ""

    def describe(self) -> str:
        match self.kind:
            case "condition":
                return f"{'|'.join(self.fact)} {self.op} {self.value!r}"
            case "gather" | "action":
                params = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
                return f"{self.operation}({params})"
            case "wait":
                d = self.delay or {}
                business = "business " if d.get("business") else ""
                spans = [f"{d[u]} {business}{u}" for u in ("days", "hours", "minutes") if d.get(u)]
                return " ".join(["wait", *spans, *([f"for {self.event}"] if self.event else [])])
            case "approval":
                return f"approval by {self.role}" + (f" with {self.evidence}" if self.evidence else "")
            case "end":
                return f"end {self.outcome}"
        return "a person decides"


@dataclass(frozen=True)
class Forbidden:
    operation: str
    params: dict = field(default_factory=dict)
    why: str = ""


@dataclass(frozen=True)
class PathCheck:
    given: dict
    reaches: tuple[str, ...] = ()
    not_reaches: tuple[str, ...] = ()


@dataclass(frozen=True)
class Expectation:
    items: tuple[Item, ...]
    allowed: tuple[Item, ...] = ()
    forbidden: tuple[Forbidden, ...] = ()
    paths: tuple[PathCheck, ...] = ()
    non_procedural: tuple[str, ...] = ()


def _item(data: dict, where: str, problems: list[str], *, allowed: bool = False) -> Item | None:
    if not isinstance(data, dict):
        problems.append(f"{where}: an item is an object")
        return None
    kind = data.get("kind")
    if kind not in KINDS:
        problems.append(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
        return None
    missing = [name for name in _REQUIRED[kind] if name not in data]
    if not allowed:
        missing += [name for name in ("id", "text") if not data.get(name)]
    if missing:
        problems.append(f"{where} ({kind}): missing {', '.join(missing)}")
        return None
    if kind == "condition" and data["op"] not in OPERATORS:
        problems.append(f"{where}: op {data['op']!r} is not one of {' '.join(OPERATORS)}")
    if kind == "condition" and data["op"] != "exists" and "value" not in data:
        problems.append(f"{where}: a condition with op {data['op']!r} needs a value")
    if kind == "wait" and not data.get("delay") and not data.get("event"):
        problems.append(f"{where}: a wait needs a delay or an event")
    fact = data.get("fact", ())
    return Item(
        id=str(data.get("id", "")),
        kind=kind,
        text=str(data.get("text", "")),
        operation=data.get("operation", ""),
        params=dict(data.get("params") or {}),
        fact=tuple(fact) if isinstance(fact, list) else (fact,) if fact else (),
        op=data.get("op", ""),
        value=data.get("value", True if data.get("op") == "exists" else None),
        delay=data.get("delay"),
        event=data.get("event", ""),
        role=data.get("role", ""),
        evidence=data.get("evidence", ""),
        outcome=data.get("outcome", ""),
        why=data.get("why", ""),
    )


def expectation_parse(data: dict) -> Expectation:
    """A v2 expectation from its JSON, or ExpectationError naming every problem."""
    problems: list[str] = []
    if not isinstance(data, dict) or data.get("version") != 2:
        raise ExpectationError(['not an expectation of format version 2 (`"version": 2` missing)'])
    items = [_item(d, f"items[{i}]", problems) for i, d in enumerate(data.get("items", []))]
    items = [i for i in items if i]
    ids = [i.id for i in items]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        problems.append(f"duplicate item ids: {', '.join(duplicates)}")
    allowed = [_item(d, f"allowed[{i}]", problems, allowed=True) for i, d in enumerate(data.get("allowed", []))]
    forbidden = []
    for i, d in enumerate(data.get("forbidden", [])):
        if not isinstance(d, dict) or not d.get("operation"):
            problems.append(f"forbidden[{i}]: needs an operation")
            continue
        forbidden.append(Forbidden(d["operation"], dict(d.get("params") or {}), d.get("why", "")))
    paths = []
    for i, d in enumerate(data.get("paths", [])):
        if not isinstance(d, dict) or not isinstance(d.get("given"), dict):
            problems.append(f"paths[{i}]: needs a `given` object")
            continue
        unknown = [r for r in [*d.get("reaches", []), *d.get("not_reaches", [])] if r not in ids]
        if unknown:
            problems.append(f"paths[{i}]: unknown item ids {', '.join(unknown)}")
        paths.append(PathCheck(d["given"], tuple(d.get("reaches", [])), tuple(d.get("not_reaches", []))))
    quotes = data.get("non_procedural", [])
    if not all(isinstance(q, str) and q.strip() for q in quotes):
        problems.append("non_procedural: a list of quotes (strings)")
    if problems:
        raise ExpectationError(problems)
    return Expectation(tuple(items), tuple(a for a in allowed if a), tuple(forbidden), tuple(paths), tuple(quotes))


# --- quotes → character ranges of the source ----------------------------------------------------

_SAME = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


def _normalised(text: str) -> tuple[str, list[int]]:
    """Lower-cased text with whitespace runs collapsed, and each character's offset in the original."""
    out, offsets = [], []
    for i, ch in enumerate(text.translate(_SAME).lower()):
        if ch.isspace():
            if out and out[-1] == " ":
                continue
            ch = " "
        out.append(ch)
        offsets.append(i)
    return "".join(out), offsets


def quote_locate(source: str, quote: str) -> tuple[int, int] | None:
    """Where a quote appears in the source (case, quotes and whitespace ignored), as [start, end)."""
    haystack, offsets = _normalised(source)
    needle = re.sub(r"\s+", " ", quote.translate(_SAME).lower().strip())
    at = haystack.find(needle) if needle else -1
    if at < 0:
        return None
    return offsets[at], offsets[at + len(needle) - 1] + 1


def expectation_check(expectation: Expectation, source: str) -> list[str]:
    """Quotes (item `text`, `non_procedural`) that are not in the SOP text: each is a mistake in the file."""
    problems = [
        f"item {item.id}: text {item.text!r} is not in the SOP"
        for item in expectation.items
        if quote_locate(source, item.text) is None
    ]
    problems += [
        f"non_procedural {q!r} is not in the SOP" for q in expectation.non_procedural if not quote_locate(source, q)
    ]
    return problems
