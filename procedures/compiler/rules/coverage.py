"""Stage 5: what became of every sentence, clause and table row of the source (`CompileResult.coverage`).

Each unit of the source (a sentence of a list item or paragraph, a table
row, a heading, a code block) gets exactly one entry, in source order:
automated (it became automated steps), person (a judgement or approval on
purpose), not_understood (a judgement step plus a warning) or
non_procedural (with its kind). A unit that nothing accounts for gets a
warning here, so no sentence vanishes in silence.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from procedures.compiler.base import CompileIssue, SentenceCoverage
from procedures.compiler.rules import sentences
from procedures.compiler.rules.document import Code, Heading, Item, Segment, Table, walk
from procedures.steps import ApproveStep, DecideStep, Graph, Span

_NOT_UNDERSTOOD = frozenset({"not_understood", "condition_not_understood", "unreachable", "question"})
_NON_PROCEDURAL_WARNINGS = {"sla_policy": "sla_policy", "trigger": "trigger"}


def units(blocks: list) -> list[Segment]:
    """The source's sentences, rows, headings and code blocks, in order."""
    found: list[Segment] = []
    for block in walk(blocks):
        if isinstance(block, Item):
            found += sentences.split(block.segment)
        elif isinstance(block, Table):
            found += [_row(block, cells) for cells in ((block.header,) if block.header else ()) + block.rows]
        elif isinstance(block, Heading | Code):
            found.append(block.segment)
    return sorted(found, key=lambda s: s.start)


def _row(table: Table, cells: tuple[Segment, ...]) -> Segment:
    start, end = cells[0].start, cells[-1].end
    text = table.segment.text[start - table.segment.start : end - table.segment.start]
    return Segment(text, start, end)


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


class _Index:
    """Spans sorted by start, to find those overlapping a unit without scanning them all."""

    def __init__(self, items: list[tuple[int, int, object]]):
        self.items = sorted(items, key=lambda i: i[0])
        self.starts = [i[0] for i in self.items]
        self.longest = max((end - start for start, end, _ in self.items), default=0)

    def overlapping(self, start: int, end: int) -> list:
        low = bisect_left(self.starts, start - self.longest)
        high = bisect_left(self.starts, max(end, start + 1))
        return [v for s, e, v in self.items[low:high] if _overlaps(s, max(e, s + 1), start, end)]


def coverage(
    source: str, blocks: list, graph: Graph, warnings: list[CompileIssue], marks: list[tuple[Segment, str]]
) -> tuple[list[SentenceCoverage], list[CompileIssue]]:
    """One entry per unit, and the warnings to add for units nothing accounted for."""
    entries: list[SentenceCoverage] = []
    extra: list[CompileIssue] = []
    steps = _Index([(s.span.start, s.span.end, s) for s in graph.steps if s.span and s.span.end > s.span.start])
    issues = _Index([(w.span.start, w.span.end, w.code) for w in warnings if w.span])
    kinds = _Index([(seg.start, max(seg.end, seg.start + 1), kind) for seg, kind in marks])
    for unit in units(blocks):
        unit = Segment(source[unit.start : unit.end], unit.start, unit.end)  # the exact text, line breaks included
        span = Span(start=unit.start, end=unit.end)
        kind = next(iter(kinds.overlapping(unit.start, unit.start + 1)), "")
        found = steps.overlapping(unit.start, unit.end)
        keys = tuple(s.key for s in found)
        codes = set(issues.overlapping(unit.start, unit.end))
        if kind and not found:
            entries.append(SentenceCoverage(span, unit.text, "non_procedural", kind=kind))
        elif codes & _NOT_UNDERSTOOD:
            entries.append(SentenceCoverage(span, unit.text, "not_understood", step_keys=keys))
        elif found and any(_automated(s) for s in found):
            entries.append(SentenceCoverage(span, unit.text, "automated", step_keys=keys))
        elif found:
            entries.append(SentenceCoverage(span, unit.text, "person", step_keys=keys))
        elif codes & set(_NON_PROCEDURAL_WARNINGS):
            code = next(_NON_PROCEDURAL_WARNINGS[c] for c in sorted(codes) if c in _NON_PROCEDURAL_WARNINGS)
            entries.append(SentenceCoverage(span, unit.text, "non_procedural", kind=code))
        elif codes:
            entries.append(SentenceCoverage(span, unit.text, "automated", reason="applied to other steps"))
        elif judge := _answered_by(unit.text, graph):
            reason = f"a person picks this case at “{judge.title}”"
            entries.append(SentenceCoverage(span, unit.text, "not_understood", step_keys=(judge.key,), reason=reason))
        else:
            reason = "no step was made from this sentence"
            entries.append(SentenceCoverage(span, unit.text, "not_understood", reason=reason))
            extra.append(
                CompileIssue(
                    f"Not understood by the rules compiler: {reason}; rewrite it as a step, or add it by hand",
                    "not_understood",
                    None,
                    span,
                    unit.text,
                )
            )
    return entries, extra


def _automated(step) -> bool:
    if isinstance(step, ApproveStep):
        return False
    return not (isinstance(step, DecideStep) and step.judgement is not None)


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9$£€%.]+", text.lower()))


def _answered_by(text: str, graph: Graph) -> DecideStep | None:
    """The judgement one of whose answers is this sentence's case ("If the parcel is late:" as the answer
    "the parcel is late" of the question the first "If …:" section became): the sentence is not lost."""
    said = f" {_words(text)} "
    for step in graph.steps:
        if isinstance(step, DecideStep) and step.judgement is not None:
            for outcome in step.judgement.outcomes:
                label = _words(outcome.label)
                if len(label) >= 8 and f" {label} " in said:
                    return step
    return None
