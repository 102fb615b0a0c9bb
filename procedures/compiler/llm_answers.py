"""A model's answer about one clause, checked like any step and put into the graph in place of its judgement step.

`apply_answer(graph, clause, content, source)` returns a `Mapped`: the new
graph when the answer is accepted, or the reason it was not. An answer is
accepted only when everything in it is checkable and checks out:

* operation: it exists, reads go in a gather step and writes in an act step,
  its parameters pass `registry.check_params`, a literal value is one of the
  parameter's choices, and the templates name only facts known at that point;
* condition: the CEL parses, names only facts known at that point (a custom
  field `case.fields.<name>` only when the SOP section talks about it), and
  sends the two outcomes to different steps;
* not procedural: the step is dropped and its predecessors go straight on;
* needs a person: the judgement step stays.

A read (a gather step) is accepted here on these checks alone; the model
compiler keeps it only if a later step uses the fact it saves
(`fact_used_elsewhere`), once every clause has been answered.

Whatever is accepted, the whole graph must still pass `validate_graph` with no
new problem; otherwise the answer is rejected with the validator's words.
Works on the graph's JSON and parses it back: the rules compiler's internals
are never touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from procedures.compiler.base import CompileIssue
from procedures.compiler.llm_clauses import Clause, KnownFact, known_facts, mentioned, section_around
from procedures.steps import ActStep, DecideStep, GatherStep, Graph, GraphError, WaitStep, parse, successors

MIN_CONFIDENCE = 60  # below this, an operation or a condition is left to a person
MIN_CONFIDENCE_TO_DROP = 80  # dropping a sentence as not procedural needs more certainty
PROCEED_KEYS = ("proceed", "continue", "done", "yes")
_TARGET_FIELDS = ("next", "otherwise", "on_event", "on_missing_evidence", "on_approved", "on_rejected", "anchor")
_TEMPLATE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_CASE_FIELD = re.compile(r"(?<![\w.])case\s*\.\s*fields\s*\.\s*([A-Za-z_]\w*)")
_SCALAR_TYPES = ("integer", "number", "boolean", "list", "object")
FREE_TEXT_PARAMS = frozenset({"subject", "summary", "title", "body", "description", "message"})
# A parameter that points at a record in another system takes a fact read at run time ("{{ jira.key }}"), or a
# literal of the system's id shape; a name from the SOP ("orders-db") in its place would act on the wrong record.
RECORD_SHAPES = {
    "issue_key": r"[A-Z][A-Z0-9_]+-\d+",
    "inward_issue": r"[A-Z][A-Z0-9_]+-\d+",
    "outward_issue": r"[A-Z][A-Z0-9_]+-\d+",
    "ticket_id": r"\d+",
    "account_id": r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?",
    "opportunity_id": r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?",
}


@dataclass(frozen=True)
class Mapped:
    """What became of one clause: `status` automated / non_procedural / person, and the graph after it."""

    status: str
    graph: Graph
    step_keys: tuple[str, ...] = ()
    reason: str = ""
    note_kind: str = ""
    problems: list[CompileIssue] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.status in ("automated", "non_procedural")


def apply_answer(graph: Graph, clause: Clause, content: dict, *, source: str) -> Mapped:
    """The graph with the clause's judgement step replaced as the answer says, or why the answer is refused."""
    kind = content.get("kind")
    confidence = content.get("confidence")
    reason = str(content.get("reason") or "").strip()
    if not isinstance(confidence, int) or isinstance(confidence, bool) or not 0 <= confidence <= 100:
        return _refused(graph, f"the answer's confidence {confidence!r} is not a whole number from 0 to 100")
    if kind == "needs_person":
        return Mapped("person", graph, (clause.step_key,), reason=reason or "the model says a person decides this")
    if kind == "not_procedural":
        if confidence < MIN_CONFIDENCE_TO_DROP:
            return _refused(graph, f"the model thinks it is not procedural, but only at confidence {confidence}")
        return _checked(graph, _drop(graph, clause), clause, note=str(content.get("note_kind") or "note"))
    if confidence < MIN_CONFIDENCE:
        return _refused(graph, f"the model's answer ({kind}) has confidence {confidence}, below {MIN_CONFIDENCE}")
    facts = known_facts(graph, clause.step_key)
    if kind == "operation":
        step, problem = _operation_step(graph, clause, content, source)
    elif kind == "condition":
        step, problem = _condition_step(graph, clause, content, facts, source)
    else:
        return _refused(graph, f"the answer's kind {kind!r} is not one sopdesk offers")
    if problem:
        return _refused(graph, problem)
    return _checked(graph, _replace(graph, clause.step_key, step), clause, new_key=step["key"])


