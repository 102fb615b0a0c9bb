"""Automated steps of a graph, and whether one matches an expected item exactly.

An automated unit is a gather step with an operation, an act, wait or approve
step, or one branch condition of a decide step with branches. (A compute-only
gather reads nothing outside and is judged through the conditions that use it;
judgement steps and end steps are not automated.)
"""

from __future__ import annotations

from dataclasses import dataclass

from procedures.compiler.evaluation.conditions import (
    Atom,
    ConditionSyntaxError,
    Ref,
    atoms,
    condition_tree,
    opaque_parts,
)
from procedures.compiler.evaluation.expectations import Forbidden, Item
from procedures.steps import ActStep, ApproveStep, DecideStep, EndStep, GatherStep, Graph, Step, WaitStep

Range = tuple[int, int]


@dataclass(frozen=True)
class Unit:
    """One automated thing the graph would do on its own: a step, or one branch of a decide step."""

    key: str  # the step key, or `step_key[branch N]`
    kind: str  # gather, act, wait, approve, condition
    step: Step
    span: Range | None
    label: str
    branch: int = -1
    tree: object = None  # condition units: the parsed CEL condition (None when it cannot be read)


def _span(step: Step) -> Range | None:
    return (step.span.start, step.span.end) if step.span else None


def _call_label(step: GatherStep | ActStep) -> str:
    params = ", ".join(f"{k}={v!r}" for k, v in step.params.items() if k not in ("ticket_id", "body", "description"))
    return f"{step.operation}({params[:120]})"


def units_of(graph: Graph) -> list[Unit]:
    units = []
    for step in graph.steps:
        match step:
            case GatherStep() if step.operation:
                units.append(Unit(step.key, "gather", step, _span(step), _call_label(step)))
            case ActStep():
                units.append(Unit(step.key, "act", step, _span(step), _call_label(step)))
            case WaitStep():
                label = f"wait {step.delay.describe() if step.delay else ''} for {step.for_event or 'the delay'}"
                units.append(Unit(step.key, "wait", step, _span(step), label))
            case ApproveStep():
                evidence = f" with {', '.join(e.kind for e in step.evidence)}" if step.evidence else ""
                units.append(Unit(step.key, "approve", step, _span(step), f"approval by {step.role}{evidence}"))
            case DecideStep() if step.branches:
                for index, branch in enumerate(step.branches):
                    try:
                        tree = condition_tree(branch.when)
                    except ConditionSyntaxError:
                        tree = None
                    key = f"{step.key}[{index + 1}]"
                    units.append(Unit(key, "condition", step, _span(step), f"if {branch.when}", index, tree))
    return units


# --- exact matches ----------------------------------------------------------------------------------


def _norm(value) -> str:
    return str(value).strip().lower().replace("_", " ").replace("-", " ")


def same_value(want, got) -> bool:
    if isinstance(got, Ref):
        return isinstance(want, str) and want.lower() in got.path.lower()
    if isinstance(want, bool) or isinstance(got, bool):
        return isinstance(want, bool) and isinstance(got, bool) and want is got
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return abs(float(want) - float(got)) < 1e-9
    if isinstance(want, list) or isinstance(got, list):
        if not (isinstance(want, list) and isinstance(got, list)):
            return False
        return sorted(map(_norm, want)) == sorted(map(_norm, got))
    return want is not None and got is not None and _norm(want) == _norm(got)


def param_problems(step: GatherStep | ActStep, params: dict) -> list[str]:
    """Each listed param the step's template lacks: `project: wants 'OPS', has 'IT'`."""
    templates = {name: str(value) for name, value in {**step.params, **getattr(step, "compute", {})}.items()}
    problems = []
    for name, want in params.items():
        wants = want if isinstance(want, list) else [want]
        have = templates.get(name)
        if have is None:
            problems.append(f"{name}: wants {want!r}, missing")
        elif not all(str(w).lower() in have.lower() for w in wants):
            problems.append(f"{name}: wants {want!r}, has {have[:60]!r}")
    return problems


def forbidden_hit(unit: Unit, forbidden: tuple[Forbidden, ...]) -> Forbidden | None:
    if unit.kind not in ("gather", "act"):
        return None
    for rule in forbidden:
        if unit.step.operation == rule.operation and not param_problems(unit.step, rule.params):
            return rule
    return None


def fact_matches(item: Item, fact: str) -> bool:
    return any(fragment.lower() in fact.lower() for fragment in item.fact)


_ORDERING = {"<", "<=", ">", ">="}
_WHOLE_STEP = {">=": (">", -1), ">": (">=", 1), "<=": ("<", 1), "<": ("<=", -1)}


