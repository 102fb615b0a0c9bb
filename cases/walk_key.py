"""Which of a case's values decide where a replay walk goes, so tickets alike in those values are walked once.

In a replay nothing a step learns comes from anywhere but the case: facts are
answers to read questions (asked once per distinct question and kept), the
dry-run results of writes (constant) or values computed from those. So the
walk, and what it counts, is a function of the `case` and `event` values the
graph's expressions read, and of nothing else:

- every dotted name under `case` or `event` in a condition, a computed fact,
  a read's parameters or a re-check decides by its value;
- a write's parameters are rendered and thrown away (the write is not sent),
  so a bare `{{ case.subject }}` there decides only by whether it is there:
  absent, empty text, empty list, or something (the ticket id, subject and
  description differ on every ticket and would otherwise make every walk new);
- `case.invalid` (says why a value is not a number) and `case.attachments`
  (evidence for approvals) always decide by value.

A name is followed through maps as CEL follows it; where it reaches a value
that is not a map (`case.tags.exists(...)`, `case.subject.contains(...)`), that
whole value decides. A name the case does not have decides as "absent". When in
doubt the key holds more, never less: an extra value only means a walk is not
shared. `WalkKey.of` returns None for a graph it cannot read (an unknown step
kind): then every ticket is walked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from cases.expressions import PLACEHOLDER
from procedures.steps import ActStep, ApproveStep, DecideStep, EndStep, GatherStep, Graph, Step, WaitStep

_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_NAME = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*)")
_BARE = re.compile(r"\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*")
_MISSING_INPUT = re.compile(r"\b([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+)")  # cases.replay_coverage._PATH
ROOTS = ("case", "event")
ALWAYS = (("case", "invalid"), ("case", "attachments"))

Path = tuple[str, ...]


def _strings(template: Any) -> Iterator[str]:
    if isinstance(template, str):
        yield template
    elif isinstance(template, dict):
        for value in template.values():
            yield from _strings(value)
    elif isinstance(template, list):
        for value in template:
            yield from _strings(value)


def _names(expression: str) -> set[Path]:
    """Dotted names under `case`/`event` an expression reads (string literals removed first)."""
    found = set()
    for match in _NAME.findall(_STRING.sub("''", expression)):
        parts = tuple(part.strip() for part in match.split("."))
        if parts[0] in ROOTS:
            found.add(parts)
    return found


class WalkKey:
    """The values of one graph's walks: `of(case, event_type)` is equal for two cases that walk alike."""

    def __init__(self, graph: Graph, *, sent: Callable[[str], bool]):
        """`sent(operation)`: False when a call to it is only recorded (a write without a mock), True when asked."""
        self.values: set[Path] = set(ALWAYS)
        self.presence: set[Path] = set()
        self.readable = True
        for step in graph.steps:
            self._step(step, sent)
        self.presence -= self.values
        self._values = sorted(self.values)
        self._presence = sorted(self.presence)

    def _step(self, step: Step, sent: Callable[[str], bool]) -> None:
        expressions: list[str] = []
        rendered_only: list[str] = []
        match step:
            case GatherStep() | ActStep():
                templates = list(_strings(step.params))
                if step.operation and not sent(step.operation):
                    rendered_only += templates
                else:
                    expressions += [e for t in templates for e in PLACEHOLDER.findall(t)]
                if isinstance(step, GatherStep):
                    expressions += [e for t in _strings(step.compute) for e in PLACEHOLDER.findall(t)]
                for template in templates:  # what replay's "missing fact" check reads
                    for path in _MISSING_INPUT.findall(template):
                        if path.split(".", 1)[0] in ROOTS:
                            self.presence.add(tuple(path.split(".")))
            case DecideStep():
                expressions += [branch.when for branch in step.branches]
            case WaitStep():
                if step.recheck is not None:
                    expressions += [e for t in _strings(step.recheck.params) for e in PLACEHOLDER.findall(t)]
                    expressions.append(step.recheck.until)
            case ApproveStep() | EndStep():
                pass
            case _:
                self.readable = False
        for expression in expressions:
            self.values |= _names(expression)
        for template in rendered_only:
            for expression in PLACEHOLDER.findall(template):
                bare = _BARE.fullmatch(expression)
                if bare and bare.group(1).split(".", 1)[0] in ROOTS:
                    self.presence.add(tuple(bare.group(1).split(".")))
                else:
                    self.values |= _names(expression)

    def of(self, case: dict, event_type: str) -> str | None:
        if not self.readable:
            return None
        names = {"case": case, "event": {"type": event_type}}
        return json.dumps(
            [event_type, [_value(names, p) for p in self._values], [_presence(names, p) for p in self._presence]],
            sort_keys=True,
            default=str,
        )


def _follow(names: dict, path: Path) -> tuple[str, int, Any]:
    """("absent", depth, None), ("value", depth, value) where a non-map stopped it, or ("at", depth, value)."""
    value: Any = names
    for depth, part in enumerate(path):
        if not isinstance(value, dict):
            return "value", depth, value
        if part not in value or (value[part] is None and depth > 0):  # CEL does not see None inside a map
            return "absent", depth, None
        value = value[part]
    return "at", len(path), value


def _value(names: dict, path: Path) -> list:
    kind, depth, value = _follow(names, path)
    return [kind, depth, value]


def _presence(names: dict, path: Path) -> list:
    kind, depth, value = _follow(names, path)
    if kind != "at":
        return [kind, depth, value]
    if value is None:
        return ["none", depth]
    if value == "" or value == []:
        return ["empty", depth, value]
    return ["there", depth]
