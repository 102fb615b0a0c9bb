"""What the side-by-side SOP editor shows for one version (a selector: reads only).

The source pane is the text cut into segments, each knowing the steps, warnings
and coverage entry that cover it; the steps pane is one page of step cards (an
SOP can compile into thousands of steps: the page stays bounded, and a step on
another page is reached through `step_page`). On top: the coverage summary and
what publishing would have to confirm.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, replace
from functools import cache
from typing import NamedTuple

from procedures.models import Procedure, ProcedureVersion
from procedures.publishing import OpenQuestions, coverage_counts, coverage_line, version_open_questions
from procedures.selectors import version_list

STEPS_PER_PAGE = 50


class Segment(NamedTuple):  # a tuple: an SOP of thousands of steps makes tens of thousands of them
    """A run of source text covered by the same steps, warnings and coverage entry (outermost step first)."""

    text: str
    step_keys: tuple[str, ...] = ()
    warnings: tuple[int, ...] = ()
    warnings_ending: tuple[int, ...] = ()
    coverage: int | None = None  # index into the version's coverage list
    coverage_starts: bool = False


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


def _clip(start: int, end: int, n: int, *, widen: bool = False) -> tuple[int, int]:
    start, end = max(0, min(start, n)), max(0, min(end, n))
    if widen and end <= start:  # a point: widen to one character so the note has a place to sit
        end = min(n, start + 1)
        start = max(0, end - 1)
    return start, end


def source_segments(
    *,
    source: str,
    spans: dict[str, tuple[int, int]],
    warnings: list[tuple[int, dict]],
    coverage: list[tuple[int, int]] = (),
) -> list[Segment]:
    """Cut the source at every step, warning and coverage boundary, so each piece knows what covers it.

    `spans` maps a step key to its [start, end) offsets; spans outside the text are clipped.
    Steps covering a piece are ordered widest first, so marks nest outer to inner. One sweep
    over the boundaries: linear in the number of spans for an SOP of thousands of steps.
    """
    n = len(source)
    if n == 0:
        return [Segment(text="")]
    step_spans = {k: _clip(s, e, n) for k, (s, e) in spans.items()}
    step_spans = {k: v for k, v in step_spans.items() if v[1] > v[0]}
    order = {k: n for n, k in enumerate(step_spans)}  # equal spans nest in graph order, earlier outside
    warn_spans = {}
    for index, issue in warnings:
        warn_spans[index] = _clip(issue["span"].get("start", 0), issue["span"].get("end", 0), n, widen=True)
    cov_spans = {i: _clip(s, e, n) for i, (s, e) in enumerate(coverage)}
    cov_spans = {i: v for i, v in cov_spans.items() if v[1] > v[0]}

    starts: dict[int, list] = {}
    ends: dict[int, list] = {}
    for kind, table in (("step", step_spans), ("warn", warn_spans), ("cov", cov_spans)):
        for ident, (start, end) in table.items():
            starts.setdefault(start, []).append((kind, ident))
            ends.setdefault(end, []).append((kind, ident))
    cuts = sorted({0, n, *starts, *ends})
    active: dict[str, set] = {"step": set(), "warn": set(), "cov": set()}
    segments = []
    for start, end in itertools.pairwise(cuts):
        for kind, ident in ends.get(start, ()):
            active[kind].discard(ident)
        for kind, ident in starts.get(start, ()):
            active[kind].add(ident)
        steps = active["step"]
        covering = (
            sorted(steps, key=lambda k: (step_spans[k][0] - step_spans[k][1], step_spans[k][0], order[k]))
            if len(steps) > 1
            else tuple(steps)
        )
        warned = tuple(sorted(active["warn"])) if active["warn"] else ()
        ending = tuple(i for i in warned if warn_spans[i][1] == end)
        cov = min(active["cov"]) if active["cov"] else None
        segments.append(
            Segment(
                text=source[start:end],
                step_keys=tuple(covering),
                warnings=warned,
                warnings_ending=ending,
                coverage=cov,
                coverage_starts=cov is not None and cov_spans[cov][0] == start,
            )
        )
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
    readback: str = ""


@dataclass(frozen=True)
class CoverageView:
    """The coverage bar: counts by status, their share of the bar, and the sentences not understood."""

    entries: list[dict]
    counts: dict[str, int]
    line: str
    not_understood: list[tuple[int, dict]]  # (index in entries, entry)

    @property
    def available(self) -> bool:
        return bool(self.entries)

    @property
    def shares(self) -> list[tuple[str, int, float]]:
        total = max(1, len(self.entries))
        return [(status, count, round(100 * count / total, 1)) for status, count in self.counts.items()]


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
    coverage: CoverageView
    open_questions: OpenQuestions
    step_count: int = 0
    step_page: int = 1
    step_pages: int = 1
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
    def first_position(self) -> int:
        return (self.step_page - 1) * STEPS_PER_PAGE + 1

    @property
    def last_position(self) -> int:
        return self.first_position + len(self.cards) - 1

    @property
    def page_numbers(self) -> range:
        return range(1, self.step_pages + 1)

    @property
    def can_roll_back(self) -> bool:
        latest = self.versions[0] if self.versions else None
        return (
            bool(self.version.graph)
            and self.version.status in (ProcedureVersion.Status.RETIRED, ProcedureVersion.Status.COMPILED)
            and latest is not None
            and latest.pk != self.version.pk
        )


def _display(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)


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


# Up to this many steps the whole graph is parsed (and a stored graph that does not parse is
# reported); above it only the page shown is, which keeps a 4,000-step SOP's editor fast.
FULL_PARSE_LIMIT = 500


def _typed_steps(version: ProcedureVersion, raw: list[dict]) -> tuple[list, str]:
    """Typed steps for `raw` (a slice of the graph's JSON steps), or [] and why they do not parse."""
    from pydantic import ValidationError

    from procedures import steps as graph_schema

    if len(version.graph.get("steps", [])) <= FULL_PARSE_LIMIT:
        try:
            graph = graph_schema.parse(version.graph)
        except graph_schema.GraphError as exc:
            return [], str(exc)
        wanted = {s.get("key") for s in raw}
        return [s for s in graph.steps if s.key in wanted], ""
    try:
        return [_step_adapter().validate_python(s) for s in raw], ""
    except ValidationError as exc:
        return [], str(exc)


@cache
def _step_adapter():
    from pydantic import TypeAdapter

    from procedures import steps as graph_schema

    return TypeAdapter(graph_schema.Step)


def step_card(*, step, position: int, warnings: EditorWarnings, index) -> StepCard:
    from connectors.registry import operations
    from procedures.readback import readback_with

    operation = operations().get(getattr(step, "operation", None) or "")
    params = dict(getattr(step, "params", {}) or {})
    dumped = step.model_dump(mode="json", exclude_none=True)
    spec = {k: v for k, v in dumped.items() if k not in _NOT_CORRECTABLE}
    return StepCard(
        step=step,
        position=position,
        hand_edited=False,
        warnings=warnings.by_step.get(step.key, []),
        operation=operation,
        params=_param_rows(params, operation) if step.kind in ("act", "gather") else [],
        correction_json=json.dumps(spec, indent=2, ensure_ascii=False),
        readback=readback_with(step, index),
    )


def step_page(*, version: ProcedureVersion, key: str) -> int | None:
    """The page of the steps pane that shows step `key`, or None when the version has no such step."""
    for position, step in enumerate((version.graph or {}).get("steps", [])):
        if step.get("key") == key:
            return position // STEPS_PER_PAGE + 1
    return None


def version_editor(*, version: ProcedureVersion, page: int = 1) -> EditorPage:
    """Everything the side-by-side editor shows for one version, with page `page` of its step cards."""
    from procedures.readback import ReadbackIndex

    procedure = version.procedure
    raw_steps = list((version.graph or {}).get("steps", [])) if isinstance(version.graph, dict) else []
    keys = {s.get("key") for s in raw_steps}
    warnings = editor_warnings(issues=list(version.warnings or []), step_keys=keys)
    errors = editor_warnings(
        issues=list(version.errors or []), step_keys=keys, first_index=len(version.warnings or []) + 1
    )
    pages = max(1, -(-len(raw_steps) // STEPS_PER_PAGE))
    page = min(max(1, page), pages)
    first = (page - 1) * STEPS_PER_PAGE
    shown, graph_error = _typed_steps(version, raw_steps[first : first + STEPS_PER_PAGE]) if raw_steps else ([], "")
    edited = set(version.steps.filter(key__in=[s.key for s in shown], hand_edited=True).values_list("key", flat=True))
    index = ReadbackIndex.of_steps(raw_steps)
    cards = [
        replace(
            step_card(step=step, position=first + n + 1, warnings=warnings, index=index),
            hand_edited=step.key in edited,
        )
        for n, step in enumerate(shown)
    ]
    entries = list(version.coverage or [])
    spans = {
        s["key"]: (s["span"].get("start", 0), s["span"].get("end", 0))
        for s in raw_steps
        if isinstance(s.get("span"), dict) and "key" in s
    }
    segments = source_segments(
        source=version.source,
        spans=spans,
        warnings=warnings.by_span + errors.by_span,
        coverage=[(e.get("span", {}).get("start", 0), e.get("span", {}).get("end", 0)) for e in entries],
    )
    versions = list(version_list(procedure=procedure).only(*_VERSION_NAV_FIELDS))
    return EditorPage(
        version=version,
        procedure=procedure,
        cards=cards,
        segments=segments,
        warnings=warnings,
        errors=errors,
        versions=versions,
        previous=next((v for v in versions if v.number < version.number), None),
        published=next((v for v in versions if v.pk == procedure.published_version_id), None),
        coverage=CoverageView(
            entries=entries,
            counts=coverage_counts(entries),
            line=coverage_line(entries),
            not_understood=[(i, e) for i, e in enumerate(entries) if e.get("status") == "not_understood"],
        ),
        open_questions=version_open_questions(version=version)
        if version.status == ProcedureVersion.Status.COMPILED
        else OpenQuestions(),
        step_count=len(raw_steps),
        step_page=page,
        step_pages=pages,
        graph_error=graph_error,
    )


# The version chips and diff links need only these (a big version's graph is megabytes of JSON).
_VERSION_NAV_FIELDS = ("id", "procedure_id", "number", "status", "created_by", "based_on")


def version_step_card(*, version: ProcedureVersion, key: str) -> StepCard | None:
    """One step's card, for a part of the editor loaded on demand."""
    from procedures.readback import ReadbackIndex

    raw_steps = list((version.graph or {}).get("steps", []))
    position = next((n for n, s in enumerate(raw_steps) if s.get("key") == key), None)
    if position is None:
        return None
    typed, _ = _typed_steps(version, [raw_steps[position]])
    if not typed:
        return None
    warnings = editor_warnings(issues=list(version.warnings or []), step_keys={s.get("key") for s in raw_steps})
    card = step_card(step=typed[0], position=position + 1, warnings=warnings, index=ReadbackIndex.of_steps(raw_steps))
    return replace(card, hand_edited=version.steps.filter(key=key, hand_edited=True).exists())
