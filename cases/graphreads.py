"""What a compiled graph reads: which steps use which facts. Pure functions over `procedures.steps.Graph`.

Two questions the engine asks of the graph, never of a person:

- `dependents(graph, step_key)`: a step was skipped (a reviewer chose "skip"),
  so its `save_as` never came into being; which later steps read it (in a
  parameter template, a condition, a judgement's facts, a computed fact),
  directly or through a step that is itself skipped for that reason?
- `facts_to_ask(graph, gather_key)`: a gather step came back without what the
  SOP needs; which facts under its `save_as` will the rest of the run read,
  of which type, and which values do the SOP's conditions compare them to?
  The review item asks for all of them at once.

Names are found in the CEL of conditions and inside `{{ … }}` placeholders,
with string literals removed first, so the tag `"jira-linked"` is not a read
of `jira`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from procedures.steps import (
    ActStep,
    DecideStep,
    GatherStep,
    Graph,
    Step,
    WaitStep,
    successors,
)

_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_PLACEHOLDER = re.compile(r"\{\{\s*(.+?)\s*\}\}", re.DOTALL)
_PATH = re.compile(r"(?<![\w.])([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)")
_LITERAL = r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|-?\d+(?:\.\d+)?|true|false)"
_COMPARE = re.compile(r"(?<![\w.])([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+)\s*(==|!=|>=|<=|>|<)\s*" + _LITERAL)
_COMPARE_REVERSED = re.compile(_LITERAL + r"\s*(==|!=|>=|<=|>|<)\s*([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+)")
_IN_LIST = re.compile(r"(?<![\w.])([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+)\s+in\s+\[([^\]]*)\]")
_NUMERIC_CALL = re.compile(r"\b(?:int|double|uint)\(\s*([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+)\s*\)")
_KEYWORDS = {"true", "false", "null", "in", "size", "has", "int", "double", "string", "uint", "bool", "matches"}


def _expressions(step: Step) -> list[str]:
    """Every CEL expression the step evaluates: conditions, and the inside of each template placeholder."""
    templates: list[str] = []
    conditions: list[str] = []
    match step:
        case GatherStep():
            templates += list(step.params.values()) + list(step.compute.values())
        case ActStep():
            templates += list(step.params.values())
        case DecideStep():
            conditions += [b.when for b in step.branches]
            if step.judgement:
                conditions += list(step.judgement.facts)
        case WaitStep():
            recheck = getattr(step, "recheck", None)
            if recheck is not None:
                templates += list(recheck.params.values())
                conditions.append(recheck.until)
    for template in templates:
        conditions += _PLACEHOLDER.findall(str(template))
    return conditions


def step_paths(step: Step) -> set[str]:
    """Dotted names the step reads (`account.plan`, `jira.key`, `case.amount`), string literals excluded."""
    paths = set()
    for expression in _expressions(step):
        for path in _PATH.findall(_STRING.sub("''", expression)):
            if path not in _KEYWORDS:
                paths.add(path)
    return paths


def step_roots(step: Step) -> set[str]:
    """The top-level names a step reads (`account`, `jira`, `case`)."""
    return {p.split(".", 1)[0] for p in step_paths(step)}


def reachable(graph: Graph, start: str) -> list[str]:
    """Keys of the steps reachable after `start` (not `start` itself unless a loop comes back), in BFS order."""
    seen: list[str] = []
    todo = [k for k in successors(graph.step(start)) if k]
    while todo:
        key = todo.pop(0)
        if key in seen:
            continue
        seen.append(key)
        todo += [k for k in successors(graph.step(key)) if k and k not in seen]
    return seen


def _save_as(step: Step) -> str | None:
    return getattr(step, "save_as", None)


def dependents(graph: Graph, step_key: str) -> dict[str, str]:
    """Later steps that read what `step_key` would have produced, each with the reason, in graph order.

    A gather or act step that depends on a missing result loses its own
    `save_as` too, so the steps reading *that* are included (transitively).
    An act step compiled from the same SOP instruction as a skipped act step
    goes with it ("put the Jira key on the ticket as a note and add the tag
    jira-linked": the tag says the note is there).
    """
    skipped = graph.step(step_key)
    missing = {_save_as(skipped): skipped.title} if _save_as(skipped) else {}
    found: dict[str, str] = {}
    if not missing:
        return found
    skipped_instructions: dict[tuple[int, int], str] = {}
    for key in reachable(graph, step_key):
        step = graph.step(key)
        if key == step_key:
            continue
        reads = sorted(step_roots(step) & set(missing))
        together = _instruction(step) in skipped_instructions and isinstance(step, ActStep)
        if not reads and not together:
            continue
        if not reads:
            found[key] = f"it belongs to the same SOP instruction as {skipped_instructions[_instruction(step)]!r}"
            continue
        found[key] = "; ".join(f"it reads {name}, which {missing[name]!r} did not produce" for name in reads)
        if isinstance(step, ActStep) and _instruction(step) is not None:
            skipped_instructions[_instruction(step)] = step.title
        if _save_as(step) and not isinstance(step, DecideStep):
            missing[_save_as(step)] = step.title
    return found


def _instruction(step: Step) -> tuple[int, int] | None:
    return (step.span.start, step.span.end) if step.span else None


# --- Asking for facts --------------------------------------------------------------------


@dataclass
class AskedFact:
    """One fact a review item asks for: its name under the gather's `save_as`, type and the values offered."""

    name: str
    path: str
    type: str = "text"  # text | number | boolean
    choices: list[Any] = field(default_factory=list)
    read_by: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


def _literal(text: str) -> Any:
    text = text.strip()
    if text[:1] in "'\"":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        return float(text)


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "text"


def facts_to_ask(graph: Graph, gather_key: str) -> list[dict]:
    """Every fact under the gather's `save_as` that the gather requires or the rest of the run reads.

    Types and choices come from the conditions: `account.plan == "Free"` offers
    "Free" as a text choice; `opportunity.risk_score + 10` inside `int(...)` or
    `case.amount > 5000` makes a number.
    """
    step = graph.step(gather_key)
    prefix = _save_as(step)
    if not prefix:
        return []
    asked: dict[str, AskedFact] = {}

    def ask(path: str, reader: str) -> AskedFact | None:
        parts = path.split(".")
        if parts[0] != prefix or len(parts) < 2:
            return None
        name = parts[1]
        fact = asked.setdefault(name, AskedFact(name=name, path=f"{prefix}.{name}"))
        if reader and reader not in fact.read_by:
            fact.read_by.append(reader)
        return fact

    for required in getattr(step, "required", []) or []:
        ask(required if required.startswith(f"{prefix}.") else f"{prefix}.{required}", step.title)
    for path in step_paths(step):  # computed facts read the gather's own result
        ask(path, step.title)
    for key in reachable(graph, gather_key):
        later = graph.step(key)
        for path in sorted(step_paths(later)):
            ask(path, later.title)
        for expression in _expressions(later):
            for path, _op, literal in _COMPARE.findall(expression):
                _offer(ask(path, later.title), _literal(literal))
            for literal, _op, path in _COMPARE_REVERSED.findall(expression):
                _offer(ask(path, later.title), _literal(literal))
            for path, items in _IN_LIST.findall(expression):
                for item in re.findall(_LITERAL, items):
                    _offer(ask(path, later.title), _literal(item))
            for path in _NUMERIC_CALL.findall(expression):
                fact = ask(path, later.title)
                if fact is not None:
                    fact.type = "number"
    return [f.to_json() for f in asked.values()]


def _offer(fact: AskedFact | None, value: Any) -> None:
    if fact is None:
        return
    kind = _type_of(value)
    if fact.type == "text" or fact.type == kind:
        fact.type = kind
    if kind == "text" and value not in fact.choices:
        fact.choices.append(value)
    if kind == "boolean":
        fact.choices = [True, False]


def ask_coerce(asked: list[dict], provided: dict) -> tuple[dict, list[str]]:
    """Typed values for the asked facts from what a person typed; and one message per value that is wrong."""
    by_name = {a["name"]: a for a in asked}
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, raw in (provided or {}).items():
        if raw in (None, ""):
            continue
        kind = by_name.get(name, {}).get("type", "text")
        if kind == "number" and not isinstance(raw, (int, float)):
            text = str(raw).strip().replace(",", "")
            try:
                number = float(text)
            except ValueError:
                problems.append(f"{name} must be a number, got {raw!r}")
                continue
            values[name] = int(number) if number.is_integer() else number
        elif kind == "boolean" and not isinstance(raw, bool):
            text = str(raw).strip().lower()
            if text not in ("true", "false", "yes", "no"):
                problems.append(f"{name} must be yes or no, got {raw!r}")
                continue
            values[name] = text in ("true", "yes")
        else:
            values[name] = raw
    return values, problems
