"""Reads on procedures: version lists, diffs between versions, and what the SOP editor shows."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field

from django.db.models import QuerySet

from procedures.models import Procedure, ProcedureVersion


def version_list(*, procedure: Procedure) -> QuerySet[ProcedureVersion]:
    """The procedure's versions, newest first."""
    return procedure.versions.select_related("created_by", "based_on").order_by("-number")


def version_previous(*, version: ProcedureVersion) -> ProcedureVersion | None:
    return version.procedure.versions.filter(number__lt=version.number).order_by("-number").first()


# --- Diff ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "header", "hunk", "add", "remove", "context"
    text: str


@dataclass(frozen=True)
class FieldChange:
    name: str
    old: str
    new: str


@dataclass(frozen=True)
class StepChange:
    key: str
    title: str
    fields: list[FieldChange]


@dataclass(frozen=True)
class VersionDiff:
    old: ProcedureVersion
    new: ProcedureVersion
    unified: str
    lines: list[DiffLine]
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    changed: list[StepChange] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)

    @property
    def source_changed(self) -> bool:
        return bool(self.lines)

    @property
    def steps_changed(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.moved)


def _display(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def version_diff(*, old: ProcedureVersion, new: ProcedureVersion) -> VersionDiff:
    """A unified diff of the two sources, plus the steps added, removed and changed (by key, field by field).

    Spans are left out of the field comparison: inserting a line above a step moves
    its offsets without changing the step.
    """
    unified_lines = list(
        difflib.unified_diff(
            old.source.splitlines(),
            new.source.splitlines(),
            fromfile=f"v{old.number}",
            tofile=f"v{new.number}",
            lineterm="",
        )
    )
    lines = []
    for text in unified_lines:
        if text.startswith(("---", "+++")):
            kind = "header"
        elif text.startswith("@@"):
            kind = "hunk"
        elif text.startswith("+"):
            kind = "add"
        elif text.startswith("-"):
            kind = "remove"
        else:
            kind = "context"
        lines.append(DiffLine(kind=kind, text=text))

    old_steps = {s["key"]: s for s in (old.graph or {}).get("steps", [])}
    new_steps = {s["key"]: s for s in (new.graph or {}).get("steps", [])}
    added = [s for k, s in new_steps.items() if k not in old_steps]
    removed = [s for k, s in old_steps.items() if k not in new_steps]
    changed = []
    for key, new_step in new_steps.items():
        old_step = old_steps.get(key)
        if old_step is None:
            continue
        names = sorted((set(old_step) | set(new_step)) - {"span", "key"})
        fields = [
            FieldChange(name=name, old=_display(old_step.get(name)), new=_display(new_step.get(name)))
            for name in names
            if old_step.get(name) != new_step.get(name)
        ]
        if fields:
            changed.append(StepChange(key=key, title=new_step.get("title", key), fields=fields))
    common_old = [k for k in old_steps if k in new_steps]
    common_new = [k for k in new_steps if k in old_steps]
    moved = [k for k, j in zip(common_old, common_new, strict=True) if k != j]
    return VersionDiff(
        old=old,
        new=new,
        unified="\n".join(unified_lines),
        lines=lines,
        added=added,
        removed=removed,
        changed=changed,
        moved=moved,
    )


# --- Read-backs ---------------------------------------------------------------------------


def version_readbacks(*, version: ProcedureVersion) -> dict[str, str]:
    """Each compiled step's plain-language read-back, by key (empty when the version has no valid graph)."""
    from procedures import steps as graph_schema
    from procedures.readback import graph_readbacks

    if not version.graph:
        return {}
    try:
        return graph_readbacks(graph_schema.parse(version.graph))
    except graph_schema.GraphError:
        return {}
