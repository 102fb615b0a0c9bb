"""Checks every compiled graph must pass, whichever compiler produced it.

`validate_graph(graph, source=...)` returns a list of errors (empty when the
graph is sound). Each error names the step key and carries the step's source
span, so the editor can highlight the sentence it came from. The checks:

- step keys are unique, `start` and every branch/next/anchor target exist;
- every step is reachable from `start`;
- every cycle passes through a wait step (otherwise a run would spin);
- every CEL condition and every `{{ ... }}` template expression compiles;
- every fact an expression reads is visible at that step (see below), and a
  step result's attribute is one the operation declares it returns;
- every operation exists in the connector registry and its parameters are
  valid (`registry.check_params`).

`graph_warnings(graph)` adds what is not unsafe but wrong: a branch that can
never be taken because an earlier branch of the same decide covers it.

Visible facts: "available on every path". A root name is visible at step S if
it is `case`, `event`, or the `save_as` of a gather/act step that runs on
*every* path from `start` to S (the classic available-definitions data-flow
analysis, intersecting over predecessors, iterated to a fixed point so loops
through a wait are handled). A fact produced on only one branch is therefore
not visible after the branches join. A gather step's `compute` templates may
also read the step's own `save_as` (they run after its operation).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import cel

from connectors import registry
from procedures.case_facts import CASE_FACTS
from procedures.compiler.base import CompileIssue
from procedures.compiler.declared_values import impossible_comparisons
from procedures.compiler.intervals import shadowed
from procedures.steps import ActStep, ApproveStep, DecideStep, GatherStep, Graph, Step, WaitStep, successors

ROOTS_ALWAYS_VISIBLE = frozenset({"case", "event"})

_TEMPLATE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_MACRO_VAR = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")
_ATTR_AFTER = r"(?<![\w.\"']){root}\s*\.\s*([A-Za-z_]\w*)"


def template_expressions(template: str) -> list[str]:
    """The CEL expressions inside `{{ ... }}` in a parameter template."""
    return [m.group(1).strip() for m in _TEMPLATE.finditer(template)]


def expression_roots(expression: str) -> set[str]:
    """Root identifiers an expression reads (comprehension variables excluded); ValueError if it does not compile."""
    program = cel.compile(expression)
    bound = set(_MACRO_VAR.findall(expression))
    return {name for name in program.variables() if name not in bound}


def validate_graph(graph: Graph, *, source: str | None = None) -> list[CompileIssue]:
    """Every problem that makes the graph unsafe to run, each naming its step and source span."""
    report = _Report(graph, source)
    keys = [s.key for s in graph.steps]
    for key in sorted(k for k, n in Counter(keys).items() if n > 1):
        report.add(graph.step(key), "duplicate_key", f"step key {key!r} is used more than once")
    by_key = {s.key: s for s in graph.steps}
    if graph.start not in by_key:
        report.add(None, "missing_target", f"the start step {graph.start!r} does not exist")
        return report.errors
    _check_targets(graph, by_key, report)
    _check_reachable(graph, by_key, report)
    _check_loops(graph, by_key, report)
    _check_operations(graph, report)
    _check_expressions(graph, by_key, report)
    return report.errors


def graph_warnings(graph: Graph, *, source: str | None = None) -> list[CompileIssue]:
    """Problems that do not make a graph unsafe but make it not do what the SOP says: branches never taken.

    A decide step takes its first true branch, so a branch whose condition lies
    inside an earlier branch's range (a ladder rung after a wider one, "> 500"
    after ">= 100") or repeats an earlier condition can never be taken.
    """
    report = _Report(graph, source)
    for step in graph.steps:
        if isinstance(step, DecideStep) and len(step.branches) > 1:
            for i in shadowed([b.when for b in step.branches]):
                branch = step.branches[i]
                report.add(
                    step,
                    "branch_never_taken",
                    f"the branch {branch.label or branch.when!r} ({branch.when}) can never be taken: an earlier "
                    "branch covers every case it does; put the most specific condition first",
                )
    for step, code, message in impossible_comparisons(graph):  # a declared fact compared to a value it never takes
        report.add(step, code, message)
    return report.errors


class _Report:
    def __init__(self, graph: Graph, source: str | None):
        self.source = source
        self.errors: list[CompileIssue] = []

    def add(self, step: Step | None, code: str, message: str) -> None:
        span = step.span if step else None
        excerpt = ""
        if span and self.source is not None and span.end <= len(self.source):
            excerpt = self.source[span.start : span.end]
        prefix = f"step {step.key!r}: " if step else ""
        self.errors.append(
            CompileIssue(
                message=prefix + message, code=code, step_key=step.key if step else None, span=span, excerpt=excerpt
            )
        )


def _check_targets(graph: Graph, by_key: dict[str, Step], report: _Report) -> None:
    for step in graph.steps:
        for target in successors(step):
            if target not in by_key:
                report.add(step, "missing_target", f"leads to {target!r}, which is not a step of this graph")
        if isinstance(step, WaitStep) and step.anchor and step.anchor not in by_key:
            report.add(step, "missing_target", f"counts its delay from {step.anchor!r}, which is not a step")


def _edges(step: Step, by_key: dict[str, Step]) -> list[str]:
    return [k for k in successors(step) if k in by_key]


def _check_reachable(graph: Graph, by_key: dict[str, Step], report: _Report) -> None:
    seen = {graph.start}
    todo = [graph.start]
    while todo:
        for nxt in _edges(by_key[todo.pop()], by_key):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    for step in graph.steps:
        if step.key not in seen:
            report.add(step, "unreachable", "no path from the start step reaches it")


def _strongly_connected(by_key: dict[str, Step]) -> Iterator[list[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = 0
    for root in by_key:
        if root in index:
            continue
        work = [(root, iter(_edges(by_key[root], by_key)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(_edges(by_key[child], by_key))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                yield component


def _check_loops(graph: Graph, by_key: dict[str, Step], report: _Report) -> None:
    for component in _strongly_connected(by_key):
        looping = len(component) > 1 or component[0] in _edges(by_key[component[0]], by_key)
        if looping and not any(isinstance(by_key[k], WaitStep) for k in component):
            ordered = [s.key for s in graph.steps if s.key in component]
            report.add(
                by_key[ordered[0]],
                "loop_without_wait",
                f"steps {', '.join(ordered)} form a loop with no wait step in it; a run would never stop",
            )


def _check_operations(graph: Graph, report: _Report) -> None:
    for step in graph.steps:
        if not isinstance(step, (GatherStep, ActStep)) or step.operation is None:
            if isinstance(step, GatherStep) and not step.compute:
                report.add(step, "empty_gather", "a gather step needs an operation or computed facts")
            continue
        operation = registry.operations().get(step.operation)
        if operation is None:
            report.add(step, "unknown_operation", f"operation {step.operation!r} is not in the connector registry")
            continue
        for problem in registry.check_params(operation, step.params):
            report.add(step, "bad_params", f"{step.operation}: {problem}")
        if isinstance(step, GatherStep) and operation.returns:
            for fact in step.required:
                if fact.split(".")[0] not in operation.returns and fact.split(".")[0] not in step.compute:
                    report.add(step, "unknown_fact", f"requires {fact!r}, which {step.operation} does not return")


def _produced(step: Step) -> tuple[str, frozenset[str] | None] | None:
    """(save_as, attributes it provides or None when unknown) for a step that saves facts."""
    if isinstance(step, GatherStep):
        attrs: set[str] | None = set(step.compute)
        if step.operation:
            op = registry.operations().get(step.operation)
            attrs = None if op is None or not op.returns else attrs | set(op.returns)
        return step.save_as, None if attrs is None else frozenset(attrs)
    if isinstance(step, ActStep) and step.save_as:
        op = registry.operations().get(step.operation)
        return step.save_as, frozenset(op.returns) if op and op.returns else None
    return None


def _available_before(graph: Graph, by_key: dict[str, Step]) -> dict[str, set[str]]:
    """For each step, the save_as names produced on every path from start to it (not counting itself)."""
    preds: dict[str, list[str]] = {k: [] for k in by_key}
    for step in graph.steps:
        for nxt in _edges(step, by_key):
            preds[nxt].append(step.key)
    everything = {p[0] for s in graph.steps if (p := _produced(s))}
    avail_in = {k: set(everything) for k in by_key}
    avail_in[graph.start] = set()
    changed = True
    while changed:
        changed = False
        for step in graph.steps:
            if step.key == graph.start:
                continue
            sets = []
            for pred in preds[step.key]:
                out = set(avail_in[pred])
                if produced := _produced(by_key[pred]):
                    out.add(produced[0])
                sets.append(out)
            new = set.intersection(*sets) if sets else set()
            if new != avail_in[step.key]:
                avail_in[step.key] = new
                changed = True
    return avail_in


def _step_expressions(step: Step) -> Iterator[tuple[str, str, bool]]:
    """(where, expression, is_template) for every CEL expression a step holds."""
    if isinstance(step, DecideStep):
        for i, branch in enumerate(step.branches):
            yield f"condition of branch {i + 1}", branch.when, False
    if isinstance(step, (GatherStep, ActStep)):
        for name, value in step.params.items():
            yield f"parameter {name!r}", value, True
    if isinstance(step, GatherStep):
        for name, value in step.compute.items():
            yield f"computed fact {name!r}", value, True


def _check_expressions(graph: Graph, by_key: dict[str, Step], report: _Report) -> None:
    provides = {p[0]: p[1] for s in graph.steps if (p := _produced(s))}
    available = _available_before(graph, by_key)
    if graph.trigger.condition:
        _check_one(None, "trigger condition", graph.trigger.condition, set(ROOTS_ALWAYS_VISIBLE), provides, report)
    for step in graph.steps:
        visible = set(ROOTS_ALWAYS_VISIBLE) | available.get(step.key, set())
        for where, text, is_template in _step_expressions(step):
            own = isinstance(step, GatherStep) and where.startswith("computed")
            scope = visible | {step.save_as} if own else visible
            expressions = template_expressions(text) if is_template else [text]
            for expression in expressions:
                _check_one(step, where, expression, scope, provides, report)
        if isinstance(step, WaitStep) and step.anchor in by_key and not _leads_to(step.anchor, step.key, by_key):
            report.add(step, "bad_anchor", f"counts its delay from {step.anchor!r}, which never runs before it")
        if isinstance(step, DecideStep) and step.judgement:
            for fact in step.judgement.facts:
                root = fact.split(".")[0]
                if root not in visible:
                    report.add(
                        step, "unknown_fact", f"the judgement uses {fact!r}, but nothing before it provides {root!r}"
                    )
        if isinstance(step, ApproveStep) and step.on_approved is None:
            report.add(step, "missing_target", "an approval needs a step to go to once approved")


def _leads_to(origin: str, target: str, by_key: dict[str, Step]) -> bool:
    """Whether `target` can run after `origin` (a step does not lead to itself unless through a loop)."""
    seen, todo = set(), list(_edges(by_key[origin], by_key))
    while todo:
        key = todo.pop()
        if key == target:
            return True
        if key not in seen:
            seen.add(key)
            todo.extend(_edges(by_key[key], by_key))
    return False


def _check_one(
    step: Step | None,
    where: str,
    expression: str,
    visible: set[str],
    provides: dict[str, frozenset[str] | None],
    report: _Report,
) -> None:
    try:
        roots = expression_roots(expression)
    except ValueError as exc:
        first_line = str(exc).splitlines()[0]
        report.add(step, "cel_syntax", f"{where}: {expression!r} is not valid CEL ({first_line})")
        return
    for root in sorted(roots):
        if root not in visible:
            if root in provides:
                why = f"{root!r} is only produced on some paths to this step, or after it"
            else:
                why = f"no earlier gather step saves {root!r} and it is not a case or event fact"
            report.add(step, "unknown_fact", f"{where}: {expression!r} reads {root!r}, but {why}")
            continue
        for attr in set(re.findall(_ATTR_AFTER.format(root=re.escape(root)), expression)):
            known = CASE_FACTS if root == "case" else provides.get(root) if root != "event" else None
            if known is not None and attr not in known:
                report.add(step, "unknown_fact", f"{where}: {expression!r} reads {root}.{attr}, which nothing provides")