# --- operations ------------------------------------------------------------------------


def _operation_step(graph: Graph, clause: Clause, content: dict, source: str) -> tuple[dict, str]:
    from connectors.registry import check_params, operations

    name = content.get("operation")
    operation = operations().get(name or "")
    if operation is None:
        return {}, f"the answer names no operation sopdesk has ({name!r})"
    params: dict[str, str] = {}
    for pair in content.get("params") or []:
        if not isinstance(pair, dict) or not isinstance(pair.get("name"), str):
            return {}, "the answer's parameters are not name/value pairs"
        if pair["name"] in params:
            return {}, f"the answer gives parameter {pair['name']!r} twice"
        params[pair["name"]] = str(pair.get("value") or "")
    # An optional parameter given as "" means "not given".
    params = {k: v for k, v in params.items() if v.strip() or (k in operation.params and operation.params[k].required)}
    problems = check_params(operation, params)
    for param_name, value in params.items():
        spec = operation.params.get(param_name)
        if spec is None:
            continue
        if not value.strip():
            problems.append(f"required parameter {param_name!r} is empty")
            continue
        literal = not _TEMPLATE.search(value)
        if literal and spec.choices and value not in spec.choices:
            problems.append(f"{param_name} {value!r} is not one of {', '.join(spec.choices)}")
        if literal and spec.type in _SCALAR_TYPES:
            problems.append(f"{param_name} must be a {{{{ CEL }}}} {spec.type}, not the text {value!r}")
        problems += _unknown_fields(value, source, clause)
        problems += _invented_values(param_name, value, spec, source)
        problems += _not_a_record(param_name, value)
    if problems:
        return {}, f"{operation.name}: " + "; ".join(problems)
    proceed = _continuation(graph.step(clause.step_key))
    if proceed is None:
        return {}, "the step has no outcome that carries on, so an action has nowhere to lead"
    step = {
        "kind": "act" if operation.writes else "gather",
        "key": _unique_key(graph, operation.name.split(".")[-1]),
        "title": _title(clause.text),
        "instruction": clause.text,
        "span": _span_json(clause),
        "operation": operation.name,
        "params": params,
        "next": proceed,
    }
    if not operation.writes:
        step["save_as"] = _unique_save_as(graph, operation.name)
    return step, ""


def _unknown_fields(expression_text: str, source: str, clause: Clause) -> list[str]:
    """Custom fields the SOP does not talk about are invented facts."""
    section = section_around(source, clause.span, clause.text)
    return [
        f"case.fields.{name} is not a field this SOP mentions"
        for name in _CASE_FIELD.findall(expression_text)
        if not mentioned(name, section)
    ]


def _invented_values(name: str, value: str, spec, source: str) -> list[str]:
    """A name-like literal (a project key, an address, an issue type, a group) must come from the SOP itself."""
    text = source.lower()
    quoted = re.findall(r"'([^']*)'|\"([^\"]*)\"", " ".join(_TEMPLATE.findall(value)))
    candidates = [q for pair in quoted for q in pair if "@" in q]
    literal = _TEMPLATE.sub("", value).strip()
    composed = spec.type == "text" or name in FREE_TEXT_PARAMS
    if literal and not composed and not spec.choices and spec.type in ("string", "email"):
        candidates.append(literal)
    return [f"{name} {c!r} is not in the SOP" for c in candidates if not _as_word(c.lower(), text)]


