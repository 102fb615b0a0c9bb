"""One SOP's compile result scored against its expectation: precision first, then every sentence, then recall."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from procedures.compiler.base import CompileResult
from procedures.compiler.evaluation.conditions import atoms
from procedures.compiler.evaluation.expectations import Expectation, Item, quote_locate
from procedures.compiler.evaluation.matching import (
    Range,
    Unit,
    assign,
    atom_matches,
    condition_problems,
    end_matches,
    forbidden_hit,
    in_item_covered,
    overlaps,
    param_problems,
    unit_matches,
    units_of,
)
from procedures.compiler.evaluation.paths import graph_walk
from procedures.compiler.evaluation.repeats import exclusive, over_sentence, reachable, same_act, same_expectation
from procedures.steps import ActStep, ApproveStep, DecideStep, EndStep, Graph

AUTOMATED_KINDS = ("gather", "action", "wait", "approval", "condition")
_NOT_THE_SAME = {"gather": " with other parameters", "act": " with other parameters", "approve": " by another role"}


@dataclass(frozen=True)
class WrongStep:
    sop: str
    step: str
    label: str
    why: str


@dataclass(frozen=True)
class SopScore:
    name: str
    group: str = "dev"  # dev or heldout
    automated: int = 0
    right: int = 0
    items: int = 0
    matched: int = 0
    automated_items: int = 0
    params_checked: int = 0
    params_exact: int = 0
    paths: int = 0
    paths_held: int = 0
    questions: int = 0
    silent_drops: tuple[str, ...] = ()
    missed: tuple[str, ...] = ()  # "id: what", items matched by nothing
    path_failures: tuple[str, ...] = ()
    wrong: tuple[WrongStep, ...] = ()
    error: str = ""

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def precision(self) -> float | None:
        return self._share(self.right, self.automated)

    @property
    def recall(self) -> float:
        return self.matched / self.items if self.items else 0.0

    @property
    def branches(self) -> float | None:
        return self._share(self.paths_held, self.paths)

    @property
    def params(self) -> float | None:
        return self._share(self.params_exact, self.params_checked)

    @property
    def automation(self) -> float:
        return self.automated_items / self.items if self.items else 0.0


def score_failed(name: str, error: str, expectation: Expectation, *, group: str = "dev") -> SopScore:
    """A graph that did not compile: nothing automated, nothing matched, every path fails."""
    return SopScore(
        name,
        group,
        items=len(expectation.items),
        paths=len(expectation.paths),
        missed=tuple(f"{i.id}: {i.describe()}" for i in expectation.items),
        error=error,
    )


_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")


_MESSAGE_PARAMS = ("body", "description", "message", "comment")


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9$£€%]+", text.lower()))


def pasted_instruction(step) -> str:
    """The message parameter an act sends that is the step's own SOP sentence ("Reply to the customer." sent to the
    customer): the issue's "the SOP sentence pasted as the body". "" when there is none."""
    if not isinstance(step, ActStep) or not step.instruction.strip():
        return ""
    said = _words(step.instruction)
    for name in _MESSAGE_PARAMS:
        value = step.params.get(name)
        if isinstance(value, str) and "{{" not in value and len(said) > 8 and _words(value) == said:
            return name
    return ""


def _sentence_range(source: str, found: tuple[int, int]) -> Range:
    """A non-procedural quote widened to the sentence (or line) it is part of."""
    ends = [m.end() for m in _SENTENCE_END.finditer(source, 0, found[0])]
    start = ends[-1] if ends else 0
    after = _SENTENCE_END.search(source, max(found[1] - 1, found[0]))
    return start, after.end() if after else len(source)


def _covered(span: Range, ranges: list[Range]) -> int:
    points = set()
    for start, end in ranges:
        points.update(range(max(start, span[0]), min(end, span[1])))
    return len(points)


