"""Conditions that compare a declared fact to a value it can never take: a warning, never silence.

A declared operation's output may list its values (`enum`: active, suspended,
closed); a Zendesk custom field its choices. A branch such as
`billing.account_status == "suspended for fraud"` would never be taken and its
case would quietly go the other way, so the compile says so (code
`impossible_value`) for every compiler's graph.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from connectors import registry
from connectors.declared import answers
from connectors.declared.catalog import outputs_of
from connectors.declared.spec import enum_values
from procedures.steps import ActStep, DecideStep, GatherStep, Graph, Step

_PATH = r"(?P<path>[a-z_]\w*(?:\.\w+)+)"
_LIT = r"(?P<lit>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
_COMPARISONS = (
    re.compile(rf"{_PATH}\s*(?:==|!=)\s*{_LIT}"),
    re.compile(rf"{_LIT}\s*(?:==|!=)\s*{_PATH}"),
)
_MEMBERSHIP = re.compile(rf"{_PATH}\s+in\s+\[(?P<items>[^\]]*)\]")


def _literal(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def comparisons(cel: str) -> Iterator[tuple[str, str]]:
    """(path, value) for every `path == "value"`, `"value" != path` and `path in ["a", "b"]` in a CEL expression."""
    for pattern in _COMPARISONS:
        for m in pattern.finditer(cel):
            yield m.group("path"), _literal(m.group("lit"))
    for m in _MEMBERSHIP.finditer(cel):
        for item in re.finditer(_LIT, m.group("items")):
            yield m.group("path"), _literal(item.group("lit"))


def _known_values(graph: Graph) -> dict[str, tuple[str, tuple[str, ...]]]:
    """path → (what provides it, the values it can take) for declared outputs saved in this graph and custom fields."""
    ops = registry.operations()
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for step in graph.steps:
        if isinstance(step, GatherStep | ActStep) and step.operation and step.save_as:
            op = ops.get(step.operation)
            for output in outputs_of(op) if op else ():
                if output.values:
                    found[f"{step.save_as}.{output.name}"] = (step.operation, output.values)
    if any(isinstance(s, DecideStep) and "case.fields." in " ".join(b.when for b in s.branches) for s in graph.steps):
        for fact, title, _kind, values in answers.zendesk_custom_fields():
            if values:
                found[f"case.fields.{fact}"] = (f"the Zendesk field “{title}”", values)
    return found


def impossible_comparisons(graph: Graph) -> Iterator[tuple[Step, str, str]]:
    """(step, code, message) for each branch comparing a declared fact to a value outside its declared values."""
    known = None
    for step in graph.steps:
        if not isinstance(step, DecideStep):
            continue
        for branch in step.branches:
            for path, value in comparisons(branch.when):
                known = _known_values(graph) if known is None else known
                if path not in known:
                    continue
                source, values = known[path]
                if enum_values([value])[0] in values:
                    continue
                yield (
                    step,
                    "impossible_value",
                    f"the branch {branch.label or branch.when!r} compares {path} to {value!r}, which {source} never "
                    f"returns (its values: {', '.join(values)}): use one of those values, or add it to the declared "
                    "values if the system can return it",
                )