def _not_a_record(name: str, value: str) -> list[str]:
    shape = RECORD_SHAPES.get(name)
    if shape is None or _TEMPLATE.search(value) or re.fullmatch(shape, value.strip()):
        return []
    return [f"{name} {value!r} is not a record id: it must be a fact read at run time, such as {{{{ jira.key }}}}"]


def _as_word(needle: str, text: str) -> bool:
    return re.search(rf"(?<![\w@.-]){re.escape(needle)}(?![\w@-])", text) is not None


def fact_used_elsewhere(graph: Graph, step_key: str) -> bool:
    """Whether any other step's CEL (a condition, a parameter, a computed fact, a wait's re-check) reads the fact
    that `step_key` saves. A read nobody uses does nothing the SOP asks for: the model proposed it on a keyword."""
    save_as = getattr(graph.step(step_key), "save_as", None)
    if not save_as:
        return False
    return any(save_as in facts_read(step) for step in graph.steps if step.key != step_key)


def facts_read(step) -> set[str]:
    """The root names (e.g. `account` of account.plan) a step's expressions read; an unparsable one reads nothing."""
    from procedures.compiler.validate import expression_roots, template_expressions

    expressions: list[str] = []
    if isinstance(step, DecideStep):
        expressions += [branch.when for branch in step.branches]
    if isinstance(step, (GatherStep, ActStep)):
        expressions += [e for value in step.params.values() for e in template_expressions(value)]
    if isinstance(step, GatherStep):
        expressions += [e for value in step.compute.values() for e in template_expressions(value)]
    if isinstance(step, WaitStep) and step.recheck is not None:
        expressions += [e for value in step.recheck.params.values() for e in template_expressions(value)]
    roots: set[str] = set()
    for expression in expressions:
        try:
            roots |= expression_roots(expression)
        except ValueError:
            continue
    return roots


# --- conditions ------------------------------------------------------------------------


def _condition_step(
    graph: Graph, clause: Clause, content: dict, facts: list[KnownFact], source: str
) -> tuple[dict, str]:
    from procedures.compiler.validate import expression_roots

    condition = str(content.get("condition") or "").strip()
    if not condition:
        return {}, "the answer is a condition with no expression"
    try:
        roots = expression_roots(condition)
    except ValueError as exc:
        return {}, f"the condition {condition!r} is not valid CEL ({str(exc).splitlines()[0]})"
    visible = {"case", "event"} | {f.path.split(".")[0] for f in facts}
    unknown = sorted(roots - visible)
    if unknown:
        return {}, f"the condition {condition!r} reads {', '.join(unknown)}, which nothing before this step provides"
    if not roots:
        return {}, f"the condition {condition!r} reads no fact of the case"
    if problems := _unknown_fields(condition, source, clause):
        return {}, "; ".join(problems)
    outcomes = {o.key: o for o in graph.step(clause.step_key).judgement.outcomes}
    when_true, when_false = outcomes.get(content.get("when_true")), outcomes.get(content.get("when_false"))
    if when_true is None or when_false is None or not when_true.next or not when_false.next:
        return {}, "the condition does not lead to two of the step's outcomes"
    if when_true.next == when_false.next:
        return {}, "the condition sends both answers to the same step"
    step = {
        "kind": "decide",
        "key": _unique_key(graph, "check"),
        "title": _title(clause.text),
        "instruction": clause.text,
        "span": _span_json(clause),
        "branches": [{"when": condition, "next": when_true.next, "label": when_true.label}],
        "otherwise": when_false.next,
    }
    return step, ""


# --- graph edits (on JSON) -----------------------------------------------------------------


