"""Score a compiled graph against hand-checked expectations (pure functions; no database, no I/O).

An expectation file (`NN-name.expected.json`, next to `NN-name.md`) says what a
person reading the SOP would require of any correct graph, independent of
step keys and wording:

    {
      "gathers":    [{"operation": "salesforce.query_account"}],
      "actions":    [{"operation": "jira.create_issue", "params": {"project": "ENG"}}],
      "conditions": [{"fact": ["plan"], "op": "==", "value": "Free"}],
      "waits":      [{"delay": {"days": 5}, "event": "customer.replied"}],
      "approvals":  [{"role": "Claims managers", "evidence": "photo"}],
      "ends":       ["stopped", "abandoned"],
      "branches":   [{"if": {"fact": ["plan"], "op": "==", "value": "Free"},
                      "then": ["zendesk.reply", "end:stopped"], "not_then": ["jira.create_issue"],
                      "else": ["jira.create_issue"]}]
    }

`fact` lists acceptable fragments of the fact path (any one found in the
condition's fact counts, e.g. ["plan", "tier"]). Param values are matched as
case-insensitive substrings of the template. Branch items are operations,
`end:<outcome>`, `wait`, or `approve`, and must be reachable from the branch
(or from its `else`); `not_then` items must not be.

Four scores per SOP, each 0–1, averaged (a score with nothing expected is left out):
  steps       expected gathers, actions, waits, approvals and ends found, each
              matched to a distinct compiled step (an action with the right
              operation but wrong params counts half)
  conditions  expected conditions found among the decide branches (fact, operator, value)
  actions     expected actions found with the right operation and parameters
  branches    branch checks that hold (partial credit per item)
A graph that does not compile scores 0 everywhere.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

from procedures.steps import (
    ActStep,
    ApproveStep,
    DecideStep,
    EndStep,
    GatherStep,
    Graph,
    Step,
    WaitStep,
    successors,
)

COMPONENTS = ("steps", "conditions", "actions", "branches")


@dataclass(frozen=True)
class Atom:
    """One comparison inside a CEL condition: fact, operator, value(s)."""

    fact: str
    op: str
    values: tuple


@dataclass(frozen=True)
class Score:
    name: str
    steps: float | None
    conditions: float | None
    actions: float | None
    branches: float | None
    error: str = ""

    @property
    def total(self) -> float:
        parts = [v for v in (self.steps, self.conditions, self.actions, self.branches) if v is not None]
        return sum(parts) / len(parts) if parts else 0.0


def failed(name: str, error: str, expected: dict) -> Score:
    zero = {c: (0.0 if _has(expected, c) else None) for c in COMPONENTS}
    return Score(name, error=error, **zero)


def _has(expected: dict, component: str) -> bool:
    keys = {
        "steps": ("gathers", "actions", "waits", "approvals", "ends"),
        "conditions": ("conditions",),
        "actions": ("actions",),
        "branches": ("branches",),
    }[component]
    return any(expected.get(k) for k in keys)


def score_graph(name: str, graph: Graph, expected: dict) -> Score:
    atoms = [
        atom for step in graph.steps if isinstance(step, DecideStep) for b in step.branches for atom in atoms_of(b.when)
    ]
    return Score(
        name,
        steps=_steps_found(graph, expected) if _has(expected, "steps") else None,
        conditions=_ratio([any(condition_matches(c, a) for a in atoms) for c in expected.get("conditions", [])]),
        actions=_actions_right(graph, expected.get("actions", [])) if expected.get("actions") else None,
        branches=_branches_right(graph, expected.get("branches", [])) if expected.get("branches") else None,
    )


def _ratio(hits: list[bool]) -> float | None:
    return sum(hits) / len(hits) if hits else None


# --- conditions ---------------------------------------------------------------------------------

_LITERAL = r'"[^"]*"|\'[^\']*\'|-?\d+(?:\.\d+)?|true|false'
_COMPARE = re.compile(rf"([\w.\[\]\"']+(?:\([^()]*\))?)\s*(==|!=|>=|<=|>|<)\s*({_LITERAL}|[A-Za-z_][\w.]*)")
_IN_LIST = re.compile(r"([\w.]+)\s+in\s+\[([^\]]*)\]")
_MEMBER = re.compile(rf"({_LITERAL})\s+in\s+([\w.]+)")
_HAS = re.compile(r"(!?)\s*has\(([\w.]+)\)")


def _value(text: str):
    text = text.strip()
    if re.fullmatch(r"[A-Za-z_][\w.]*", text) and text not in ("true", "false"):
        return text  # another fact, e.g. shipment.declared_value == case.fields.declared_value
    if text[:1] in "\"'":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    return float(text)


def atoms_of(expression: str) -> list[Atom]:
    """The comparisons in a CEL condition, e.g. `account.plan == "Free"` → Atom("account.plan", "==", ("Free",))."""
    atoms = []
    negated_region = expression.strip().startswith("!(")
    for fact, op, value in _COMPARE.findall(expression):
        fact = re.sub(r"^(?:int|double|string)\((.*)\)$", r"\1", fact)
        atoms.append(Atom(fact, op, (_value(value),)))
    for fact, items in _IN_LIST.findall(expression):
        values = tuple(_value(v) for v in re.findall(_LITERAL, items))
        atoms.append(Atom(fact, "not in" if negated_region else "in", values))
    for value, fact in _MEMBER.findall(expression):
        atoms.append(Atom(fact, "not contains" if negated_region else "contains", (_value(value),)))
    for bang, fact in _HAS.findall(expression):
        atoms.append(Atom(fact, "missing" if bang else "present", ()))
    return atoms


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or str(a).lower() == str(b).lower()
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) < 1e-9
    want, got = (str(x).strip().lower().replace("_", " ").replace("-", " ") for x in (a, b))
    return want == got or (len(want) > 3 and want in got)


def condition_matches(expected: dict, atom: Atom) -> bool:
    facts = expected["fact"] if isinstance(expected["fact"], list) else [expected["fact"]]
    if not any(f.lower() in atom.fact.lower() for f in facts):
        return False
    op = expected.get("op")
    value = expected.get("value")
    values = value if isinstance(value, list) else [value]
    if op is None or (value is None and op not in ("present", "missing")):
        return op is None or op == atom.op or {op, atom.op} <= {"==", "in", "contains"}
    if op in ("present", "missing"):
        empty = atom.values in (("",), (None,))
        same_sense = "!=" if op == "present" else "=="
        return atom.op == op or (atom.op == same_sense and empty)
    if op in ("in", "==") and atom.op in ("in", "==", "contains"):
        return all(any(_same(v, got) for got in atom.values) for v in values)
    if op in ("not in", "!=") and atom.op in ("not in", "!=", "not contains"):
        return all(any(_same(v, got) for got in atom.values) for v in values)
    if op != atom.op:
        return False
    return value is None or (len(atom.values) == 1 and _same(values[0], atom.values[0]))


# --- steps and actions -------------------------------------------------------------------------


def _param_hits(step: GatherStep | ActStep, params: dict) -> bool:
    text = {name: value.lower() for name, value in {**step.params, **getattr(step, "compute", {})}.items()}
    return all(name in text and str(want).lower() in text[name] for name, want in params.items())


def _match_ops(graph: Graph, wanted: list[dict], kinds: tuple[type, ...]) -> list[float]:
    """Greedy one-to-one matching; 1 for operation+params, 0.5 for the operation only, 0 for nothing."""
    pool = [s for s in graph.steps if isinstance(s, kinds) and getattr(s, "operation", None)]
    credits = []
    for want in wanted:
        full = next(
            (s for s in pool if s.operation == want["operation"] and _param_hits(s, want.get("params", {}))), None
        )
        if full is not None:
            pool.remove(full)
            credits.append(1.0)
            continue
        partial = next((s for s in pool if s.operation == want["operation"]), None)
        if partial is not None:
            pool.remove(partial)
        credits.append(0.5 if partial is not None else 0.0)
    return credits


def _actions_right(graph: Graph, wanted: list[dict]) -> float:
    credits = _match_ops(graph, wanted, (ActStep, GatherStep))
    return sum(credits) / len(credits)


def _wait_matches(step: WaitStep, want: dict) -> bool:
    if "event" in want and step.for_event != want["event"]:
        return False
    if "delay" in want:
        if step.delay is None:
            return False
        d = want["delay"]
        seconds = ((d.get("days", 0) * 24 + d.get("hours", 0)) * 60 + d.get("minutes", 0)) * 60
        if step.delay.total_seconds() != seconds:
            return False
        if "business" in d and step.delay.business != d["business"]:
            return False
    return True


def _steps_found(graph: Graph, expected: dict) -> float:
    credits = _match_ops(graph, expected.get("gathers", []), (GatherStep,))
    credits += _match_ops(graph, expected.get("actions", []), (ActStep, GatherStep))
    waits = [s for s in graph.steps if isinstance(s, WaitStep)]
    for want in expected.get("waits", []):
        hit = next((w for w in waits if _wait_matches(w, want)), None)
        credits.append(1.0 if hit else 0.0)
        if hit:
            waits.remove(hit)
    approvals = [s for s in graph.steps if isinstance(s, ApproveStep)]
    for want in expected.get("approvals", []):
        hit = next(
            (a for a in approvals if want["role"].lower() in a.role.lower() or a.role.lower() in want["role"].lower()),
            None,
        )
        ok = hit is not None and ("evidence" not in want or any(e.kind == want["evidence"] for e in hit.evidence))
        credits.append(1.0 if ok else 0.5 if hit else 0.0)
        if hit:
            approvals.remove(hit)
    ends = [s.outcome for s in graph.steps if isinstance(s, EndStep)]
    for outcome in expected.get("ends", []):
        credits.append(1.0 if outcome in ends else 0.0)
        if outcome in ends:
            ends.remove(outcome)
    return sum(credits) / len(credits)


# --- branches ------------------------------------------------------------------------------------


def _reachable(graph: Graph, start: str | None) -> list[Step]:
    if start is None:
        return []
    keys = {s.key for s in graph.steps}
    seen, todo = {start}, deque([start])
    while todo:
        for nxt in successors(graph.step(todo.popleft())):
            if nxt in keys and nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return [s for s in graph.steps if s.key in seen]


def _labels(step: Step) -> set[str]:
    match step:
        case ActStep() | GatherStep():
            return {step.operation or "compute"}
        case EndStep():
            return {f"end:{step.outcome}", "end"}
        case WaitStep():
            return {"wait"} | ({f"wait:{step.for_event}"} if step.for_event else set())
        case ApproveStep():
            return {"approve"}
    return set()


def _reaches(graph: Graph, start: str | None) -> set[str]:
    return {label for step in _reachable(graph, start) for label in _labels(step)}


def _branches_right(graph: Graph, wanted: list[dict]) -> float:
    credits = []
    for want in wanted:
        found = None
        for step in graph.steps:
            if not isinstance(step, DecideStep):
                continue
            for branch in step.branches:
                if any(condition_matches(want["if"], atom) for atom in atoms_of(branch.when)):
                    found = (step, branch)
                    break
            if found:
                break
        items = len(want.get("then", [])) + len(want.get("not_then", [])) + len(want.get("else", []))
        if found is None or items == 0:
            credits.append(0.0)
            continue
        step, branch = found
        then = _reaches(graph, branch.next)
        other = _reaches(graph, step.otherwise)
        hits = sum(item in then for item in want.get("then", []))
        hits += sum(item not in then for item in want.get("not_then", []))
        hits += sum(item in other for item in want.get("else", []))
        credits.append(hits / items)
    return sum(credits) / len(credits)


def overall(scores: list[Score]) -> float:
    return sum(s.total for s in scores) / len(scores) if scores else 0.0


def table(scores: list[Score]) -> str:
    """Per-SOP scores as a fixed-width table, and the last line `overall: 0.NN`."""

    def cell(value: float | None) -> str:
        return "   -" if value is None else f"{value:4.2f}"

    width = max([len(s.name) for s in scores] + [3])
    lines = [f"{'sop':<{width}}  steps  conds  actns  brnch  score"]
    for s in scores:
        row = f"{s.name:<{width}}  {cell(s.steps)}   {cell(s.conditions)}   {cell(s.actions)}   {cell(s.branches)}   {s.total:4.2f}"
        lines.append(row + (f"  ({s.error})" if s.error else ""))
    lines.append(f"overall: {overall(scores):.2f}")
    return "\n".join(lines)