def _same_bound(item: Item, op: str, value: object) -> bool:
    """`op value` states the item's boundary: as written, or shifted by one on whole numbers (`>= 15` is `> 14`)."""
    if item.op == op and same_value(item.value, value):
        return True
    whole = isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer()
    if not whole or op not in _WHOLE_STEP:
        return False
    other_op, shift = _WHOLE_STEP[op]
    return item.op == other_op and same_value(item.value, value + shift)


def atom_matches(item: Item, atom: Atom) -> bool:
    """A comparison matches a condition item: same fact (by fragment), operator and value.

    An ordering comparison also matches an item it is the complement of: a ladder rung "2 to 5" after "under 2"
    may be written `x >= 2` (the text's own boundary, seen from the other side) or `x <= 5`, and expectations list
    one bound per rung.
    """
    if item.kind != "condition" or not fact_matches(item, atom.fact):
        return False
    if atom.op in _ORDERING and item.op in _ORDERING:
        complement = atom.negated()
        return _same_bound(item, atom.op, atom.value) or _same_bound(item, complement.op, complement.value)
    if item.op == "exists":
        return atom.op == "exists" and atom.value is (item.value is not False)
    if item.op == "in":
        if atom.op == "in":
            return same_value(list(item.value), list(atom.value))
        return atom.op == "==" and any(same_value(v, atom.value) for v in item.value)
    if item.op == "==" and atom.op == "in":
        return len(atom.value) == 1 and same_value(item.value, atom.value[0])
    return item.op == atom.op and same_value(item.value, atom.value)


def in_item_covered(item: Item, branch_atoms: list[Atom]) -> bool:
    """An `in` item is found when the branch's comparisons on its fact name exactly its values."""
    values = []
    for atom in branch_atoms:
        if fact_matches(item, atom.fact) and atom.op in ("==", "in"):
            values += list(atom.value) if atom.op == "in" else [atom.value]
    return bool(values) and same_value(list(item.value), values)


def _wait_matches(step: WaitStep, item: Item) -> bool:
    if item.event and step.for_event != item.event:
        return False
    if item.delay:
        if step.delay is None:
            return False
        d = item.delay
        seconds = ((d.get("days", 0) * 24 + d.get("hours", 0)) * 60 + d.get("minutes", 0)) * 60
        if step.delay.total_seconds() != seconds:
            return False
        if "business" in d and step.delay.business != d["business"]:
            return False
    return True


def unit_matches(unit: Unit, item: Item) -> bool:
    """Exact match of a non-condition unit to an item (operation and every listed param, role, delay/event)."""
    step = unit.step
    match unit.kind, item.kind:
        case ("gather", "gather") | ("act", "action"):
            return step.operation == item.operation and not param_problems(step, item.params)
        case "wait", "wait":
            return _wait_matches(step, item)
        case "approve", "approval":
            if item.role.lower() not in step.role.lower():
                return False
            return not item.evidence or any(item.evidence.lower() in e.kind.lower() for e in step.evidence)
    return False


def end_matches(step: Step, item: Item) -> bool:
    return isinstance(step, EndStep) and item.kind == "end" and item.outcome.lower() in step.outcome.lower()


def condition_problems(unit: Unit, items: list[Item], allowed: list[Item]) -> list[str]:
    """Why a branch condition is not what the text says: comparisons no expected condition names."""
    if unit.tree is None:
        return [f"condition cannot be read: {unit.step.branches[unit.branch].when}"]
    problems = [f"`{o.text}` is not a comparison the text states" for o in opaque_parts(unit.tree)]
    found = atoms(unit.tree)
    if not found and not problems:
        problems.append("condition compares nothing")
    for atom in found:
        if not any(atom_matches(item, atom) for item in [*items, *allowed]):
            problems.append(f"`{atom.text}` matches no expected condition")
    return problems


def overlaps(a: Range | None, b: Range | None) -> bool:
    return a is not None and b is not None and a[0] < b[1] and b[0] < a[1]


def assign(left: list[str], edges: dict[str, list[str]], preferred: dict[str, list[str]]) -> dict[str, str]:
    """A maximum one-to-one matching left → right, built first from `preferred` edges, then from all."""
    owner: dict[str, str] = {}

    def augment(node: str, graph: dict[str, list[str]], seen: set[str]) -> bool:
        for other in graph.get(node, []):
            if other in seen:
                continue
            seen.add(other)
            if other not in owner or augment(owner[other], graph, seen):
                owner[other] = node
                return True
        return False

    for graph in (preferred, edges):
        for node in left:
            if node not in owner.values():
                augment(node, graph, set())
    return {node: other for other, node in owner.items()}