class _Scorer:
    def __init__(self, name: str, result: CompileResult, expectation: Expectation, source: str):
        self.name = name
        self.source = source
        self.graph: Graph = result.graph
        self.reach = reachable(self.graph)
        self.repeats: dict[str, list[str]] = {}  # item id → keys of the matched unit and its exclusive repeats
        self.result = result
        self.exp = expectation
        self.where: dict[str, Range | None] = {i.id: quote_locate(source, i.text) for i in expectation.items}
        found = [(quote_locate(source, q), q) for q in expectation.non_procedural]
        self.non_procedural = [(_sentence_range(source, f), q) for f, q in found if f]
        self.units = units_of(self.graph)
        self.wrong: dict[str, str] = {}
        self.matched: dict[str, list[str]] = defaultdict(list)  # item id → step keys (or unit keys)
        self.automated_items: set[str] = set()
        self.acted_on: set[str] = set()  # person items that became automated steps
        self.params_checked = 0
        self.params_exact = 0

    def _items(self, *kinds: str) -> list[Item]:
        return [i for i in self.exp.items if i.kind in kinds]

    def _near(self, unit_span: Range | None, item: Item) -> bool:
        return overlaps(unit_span, self.where.get(item.id))

    def _inside_non_procedural(self, span: Range | None) -> str:
        """The non-procedural quote a span mostly lies in ("" when it does not)."""
        if span is None or span[1] <= span[0] or not self.non_procedural:
            return ""
        if 2 * _covered(span, [r for r, _ in self.non_procedural]) < span[1] - span[0]:
            return ""
        return max(self.non_procedural, key=lambda rq: _covered(span, [rq[0]]))[1]

    def run(self, group: str) -> SopScore:
        for unit in self.units:
            rule = forbidden_hit(unit, self.exp.forbidden)
            if rule:
                self.wrong[unit.key] = f"forbidden operation {rule.operation}" + (f": {rule.why}" if rule.why else "")
            elif quote := self._inside_non_procedural(unit.span):
                self.wrong[unit.key] = f"comes from non-procedural text ({quote[:60]!r})"
            elif pasted := pasted_instruction(unit.step):
                self.wrong[unit.key] = f"sends the SOP's own sentence as its {pasted} (a reader gets our instruction)"
        live = [u for u in self.units if u.key not in self.wrong]
        self._conditions([u for u in live if u.kind == "condition"])
        self._steps([u for u in live if u.kind != "condition"])
        self._ends()
        self._people()
        items = self.exp.items
        matched = [i for i in items if self.matched.get(i.id)]
        spans = [(s.span.start, s.span.end) for s in self.graph.steps if s.span]
        spans += [(w.span.start, w.span.end) for w in self.result.warnings if w.span]
        spans += [(c.span.start, c.span.end) for c in self.result.coverage]
        drops = [
            i.id for i in items if not self.matched.get(i.id) and not any(overlaps(self.where[i.id], s) for s in spans)
        ]
        held, failures = self._paths()
        judgements = sum(1 for s in self.graph.steps if isinstance(s, DecideStep) and s.judgement)
        return SopScore(
            self.name,
            group,
            automated=len(self.units),
            right=len(self.units) - len(self.wrong),
            items=len(items),
            matched=len(matched),
            automated_items=len(self.automated_items),
            params_checked=self.params_checked,
            params_exact=self.params_exact,
            paths=len(self.exp.paths),
            paths_held=held,
            questions=judgements + len(self.result.warnings),
            silent_drops=tuple(drops),
            missed=tuple(f"{i.id}: {i.describe()}" for i in items if not self.matched.get(i.id)),
            path_failures=tuple(failures),
            wrong=tuple(
                WrongStep(self.name, u.key, u.label, self.wrong[u.key]) for u in self.units if u.key in self.wrong
            ),
        )

    def _conditions(self, units: list[Unit]) -> None:
        items = self._items("condition")
        allowed = [a for a in self.exp.allowed if a.kind == "condition"]
        by_step: dict[str, list] = defaultdict(list)
        for unit in units:
            problems = condition_problems(unit, items, allowed)
            if problems:
                self.wrong[unit.key] = "; ".join(problems)
            found = atoms(unit.tree) if unit.tree is not None else []
            target = unit.step.branches[unit.branch].next  # rungs to the same step may split an `in` list
            by_step[f"{unit.step.key}>{target}"] += [(unit, atom) for atom in found]
            for item in items:
                if item.op != "in" and any(atom_matches(item, atom) for atom in found):
                    self.matched[item.id].append(unit.key)
        for item in (i for i in items if i.op == "in"):
            for pairs in by_step.values():
                if in_item_covered(item, [atom for _, atom in pairs]):
                    self.matched[item.id] += [u.key for u, a in pairs if atom_matches(item, a)]
        self.automated_items.update(i.id for i in items if self.matched.get(i.id))

    def _steps(self, units: list[Unit]) -> None:
        items = self._items("gather", "action", "wait", "approval")
        edges = {i.id: [u.key for u in units if unit_matches(u, i)] for i in items}
        preferred = {i.id: [k for k in edges[i.id] if self._near(self._unit(k).span, i)] for i in items}
        done = assign([i.id for i in items], edges, preferred)
        for item_id, key in done.items():
            self.matched[item_id].append(key)
            self.automated_items.add(item_id)
        used = set(done.values())
        rest = [u for u in units if u.key not in used]
        # Right operation, wrong parameters: pair what is left by operation.
        left_items = [i for i in items if i.id not in done and i.kind in ("gather", "action")]
        op_edges = {
            i.id: [u.key for u in rest if u.kind in ("gather", "act") and u.step.operation == i.operation]
            for i in left_items
        }
        op_near = {i.id: [k for k in op_edges[i.id] if self._near(self._unit(k).span, i)] for i in left_items}
        paired = {key: item_id for item_id, key in assign([i.id for i in left_items], op_edges, op_near).items()}
        # A wait or an approval over the item's sentence that differs from it (delay, event, role, evidence).
        kin = {"wait": "wait", "approval": "approve"}
        left_gates = [i for i in items if i.id not in done and i.kind in kin]
        gate_edges = {
            i.id: [u.key for u in rest if u.kind == kin[i.kind] and u.key not in paired and self._near(u.span, i)]
            for i in left_gates
        }
        paired |= {key: item_id for item_id, key in assign([i.id for i in left_gates], gate_edges, {}).items()}
        actions = self._items("action")
        self.params_checked = sum(1 for i in actions if i.id in done) + sum(
            1 for i in actions if i.id in paired.values()
        )
        self.params_exact = sum(1 for i in actions if i.id in done)
        people = self._items("person")
        by_id = {i.id: i for i in self.exp.items}
        for unit in rest:
            if any(unit_matches(unit, a) for a in self.exp.allowed):
                continue
            person = next((p for p in people if self._near(unit.span, p)), None)
            if isinstance(unit.step, ApproveStep) and person:
                continue  # an approval over a sentence a person must decide: that is what the text asks
            item = by_id.get(paired.get(unit.key, ""))
            near_pair = item is not None and self._near(unit.span, item)
            repeat, why_duplicate = (False, "") if near_pair else self._repeat(unit, items, done)
            if repeat:
                continue  # the same step on a branch no run shares with it: it does not act twice
            if item and (self._near(unit.span, item) or person is None):
                if item.kind in ("wait", "approval"):
                    self.wrong[unit.key] = f"not what {item.id} asks ({item.describe()}): it is {unit.label}"
                elif (unit.kind == "gather") != (item.kind == "gather"):
                    why = "an act step where the text asks for a read"
                    if item.kind != "gather":
                        why = "a read where the text asks for an action"
                    self.wrong[unit.key] = f"{item.id} ({item.describe()}): {why}"
                else:
                    why = "; ".join(param_problems(unit.step, item.params))
                    self.wrong[unit.key] = f"wrong parameters for {item.id} ({item.describe()}): {why}"
            elif person:
                self.acted_on.add(person.id)
                self.wrong[unit.key] = f"{person.id} is for a person to decide ({person.text!r}), not an automated step"
            else:
                self.wrong[unit.key] = why_duplicate or "spurious: the text asks for no such step"

    def _sentences(self, span: Range | None) -> list[Range]:
        return [_sentence_range(self.source, span)] if span else []

    def _repeat(self, unit: Unit, items: list[Item], done: dict[str, str]) -> tuple[bool, str]:
        """Whether `unit` repeats a matched unit on an exclusive branch, else why it is a duplicate ("" if not one)."""
        why = ""
        for twin in (i for i in items if i.id in done and unit_matches(unit, i)):
            first = self._unit(done[twin.id])
            duplicate = f"duplicate: {twin.id} ({twin.describe()}) is already done by step {first.key}"
            if not same_act(unit, first):
                why = why or duplicate + _NOT_THE_SAME.get(unit.kind, "")
                continue
            group = self.repeats.setdefault(twin.id, [first.key])
            twice = [k for k in group if not exclusive(self.reach, unit.step.key, self._unit(k).step.key)]
            if twice:
                why = why or f"{duplicate}, and a run can execute both (step {twice[0]})"
                continue
            quotes = [self.where[i.id] for i in self.exp.items if same_expectation(i, twin)]
            sentences = self._sentences(first.span) + [r for q in quotes for r in self._sentences(q)]
            if not over_sentence(unit.span, sentences):
                why = why or f"{duplicate}, and this step comes from a sentence that asks for no such step"
                continue
            group.append(unit.key)
            return True, ""
        return False, why

    def _unit(self, key: str) -> Unit:
        return next(u for u in self.units if u.key == key)

    def _ends(self) -> None:
        items = self._items("end")
        ends = [s for s in self.graph.steps if isinstance(s, EndStep)]
        spans = {s.key: (s.span.start, s.span.end) if s.span else None for s in ends}
        edges = {i.id: [s.key for s in ends if end_matches(s, i)] for i in items}
        preferred = {i.id: [k for k in edges[i.id] if self._near(spans[k], i)] for i in items}
        for item_id, key in assign([i.id for i in items], edges, preferred).items():
            self.matched[item_id].append(key)

    def _person_steps(self, item: Item) -> list[str]:
        return [
            s.key
            for s in self.graph.steps
            if (isinstance(s, ApproveStep) or (isinstance(s, DecideStep) and s.judgement))
            and self._near((s.span.start, s.span.end) if s.span else None, item)
        ]

    def _people(self) -> None:
        for item in self._items("person"):
            if item.id in self.acted_on:
                continue  # it became an automated action: wrong, not a question
            where = self.where[item.id]
            steps = self._person_steps(item)
            asked = [w for w in self.result.warnings if w.span and overlaps(where, (w.span.start, w.span.end))]
            noted = [
                c
                for c in self.result.coverage
                if c.status in ("person", "not_understood") and overlaps(where, (c.span.start, c.span.end))
            ]
            if steps or asked or noted:
                self.matched[item.id] += steps or ["(question)"]

    def _reached(self, item: Item, visited: frozenset[str], taken: frozenset[tuple[str, int]]) -> bool:
        if item.kind == "condition":
            return any(f"{key}[{index + 1}]" in self.matched.get(item.id, []) for key, index in taken)
        if item.kind == "person":
            keys = set(self._person_steps(item))
        else:
            keys = {k.split("[")[0] for k in self.matched.get(item.id, [])}
            keys |= {
                u.step.key
                for u in self.units
                if u.key not in self.wrong and self._near(u.span, item) and unit_matches(u, item)
            }
            keys |= {
                s.key
                for s in self.graph.steps
                if end_matches(s, item) and s.span and self._near((s.span.start, s.span.end), item)
            }
        return bool(keys & visited)

    def _paths(self) -> tuple[int, list[str]]:
        by_id = {i.id: i for i in self.exp.items}
        held, failures = 0, []
        for check in self.exp.paths:
            walk = graph_walk(self.graph, check.given)
            missing = [r for r in check.reaches if not self._reached(by_id[r], walk.visited, walk.taken)]
            extra = [r for r in check.not_reaches if self._reached(by_id[r], walk.visited, walk.taken)]
            if missing or extra:
                parts = ([f"does not reach {', '.join(missing)}"] if missing else []) + (
                    [f"reaches {', '.join(extra)}"] if extra else []
                )
                failures.append(f"given {check.given}: {'; '.join(parts)}")
            else:
                held += 1
        return held, failures


def score_result(
    name: str, result: CompileResult, expectation: Expectation, source: str, *, group: str = "dev"
) -> SopScore:
    """Score one compiled SOP. `source` is the SOP text the spans and quotes refer to."""
    return _Scorer(name, result, expectation, source).run(group)
