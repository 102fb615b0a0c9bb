"""Reads on procedures: version lists, diffs between versions, and what the SOP editor shows."""

from __future__ import annotations

import difflib
import itertools
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


# --- The editor ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A run of source text covered by the same steps and warnings (outermost step first)."""

    text: str
    step_keys: tuple[str, ...] = ()
    warnings: tuple[int, ...] = ()
    warnings_ending: tuple[int, ...] = ()


@dataclass(frozen=True)
class EditorWarnings:
    """A version's warnings (or errors) sorted by where the editor shows them. Each keeps its index."""

    by_step: dict[str, list[tuple[int, dict]]]
    by_span: list[tuple[int, dict]]
    unattached: list[tuple[int, dict]]


def editor_warnings(*, issues: list[dict], step_keys: set[str], first_index: int = 1) -> EditorWarnings:
    by_step: dict[str, list[tuple[int, dict]]] = {}
    by_span, unattached = [], []
    for index, issue in enumerate(issues, start=first_index):
        key = issue.get("step_key")
        if key and key in step_keys:
            by_step.setdefault(key, []).append((index, issue))
        elif issue.get("span"):
            by_span.append((index, issue))
        else:
            unattached.append((index, issue))
    return EditorWarnings(by_step=by_step, by_span=by_span, unattached=unattached)


def source_segments(
    *, source: str, spans: dict[str, tuple[int, int]], warnings: list[tuple[int, dict]]
) -> list[Segment]:
    """Cut the source at every step and warning span boundary, so each piece knows what covers it.

    `spans` maps a step key to its [start, end) offsets; spans outside the text are clipped.
    Steps covering a piece are ordered widest first, so marks nest outer to inner.
    """
    n = len(source)
    step_spans = {k: (max(0, min(s, n)), max(0, min(e, n))) for k, (s, e) in spans.items()}
    step_spans = {k: v for k, v in step_spans.items() if v[1] > v[0]}
    warn_spans = {}
    for index, issue in warnings:
        start, end = issue["span"].get("start", 0), issue["span"].get("end", 0)
        start, end = max(0, min(start, n)), max(0, min(end, n))
        if end <= start:  # a point: widen to one character so the warning has a place to sit
            end = min(n, start + 1)
            start = max(0, end - 1)
        warn_spans[index] = (start, end)
    cuts = {0, n}
    for start, end in list(step_spans.values()) + list(warn_spans.values()):
        cuts.update((start, end))
    bounds = sorted(cuts)
    segments = []
    for start, end in itertools.pairwise(bounds):
        covering = [k for k, (s, e) in step_spans.items() if s <= start and end <= e]
        covering.sort(key=lambda k: (-(step_spans[k][1] - step_spans[k][0]), step_spans[k][0]))
        warned = tuple(i for i, (s, e) in warn_spans.items() if s <= start and end <= e)
        ending = tuple(i for i, (_s, e) in warn_spans.items() if e == end)
        segments.append(
            Segment(text=source[start:end], step_keys=tuple(covering), warnings=warned, warnings_ending=ending)
        )
    if n == 0:
        segments.append(Segment(text=""))
    return segments


@dataclass(frozen=True)
class ParamRow:
    name: str
    value: str
    declared: object | None  # connectors.registry.Param, when the operation declares it
    missing: bool = False


@dataclass(frozen=True)
class StepCard:
    step: object  # a procedures.steps step (typed)
    position: int
    hand_edited: bool
    warnings: list[tuple[int, dict]]
    operation: object | None  # connectors.registry.Operation
    params: list[ParamRow]
    correction_json: str


@dataclass(frozen=True)
class EditorPage:
    version: ProcedureVersion
    procedure: Procedure
    cards: list[StepCard]
    segments: list[Segment]
    warnings: EditorWarnings
    errors: EditorWarnings
    versions: list[ProcedureVersion]
    previous: ProcedureVersion | None
    published: ProcedureVersion | None
    graph_error: str = ""

    @property
    def span_issues(self) -> dict[int, dict]:
        """Warnings and errors shown on a sentence, by their number."""
        return dict(self.warnings.by_span + self.errors.by_span)

    @property
    def locked(self) -> bool:
        return self.version.status in (ProcedureVersion.Status.PUBLISHED, ProcedureVersion.Status.RETIRED)

    @property
    def can_publish(self) -> bool:
        return self.version.status == ProcedureVersion.Status.COMPILED

    @property
    def can_roll_back(self) -> bool:
        latest = self.versions[0] if self.versions else None
        return (
            bool(self.version.graph)
            and self.version.status in (ProcedureVersion.Status.RETIRED, ProcedureVersion.Status.COMPILED)
            and latest is not None
            and latest.pk != self.version.pk
        )


def _param_rows(params: dict, operation) -> list[ParamRow]:
    declared = getattr(operation, "params", {}) or {}
    rows = [ParamRow(name=n, value=_display(v), declared=declared.get(n)) for n, v in params.items()]
    rows += [
        ParamRow(name=n, value="", declared=p, missing=True)
        for n, p in declared.items()
        if p.required and n not in params
    ]
    return rows


_NOT_CORRECTABLE = ("key", "kind", "span", "title")


def version_editor(*, version: ProcedureVersion) -> EditorPage:
    """Everything the side-by-side editor shows for one version."""
    from connectors.registry import operations
    from procedures import steps as graph_schema

    procedure = version.procedure
    graph, graph_error = None, ""
    if version.graph:
        try:
            graph = graph_schema.parse(version.graph)
        except graph_schema.GraphError as exc:
            graph_error = str(exc)
    rows = {s.key: s for s in version.steps.all()}
    keys = {s.key for s in graph.steps} if graph else set()
    warnings = editor_warnings(issues=list(version.warnings or []), step_keys=keys)
    errors = editor_warnings(
        issues=list(version.errors or []), step_keys=keys, first_index=len(version.warnings or []) + 1
    )
    cards = []
    for position, step in enumerate(graph.steps if graph else []):
        operation = operations().get(getattr(step, "operation", None) or "")
        params = dict(getattr(step, "params", {}) or {})
        dumped = step.model_dump(mode="json", exclude_none=True)
        spec = {k: v for k, v in dumped.items() if k not in _NOT_CORRECTABLE}
        cards.append(
            StepCard(
                step=step,
                position=position + 1,
                hand_edited=bool(rows.get(step.key) and rows[step.key].hand_edited),
                warnings=warnings.by_step.get(step.key, []),
                operation=operation,
                params=_param_rows(params, operation) if step.kind in ("act", "gather") else [],
                correction_json=json.dumps(spec, indent=2, ensure_ascii=False),
            )
        )
    spans = {s.key: (s.span.start, s.span.end) for s in (graph.steps if graph else []) if s.span}
    segments = source_segments(source=version.source, spans=spans, warnings=warnings.by_span + errors.by_span)
    versions = list(version_list(procedure=procedure))
    return EditorPage(
        version=version,
        procedure=procedure,
        cards=cards,
        segments=segments,
        warnings=warnings,
        errors=errors,
        versions=versions,
        previous=next((v for v in versions if v.number < version.number), None),
        published=procedure.published_version,
        graph_error=graph_error,
    )
