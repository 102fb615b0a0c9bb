"""Assemble steps into a graph: keys, spans, and the "exits" still waiting for a next step.

The builder works like a cursor: `exits` are the step fields (a gather's
`next`, a decide's `otherwise`, a wait's `on_event` ...) that lead to whatever
is emitted next. Emitting a step connects every exit to it and replaces the
exits with the new step's own. Steps are plain dicts while being assembled and
go through `steps.parse()` once, at the end.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from procedures.compiler.base import CompileIssue
from procedures.compiler.rules.candidates import Act, Approve, End, Wait
from procedures.compiler.rules.document import Segment
from procedures.compiler.rules.ladders import order_ladders
from procedures.compiler.rules.vocabulary import RECHECKS, SAVE_AS, Known
from procedures.steps import Duration, Graph, Span, parse

Exit = tuple[str, tuple]  # (step key, path to the field that holds the next key)


@dataclass
class Builder:
    source: str
    steps: dict[str, dict] = field(default_factory=dict)
    exits: list[Exit] = field(default_factory=list)
    start: str | None = None
    warnings: list[CompileIssue] = field(default_factory=list)
    known: Known = field(default_factory=Known)
    watching: dict[str, list[str]] = field(default_factory=dict)  # event -> waits whose on_event is open
    title: str = ""
    sentences: list[Segment] = field(default_factory=list)  # every sentence of the SOP, in order
    marks: list[tuple[Segment, str]] = field(default_factory=list)  # non-procedural text and its kind
    section_kind: str = ""  # set while inside a non-procedural section ("Inputs", "Examples", ...)
    _starts: list[int] = field(default_factory=list)  # sentence starts, for bisecting
    _next_number: dict[str, int] = field(default_factory=dict)  # key base → next suffix to try
    _order: list[str] = field(default_factory=list)  # step keys in the order they were made
    anchors: dict[str, str] = field(default_factory=dict)  # "7" / "escalation" → first step of that item/section
    jumps: list[tuple[list[Exit], str, Segment]] = field(default_factory=list)  # "go to step 7": exits, reference

    def anchor(self, name: str, before: int) -> None:
        """Name the first step made since `before` steps existed (an item's number, a section's title)."""
        if len(self.steps) > before and name and name not in self.anchors:
            self.anchors[name] = self._order[before]

    def jump(self, reference: str, segment: Segment) -> None:
        """ "Go to step 7", "skip to Escalation": the open exits lead there, resolved when the graph is finished."""
        self.jumps.append((self.exits, reference, segment))
        self.exits = []

    def mark(self, segment: Segment, kind: str) -> None:
        """Record text that is not procedure (title, heading, purpose, io_list ...): it makes no step."""
        self.marks.append((segment, kind))

    @contextmanager
    def section(self, kind: str) -> Iterator[None]:
        outer, self.section_kind = self.section_kind, kind
        try:
            yield
        finally:
            self.section_kind = outer

    # -- keys, spans, warnings ---------------------------------------------------------------
    def new_key(self, base: str) -> str:
        base = re.sub(r"[^a-z0-9_]+", "_", base.lower()).strip("_")[:50] or "step"
        if not base[0].isalpha():
            base = "s_" + base
        key, n = base, self._next_number.get(base, 2)
        while key in self.steps:
            key, n = f"{base}_{n}", n + 1
        self._next_number[base] = n
        return key

    def sentence_of(self, segment: Segment) -> Segment:
        """The whole sentence(s) a clause belongs to: a step's span and instruction are its sentence."""
        if len(self._starts) != len(self.sentences):
            self._starts = [s.start for s in self.sentences]
        first = max(bisect_right(self._starts, segment.start) - 1, 0)
        last = bisect_left(self._starts, max(segment.end, segment.start + 1))
        around = [
            s
            for s in self.sentences[first:last]
            if s.start <= segment.start < s.end or segment.start <= s.start < segment.end
        ]
        if not around:
            return segment
        start, end = min(s.start for s in around + [segment]), max(s.end for s in around + [segment])
        return Segment(self.source[start:end], start, end)

    def warn(self, message: str, segment: Segment | None, code: str = "warning", step_key: str | None = None) -> None:
        span = Span(start=segment.start, end=segment.end) if segment else None
        excerpt = self.source[segment.start : segment.end] if segment else ""
        self.warnings.append(CompileIssue(message, code, step_key, span, excerpt))

    # -- wiring ---------------------------------------------------------------------------
    def set_target(self, exit_: Exit, target: str) -> None:
        key, path = exit_
        node = self.steps[key]
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = target

    def add(self, kind: str, base: str, title: str, segment: Segment, **fields) -> str:
        key = self.new_key(base)
        segment = self.sentence_of(segment)
        step = {
            "kind": kind,
            "key": key,
            "title": title[:300] or kind,
            "instruction": self.source[segment.start : segment.end],
        }
        step["span"] = {"start": segment.start, "end": segment.end}
        step.update({k: v for k, v in fields.items() if v is not None})
        self.steps[key] = step
        self._order.append(key)
        if self.start is None:
            self.start = key
        return key

    def connect(self, key: str) -> None:
        for exit_ in self.exits:
            self.set_target(exit_, key)
        self.exits = []

    def emit(self, kind: str, base: str, title: str, segment: Segment, outs: list[tuple], **fields) -> str:
        key = self.add(kind, base, title, segment, **fields)
        self.connect(key)
        self.exits = [(key, path) for path in outs]
        return key

    # -- step kinds -----------------------------------------------------------------------
    def act(self, spec: Act, segment: Segment) -> str:
        base = spec.operation.split(".", 1)[1]
        if spec.gather:
            save_as = spec.save_as or SAVE_AS.get(spec.operation, base)
            key = self.emit(
                "gather",
                base,
                spec.title,
                segment,
                [("next",)],
                operation=spec.operation,
                params=spec.params,
                save_as=save_as,
                required=spec.required or None,
            )
            self.known.results[save_as] = spec.operation
            return key
        deadline = _duration_json(spec.deadline) if spec.deadline else None
        key = self.emit(
            "act",
            base,
            spec.title,
            segment,
            [("next",)],
            operation=spec.operation,
            params=spec.params,
            save_as=spec.save_as,
            deadline=deadline,
        )
        if spec.save_as:
            self.known.results[spec.save_as] = spec.operation
        return key

    def end(self, spec: End, segment: Segment) -> str:
        return self.emit(
            "end",
            f"end_{spec.outcome}",
            spec.title,
            segment,
            [],
            outcome=spec.outcome,
            case_status=spec.case_status,
            handoff_role=spec.handoff_role,
        )

    def wait(self, spec: Wait, segment: Segment, *, anchor: str | None = None) -> str:
        outs = [("next",)] if spec.delay else []
        key = self.emit(
            "wait",
            "wait",
            spec.title,
            segment,
            outs,
            delay=_duration_json(spec.delay) if spec.delay else None,
            for_event=spec.for_event,
            anchor=anchor,
            recheck=self._recheck(spec) if spec.delay else None,
        )
        return key

    def _recheck(self, spec: Wait) -> dict | None:
        """For an event the source system may never send, the read that checks it when the timer fires.

        Only when the write that created what we wait on is an earlier step of this graph, so every
        parameter of the read comes from that step (its parameters or its saved result).
        """
        if spec.for_event not in RECHECKS:
            return None
        write, read, sources, until = RECHECKS[spec.for_event]
        origin = next((s for s in self.steps.values() if s.get("operation") == write and s.get("save_as")), None)
        if origin is None:
            return None
        params = {}
        for name, source in sources.items():
            where, _, field = source.partition(":")
            value = (
                origin.get("params", {}).get(field) if where == "param" else f"{{{{ {origin['save_as']}.{field} }}}}"
            )
            if not value:
                return None
            params[name] = value
        save_as = SAVE_AS.get(read, read.split(".", 1)[1])
        return {"operation": read, "params": params, "save_as": save_as, "until": f"{save_as}.{until}"}

    def approve(self, spec: Approve, segment: Segment, role: str) -> str:
        evidence = [{"kind": k, "min_count": n, "description": d} for k, n, d in spec.evidence]
        base = "approve_" + re.sub(r"[^a-z]+", "_", role.lower()).strip("_")
        key = self.emit(
            "approve",
            base,
            f"Approval by {role.lower()}",
            segment,
            [("on_approved",)],
            role=role,
            evidence=evidence or None,
        )
        return key

    def decide(self, when: str, label: str, segment: Segment) -> str:
        """A decide with one branch; exits become the branch. Returns its key (otherwise stays open)."""
        return self.emit(
            "decide",
            _decide_base(label),
            f"Check: {label}"[:300],
            segment,
            [("branches", 0, "next")],
            branches=[{"when": when, "next": None, "label": label[:200]}],
        )

    def judgement(self, question: str, segment: Segment, outcomes: list[tuple[str, str]], base: str = "judge") -> str:
        return self.emit(
            "decide",
            base,
            question[:300],
            segment,
            [("judgement", "outcomes", i, "next") for i in range(len(outcomes))],
            judgement={
                "question": question,
                "outcomes": [{"key": k, "label": lbl, "next": None} for k, lbl in outcomes],
            },
        )

    def add_branch(self, decide_key: str, when: str, label: str) -> Exit:
        branches = self.steps[decide_key]["branches"]
        branches.append({"when": when, "next": None, "label": label[:200]})
        return (decide_key, ("branches", len(branches) - 1, "next"))

    def add_outcome(self, decide_key: str, key: str, label: str) -> Exit:
        outcomes = self.steps[decide_key]["judgement"]["outcomes"]
        outcomes.append({"key": key, "label": label, "next": None})
        return (decide_key, ("judgement", "outcomes", len(outcomes) - 1, "next"))

    # -- finishing ------------------------------------------------------------------------
    def finish(self, segment: Segment) -> Graph:
        """Resolve cross-references, close every open exit on a final end step and parse the graph."""
        for exits, reference, where in self.jumps:
            target = self.anchors.get(reference)
            if target is None:
                self.warn(f"Cross-reference to {reference!r} not found: this path continues with the next step", where)
                self.exits += exits
                continue
            for exit_ in exits:
                self.set_target(exit_, target)
        open_waits = [k for keys in self.watching.values() for k in keys]
        if self.exits or open_waits or self.start is None:
            done = self.add("end", "done", "Done", segment, outcome="resolved")
            self.connect(done)
            for key in open_waits:
                self.steps[key]["on_event"] = done
        _prune(self.steps)
        self._drop_unreached()
        order_ladders(self.steps)
        return parse({"title": self.title[:200], "start": self.start, "steps": list(self.steps.values())})

    def _drop_unreached(self) -> None:
        """Steps after an end on every path can never run: drop them, and say which sentences they came from."""
        seen, todo = {self.start}, [self.start]
        while todo:
            step = self.steps[todo.pop()]
            for target in _targets(step):
                if target in self.steps and target not in seen:
                    seen.add(target)
                    todo.append(target)
        quoted: set[tuple[int, int]] = set()
        for key in [k for k in self.steps if k not in seen]:
            step = self.steps.pop(key)
            span = step.get("span")
            if span and (span["start"], span["end"]) not in quoted and step.get("instruction"):
                quoted.add((span["start"], span["end"]))
                segment = Segment(step["instruction"], span["start"], span["end"])
                self.warn(
                    "Never reached: this comes after a step that ends the procedure on every path; "
                    "move it before the end, or make it part of a branch",
                    segment,
                    code="unreachable",
                )


def _targets(step: dict) -> list[str]:
    found = [
        step.get(name)
        for name in ("next", "otherwise", "on_event", "on_missing_evidence", "on_approved", "on_rejected")
    ]
    found += [b.get("next") for b in step.get("branches", [])]
    found += [o.get("next") for o in step.get("judgement", {}).get("outcomes", [])]
    return [t for t in found if t]


def _prune(steps: dict[str, dict]) -> None:
    """Drop fields still None (an open exit nothing followed) so the schema sees them as absent."""
    for step in steps.values():
        for name in ("next", "otherwise", "on_event", "on_missing_evidence", "on_rejected"):
            if name in step and step[name] is None:
                del step[name]


def _duration_json(d: Duration) -> dict:
    return d.model_dump(exclude_defaults=True) or {"minutes": 0}


def _decide_base(label: str) -> str:
    words = re.findall(r"[a-z0-9]+", label.lower())
    words = [w for w in words if w not in ("the", "a", "an", "is", "if", "of", "for", "are", "and", "on")]
    return "check_" + "_".join(words[:3]) if words else "check"