def _replace(graph: Graph, old_key: str, step: dict) -> dict:
    data = graph.to_json()
    data["steps"] = [step if s["key"] == old_key else s for s in data["steps"]]
    return _pruned(_rewired(data, old_key, step["key"]))


def _drop(graph: Graph, clause: Clause) -> dict:
    proceed = _continuation(graph.step(clause.step_key))
    if proceed is None:
        return {}
    data = graph.to_json()
    data["steps"] = [s for s in data["steps"] if s["key"] != clause.step_key]
    return _pruned(_rewired(data, clause.step_key, proceed))


def _rewired(data: dict, old: str, new: str) -> dict:
    if data.get("start") == old:
        data["start"] = new
    for step in data["steps"]:
        for name in _TARGET_FIELDS:
            if step.get(name) == old:
                step[name] = new
        for branch in step.get("branches") or []:
            if branch.get("next") == old:
                branch["next"] = new
        for outcome in (step.get("judgement") or {}).get("outcomes") or []:
            if outcome.get("next") == old:
                outcome["next"] = new
    return data


def _pruned(data: dict) -> dict:
    """Drop the steps only the replaced step led to (e.g. its "stop here" end)."""
    try:
        graph = parse(data)
    except GraphError:
        return data
    by_key = {s.key: s for s in graph.steps}
    seen, todo = {graph.start}, [graph.start]
    while todo:
        key = todo.pop()
        for nxt in successors(by_key[key]) if key in by_key else []:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    data["steps"] = [s for s in data["steps"] if s["key"] in seen]
    return data


def _checked(graph: Graph, data: dict, clause: Clause, *, new_key: str = "", note: str = "") -> Mapped:
    from procedures.compiler.validate import validate_graph

    if not data:
        return _refused(graph, "the step has no outcome that carries on, so it cannot be left out")
    try:
        candidate = parse(data)
    except GraphError as exc:
        return _refused(graph, f"the new step does not fit the graph: {exc}")
    known = {(e.code, e.message) for e in validate_graph(graph)}
    new = [e for e in validate_graph(candidate) if (e.code, e.message) not in known]
    if new:
        return _refused(graph, "; ".join(e.message for e in new), problems=new)
    if note:
        return Mapped("non_procedural", candidate, (), reason=f"not procedural ({note})", note_kind=note)
    return Mapped("automated", candidate, (new_key,))


def _refused(graph: Graph, reason: str, problems: list[CompileIssue] | None = None) -> Mapped:
    return Mapped("not_understood", graph, (), reason=reason, problems=problems or [])


def _continuation(step) -> str | None:
    outcomes = list(getattr(getattr(step, "judgement", None), "outcomes", None) or [])
    for key in PROCEED_KEYS:
        for outcome in outcomes:
            if outcome.key == key and outcome.next:
                return outcome.next
    return outcomes[0].next if outcomes else None


def _unique_key(graph: Graph, base: str) -> str:
    base = re.sub(r"[^a-z0-9_]", "_", base.lower()).strip("_")[:50] or "step"
    keys = {s.key for s in graph.steps}
    if base not in keys:
        return base
    n = 2
    while f"{base}_{n}" in keys:
        n += 1
    return f"{base}_{n}"


def _unique_save_as(graph: Graph, operation: str) -> str:
    base = operation.split(".")[-1]
    for prefix in ("query_open_", "query_", "get_", "lookup_", "read_"):
        if base.startswith(prefix):
            base = base[len(prefix) :]
            break
    used = {getattr(s, "save_as", None) for s in graph.steps}
    if base not in used:
        return base
    n = 2
    while f"{base}_{n}" in used:
        n += 1
    return f"{base}_{n}"


def _title(text: str) -> str:
    words = " ".join(text.split()).rstrip(".")
    title = words[:1].upper() + words[1:]
    return title if len(title) <= 120 else title[:117].rstrip() + "…"


def _span_json(clause: Clause) -> dict | None:
    return {"start": clause.span.start, "end": clause.span.end} if clause.span else None
