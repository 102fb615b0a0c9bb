"""Stage 4b: precision gates. An automated step stays automated only when the compiler is sure of it.

Runs on the finished graph, the same way for every SOP: the same action twice for one sentence
becomes one step; then every branch condition, action and approval is checked (`certainty`) and one
the compiler is not sure of becomes a judgement step for a person, with a warning saying why — a
wrong automated step acts on a customer, a question costs a person a minute.

  decide with branches → a judgement whose outcomes are the branches (and "none of these")
  act                  → a judgement "do this by hand" (done / not needed), both going on
  approve              → a judgement "does someone approve" (approved / rejected), the role asked for
Gathers are left alone (a read changes nothing); a gather no step reads any more is harmless.
"""

from __future__ import annotations

import json
import re

from connectors.declared import answers
from procedures.compiler.base import CompileIssue
from procedures.compiler.rules import (
    closing_rules,
    declared,
    exact_names,
    guessed_values,
    parameter_shapes,
    pasted,
    person_decided,
    positive,
    pronouns,
    qualified,
    repeats,
    replied_how,
    sign_off_first,
    summaries,
    surroundings,
    table_rows,
    third_party,
    timeouts,
    twice_from_one_sentence,
    vocabulary,
    wording,
)
from procedures.compiler.rules.certainty import Sure, conjuncts, unsure_condition
from procedures.compiler.rules.links import parents
from procedures.compiler.rules.links import redirect as _redirect
from procedures.compiler.rules.links import targets as _targets
from procedures.compiler.rules.vocabulary import Known
from procedures.steps import Graph, Span, parse, successors


def sure_of(graph: Graph, known: Known, source: str = "") -> Sure:
    """What the graph's steps may rely on: the SOP's fields, declared fields and outputs, the graph's reads."""

    ops = known.operations()
    results = {}
    for step in graph.steps:
        save_as, operation = getattr(step, "save_as", None), getattr(step, "operation", None)
        if save_as and operation:
            op = ops.get(operation)
            results[save_as] = tuple(op.returns) if op else ()
        elif save_as:  # a compute-only gather: its computed names
            results[save_as] = tuple(getattr(step, "compute", {}) or ())
    custom = {r for op in declared.declared(known) for r in op.returns}
    custom |= {fact for fact, *_ in answers.zendesk_custom_fields()}
    custom |= table_columns(source) | set(known.values)
    listed = frozenset(  # "custom fields (`species`, `policy_age_days`)" lists fields, not values
        v for name, values in known.values.items() if not name.endswith(("fields", "field")) for v in values
    )
    return Sure(known.identifiers, frozenset(custom), results, known.expand, source, listed)


_HEADER = re.compile(r"(?m)^[ \t]*\|(.+)\|[ \t]*\n[ \t]*\|?[ \t]*:?-{3,}")


def table_columns(source: str) -> frozenset[str]:
    """The columns of the SOP's markdown tables ("| Months in service | Remedy |"), as field names: a decision
    table's column is a fact the SOP names as such."""
    return frozenset(
        vocabulary.snake(cell) for m in _HEADER.finditer(source) for cell in m.group(1).split("|") if cell.strip()
    )


def apply(graph: Graph, known: Known, source: str = "") -> tuple[Graph, list[CompileIssue]]:
    """The graph with duplicates merged and every unsure automated step turned into a question."""
    sure = sure_of(graph, known, source)
    steps = {s.key: s.model_dump(mode="json", exclude_none=True) for s in graph.steps}
    issues: list[CompileIssue] = []
    _within_paragraphs(steps, source)
    twice_from_one_sentence.merge(steps, graph.start)
    for step in steps.values():  # "… with the move-out photos attached": the photos are the approval's evidence
        rule = surroundings.attached_photos(step.get("instruction", "")) if step["kind"] == "approve" else None
        if rule and not step.get("evidence"):
            step["evidence"] = [rule]
    repeats.drop(steps, graph.start)
    timeouts.merge(steps)
    positive.state_positive(steps)
    for step in steps.values():  # "the IC approves", where the SOP spells out "Incident Commander (IC)"
        if step["kind"] == "approve" and step["role"] in known.abbreviations:
            step["role"] = known.abbreviations[step["role"]]
    checked, lost = _checked_labels(steps), set()
    checked["manual"] = surroundings.manual_statements(source)
    checked["parents"] = {
        key: [p for p in ps if steps[p]["kind"] in ("act", "approve")] for key, ps in parents(steps).items()
    }
    issues += _unasked_evidence(steps)
    issues += replied_how.answer_read(steps)
    for key, why in sign_off_first.replies_too_early(steps):  # a table row's reply before the sign-off
        issues.append(_issue(steps[key], f"Not sure of “{steps[key]['title']}”: {why}"))
        _demote(steps[key])
    for key, step in list(steps.items()):
        if step["kind"] == "decide" and step.get("branches"):
            first, why = _unsure_branch(step, sure)
            if why and first == len(step["branches"]) - 1 and (ask := _ask_half(steps, key, sure)):
                issues.append(_issue(ask, why))  # "Pro customers with us over a year": the plan stays automated
                continue
            if why and first:  # the branches before it stay automated; a person picks among the rest
                step = _split(steps, key, first)
            if why:
                _demote(step)
                issues.append(_issue(step, why))
            continue
        why = _why_unsure(step, sure, checked)
        if why and step["kind"] == "wait" and _loops_back(steps, key):
            why = None  # a wait in a loop stays: without it the loop would never pause
        if why:
            lost.add(step.get("save_as") or "")
            _demote(step)
            issues.append(_issue(step, why))
    issues += _forget_lost_results(steps, lost - {""})
    issues += _drop_empty_decisions(steps, graph.start)
    _drop_unread_reads(steps, graph.start)
    data = graph.to_json()
    data["steps"] = [steps[k] for k in _reachable(steps, graph.start)]
    return parse(data), issues


_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def _within_paragraphs(steps: dict[str, dict], source: str) -> None:
    """A step's sentence ends at a blank line: a table row is not continued by the note under the table ("| other
    | Security lead |" then '"Other" covers auditors …'), so a step's text and span stop at the paragraph's end."""
    for step in steps.values():
        span = step.get("span")
        if not span or not source:
            continue
        found = _PARAGRAPH_BREAK.search(source, span["start"], span["end"])
        if found and source[span["start"] : found.start()].strip():
            span["end"] = span["start"] + len(source[span["start"] : found.start()].rstrip())
            step["instruction"] = source[span["start"] : span["end"]]


def _forget_lost_results(steps: dict[str, dict], lost: set[str]) -> list[CompileIssue]:
    """A step a person now does by hand saves nothing: a message line quoting its result ("Jira issue:
    {{ jira.url }}") goes with a warning, and any other step that needs the result becomes a question too."""
    if not lost:
        return []
    reads = re.compile(r"\{\{[^}]*\b(?:" + "|".join(map(re.escape, sorted(lost))) + r")\.")
    issues = []
    for step in steps.values():
        params = step.get("params") or {}
        for name, value in list(params.items()):
            if step["kind"] != "act" or not isinstance(value, str) or not reads.search(value):
                continue
            kept = "\n".join(line for line in value.split("\n") if not reads.search(line))
            if name in ("body", "description") and kept.strip():
                params[name] = kept
                why = "a line that quoted the result of a step done by hand was left out: add it by hand if needed."
                issues.append(CompileIssue(f"Check “{step['title']}”: {why}", "check_step", step["key"]))
                continue
            _demote(step)
            issues.append(_issue(step, f"Not sure of “{step['title']}”: it needs the result of a step done by hand."))
            break
    return issues


def _unsure_branch(step: dict, sure: Sure) -> tuple[int, str | None]:
    """The first branch of a decide the compiler is not sure of (its index and why), else (0, None). A
    condition the same as an earlier branch's can never be taken: the compiler misread one of them."""
    seen: set[str] = set()
    for index, branch in enumerate(step["branches"]):
        if branch["when"] in seen:  # the earlier branches stand; this one and those after it go to a person
            return (
                index,
                f"Not sure of the condition “{branch.get('label') or branch['when']}”: two cases read the same",
            )
        seen.add(branch["when"])
    if why := surroundings.done_by_a_system(step.get("instruction", "")):
        return (
            0,
            f"Not sure of the condition “{step['branches'][0].get('label') or step['branches'][0]['when']}”: {why}",
        )
    for index, branch in enumerate(step["branches"]):
        label = branch.get("label", "") + _following(step, sure.source)
        why = unsure_condition(branch["when"], label, step.get("instruction", ""), sure)
        if why:
            return index, f"Not sure of the condition “{branch.get('label') or branch['when']}”: {why}"
    return 0, None


def _ask_half(steps: dict[str, dict], key: str, sure: Sure) -> dict | None:
    """The last branch of a decide reads "A && B" and only B is unsure: the branch tests A, then a person
    answers B (yes → the branch's steps, no → otherwise). Returns the question step, or None."""
    step = steps[key]
    branch = step["branches"][-1]
    parts = conjuncts(branch["when"])
    if len(parts) < 2:
        return None
    label, instruction = branch.get("label", ""), step.get("instruction", "")
    kept = [p for p in parts if unsure_condition(p, label, instruction, sure, part=True) is None]
    if not kept or len(kept) == len(parts):
        return None
    ask = {
        "key": _free_key(steps, key + "_ask"),
        "kind": "decide",
        "title": f"Does this apply: {label or branch['when']}?"[:300],
        "instruction": instruction,
        "judgement": {
            "question": f"Does this apply: {label or branch['when']}?",
            "outcomes": [
                _clean({"key": "yes", "label": "Yes", "next": branch["next"]}),
                _clean({"key": "no", "label": "No", "next": step.get("otherwise")}),
            ],
        },
    }
    if step.get("span"):
        ask["span"] = step["span"]
    branch["when"] = " && ".join(f"({p})" if len(kept) > 1 else p for p in kept)
    branch["next"] = ask["key"]
    steps[ask["key"]] = ask
    return ask


_LEAD_IN = re.compile(r"\b(?:any|all|one|none|either|both|each)\s+of\s+(?:the\s+following|these|them)\b", re.I)


def _following(step: dict, source: str) -> str:
    """For a lead-in ("if any of the following apply:"), the criteria under it, which its condition reads."""
    span = step.get("span")
    if not span or not _LEAD_IN.search(step.get("instruction", "")):
        return ""
    return " " + step["instruction"] + " " + source[span["end"] : span["end"] + 1200]


def _split(steps: dict[str, dict], key: str, first: int) -> dict:
    """Move branches `first`… of a decide to a new decide on its `otherwise` path (order kept: the first
    true branch still wins); return the new step."""
    step = steps[key]
    rest = {
        "key": _free_key(steps, key + "_rest"),
        "kind": "decide",
        "title": step["title"],
        "instruction": step.get("instruction", ""),
        "branches": step["branches"][first:],
    }
    if step.get("span"):
        rest["span"] = step["span"]
    if step.get("otherwise"):
        rest["otherwise"] = step["otherwise"]
    step["branches"] = step["branches"][:first]
    step["otherwise"] = rest["key"]
    steps[rest["key"]] = rest
    return rest


def _free_key(steps: dict, base: str) -> str:
    key, n = base, 2
    while key in steps:
        key, n = f"{base}_{n}", n + 1
    return key


def _checked_labels(steps: dict[str, dict]) -> dict[object, object]:
    """For each step key and each sentence span: the labels of the branches that lead to it or are made from it."""
    found: dict[object, object] = {"asked": set(), "mailed": set()}
    for step in steps.values():
        span = step.get("span") or {}
        if step.get("operation") == "email.send" and not wording.system_unnamed(
            "email.send", {}, step.get("instruction", ""), Sure()
        ):
            found["mailed"].add(step.get("params", {}).get("to"))  # "Email the employee …; at 14 days, remind them"
        for outcome in step.get("judgement", {}).get("outcomes", [])[:1]:  # "Optionally, …": already a question
            if outcome.get("next") and (steps.get(outcome["next"]) or {}).get("span") == step.get("span"):
                found["asked"].add(outcome["next"])
        if step["kind"] == "act":  # the parameters the actions of one sentence set between them
            where = ("params", span.get("start"))
            found[where] = frozenset(found.get(where, frozenset()) | set(step.get("params", {})))
        ways = [(b["next"], b.get("label", "") + " " + b["when"]) for b in step.get("branches", [])]
        question = step.get("judgement", {}).get("question", "")
        ways += [(o.get("next"), question + " " + o["label"]) for o in step.get("judgement", {}).get("outcomes", [])]
        for target, text in ways:
            for where in (target, (span.get("start"), span.get("end"))):
                found[where] = found.get(where, "") + " | " + text
    return found


def _loops_back(steps: dict[str, dict], key: str) -> bool:
    """A way from the step back to itself that passes no other wait."""
    seen, todo = set(), list(_targets(steps[key]))
    while todo:
        current = todo.pop()
        if current == key:
            return True
        if current in seen or current not in steps or steps[current]["kind"] == "wait":
            continue
        seen.add(current)
        todo += _targets(steps[current])
    return False


def _chain_labels(key: str, checked: dict[object, object]) -> str:
    """The labels of the branches before the actions and approvals that lead only to this step ("£500 or more →
    payroll team lead → finance controller": the second approval is under the same rung)."""
    found, seen = "", {key}
    while len(ways_in := checked["parents"].get(key, [])) == 1 and ways_in[0] not in seen and len(seen) < 6:
        key = ways_in[0]
        seen.add(key)
        found += str(checked.get(key, ""))
    return found


def _why_unsure(step: dict, sure: Sure, checked: dict[object, object]) -> str | None:
    instruction = step.get("instruction", "")
    span = step.get("span") or {}
    labels = checked.get(step["key"], "") + checked.get((span.get("start"), span.get("end")), "")
    labels += _chain_labels(step["key"], checked)
    if step["kind"] == "act":
        operation, params = step["operation"], step.get("params", {})
        taken = checked.get(("params", span.get("start")), frozenset())
        checks = (
            lambda: wording.unsure_params(operation, params, instruction, sure, taken),
            lambda: (
                None
                if params.get("to") in checked["mailed"]
                else wording.system_unnamed(operation, params, instruction, sure)
            ),
            lambda: wording.unsure_reply(operation, params, instruction),
            lambda: pronouns.someone_else_meant(operation, params, instruction),
            lambda: person_decided.reply_to_a_judged_message(operation, instruction),
            lambda: third_party.someone_elses(instruction),
            lambda: surroundings.done_by_a_system(instruction),
            lambda: None if step["key"] in checked.get("asked", ()) else wording.hedged(instruction),
            lambda: wording.unchecked_threshold(step["title"], labels + " " + json.dumps(params)),
            lambda: wording.excepted(step["title"]),
            lambda: wording.whenever(instruction, labels),
            lambda: wording.negated(operation, instruction),
            lambda: wording.style_guidance(operation, instruction),
            lambda: wording.left_in_place(operation, params, instruction),
            lambda: wording.value_not_sent(operation, params, instruction, step["title"]),
            lambda: surroundings.done_by_hand(step["title"], checked["manual"]),
            lambda: surroundings.priority_said_next(operation, params, sure.source, span),
            lambda: table_rows.unasked(operation, sure.source, span),
            lambda: summaries.restated(instruction, sure.source, span),
            lambda: summaries.answers_a_question(instruction, sure.source, span),
            lambda: closing_rules.closing_rule(params, instruction, sure.source),
            lambda: qualified.unchecked_kind(instruction, labels),
            lambda: closing_rules.targets_by_class(operation, bool(step.get("deadline")), instruction),
            lambda: guessed_values.body_is_instruction(operation, params),
            lambda: pasted.message_is_instruction(operation, params, instruction),
            lambda: guessed_values.flag_not_given(operation, params, instruction),
            lambda: exact_names.field_left_out(operation, params, instruction),
            lambda: parameter_shapes.unsure_tag(operation, params, instruction),
            lambda: parameter_shapes.empty_text(operation, params),
            lambda: parameter_shapes.unread_template(params, set(sure.results), instruction),
            lambda: parameter_shapes.addressee_named(operation, params),
        )
        why = next((found for check in checks if (found := check())), None)
        return f"Not sure of “{step['title']}”: {why}" if why else None
    if step["kind"] == "wait" and (why := qualified.defined_period(instruction)):
        return f"Not sure of “{step['title']}”: {why}"
    if step["kind"] == "wait" and not step.get("for_event") and step.get("next"):
        said = re.match(r"\W*(?:then\s+)?wait\s+(?:for|until)\b[^.;]*", step.get("instruction", ""), re.I)
        event = vocabulary.event_for(said.group(0)) if said else None
        if event:
            return f"Not sure of “{step['title']}”: it waits for {event}, but the step only waits for the time"
        return None
    if (
        step["kind"] == "wait"
        and not step.get("delay")
        and (why := surroundings.event_unnamed(step.get("for_event"), instruction, step["title"]))
    ):
        return f"Not sure of “{step['title']}”: {why}"
    if step["kind"] == "wait" and not step.get("delay") and (why := surroundings.duration_left_out(instruction)):
        return f"Not sure of “{step['title']}”: {why}"
    if step["kind"] == "wait" and (why := surroundings.happens_by_itself(instruction)):
        return f"Not sure of “{step['title']}”: {why}"
    if step["kind"] == "approve":
        why = wording.unsure_role(step["role"], instruction, sure)  # "may approve" is the approval itself
        why = why or parameter_shapes.fact_role(step["role"])
        why = why or wording.unchecked_threshold(instruction, labels)
        why = why or surroundings.evidence_unread(step.get("evidence"), instruction)
        return f"Not sure of the approval by {step['role']}: {why}" if why else None
    return None


def _unasked_evidence(steps: dict[str, dict]) -> list[CompileIssue]:
    """An approval "based on the photo" that asks the customer for the photo when it is missing: the sentence
    asks nobody for it. The approval keeps its evidence and loses the ask and the wait for the answer: with no
    photo attached the engine holds it for a person, who decides whether to ask."""
    issues = []
    for step in list(steps.values()):
        ask = steps.get(step.get("on_missing_evidence") or "")
        if step["kind"] != "approve" or not ask or ask["kind"] != "act":
            continue
        if why := surroundings.evidence_not_asked(step.get("instruction", "")):
            issues.append(_issue(ask, f"Not sure of “{ask['title']}”: {why}"))
            del step["on_missing_evidence"]
    return issues


def _demote(step: dict) -> None:
    """Turn an automated step into a judgement in place (same key, same span, same ways out)."""
    kind = step["kind"]
    if kind == "decide":
        outcomes = [
            {"key": f"case_{n}", "label": (b.get("label") or b["when"])[:200], "next": b["next"]}
            for n, b in enumerate(step.pop("branches"), 1)
        ]
        outcomes.append({"key": "none", "label": "None of these", "next": step.pop("otherwise", None)})
        question = "Which of these applies? " + "; ".join(o["label"] for o in outcomes[:-1])
    elif kind in ("act", "wait"):
        after = step.pop("next", None) or step.get("on_event")  # a wait for an event only goes on when it comes
        outcomes = [
            {"key": "proceed", "label": "Done by hand, carry on", "next": after},
            {"key": "skip", "label": "Not needed, carry on", "next": after},
        ]
        question = f"Do this by hand if it applies: {step['title']}"
        for name in (
            "operation",
            "params",
            "save_as",
            "deadline",
            "delay",
            "for_event",
            "anchor",
            "recheck",
            "on_event",
        ):
            step.pop(name, None)
    else:  # approve
        outcomes = [
            {"key": "approved", "label": "Approved", "next": step.pop("on_approved", None)},
            {"key": "rejected", "label": "Rejected", "next": step.pop("on_rejected", None)},
        ]
        question = f"Is it approved? (the SOP names the approver: {step['instruction'][:200]})"
        for name in ("role", "evidence", "on_missing_evidence"):
            step.pop(name, None)
    step["kind"] = "decide"
    step["judgement"] = {"question": question[:1000], "outcomes": [_clean(o) for o in outcomes]}


def _clean(outcome: dict) -> dict:
    return {k: v for k, v in outcome.items() if v is not None}


def _issue(step: dict, why: str) -> CompileIssue:
    span = step.get("span")
    return CompileIssue(
        f"{why} A person decides this step at run time; correct the SOP or the step to automate it.",
        "unsure",
        step["key"],
        Span(start=span["start"], end=span["end"]) if span else None,
        step.get("instruction", ""),
    )


def _drop_empty_decisions(steps: dict[str, dict], start: str) -> list[CompileIssue]:
    """A condition after which nothing differs (every branch goes where `otherwise` goes) — a sentence that
    describes ("Enterprise customers get a dedicated manager") rather than asks: no automated check, a question."""
    issues = []
    for key, step in list(steps.items()):
        branches, otherwise = step.get("branches"), step.get("otherwise")
        if step["kind"] != "decide" or not branches or not otherwise or key == start:
            continue
        if any(b["next"] != otherwise for b in branches):
            continue
        del steps[key]
        _redirect(steps, key, otherwise)
        span = step.get("span")
        issues.append(
            CompileIssue(
                f"Nothing happens differently when “{branches[0].get('label') or branches[0]['when']}”: the sentence "
                "reads as a description, not a step; rewrite it as “If …, <do what>”, or leave it as a note",
                "question",
                None,
                Span(start=span["start"], end=span["end"]) if span else None,
                step.get("instruction", ""),
            )
        )
    return issues


_LOOKUP = (
    re.compile(  # a read asked for in so many words: an instruction starting with a lookup verb ("read it" is not)
        r"(?:^|[,;:(]\s*|\b(?:then|and|first|always|please|also)\s+|[-*•]\s+|\d+[.)]\s+)"
        r"(?:look(?:\s+\w+){0,3}\s+up|lookup|find|pull|fetch|query|search|check|get|read|open|confirm|verify|see)\b"
        r"(?!\s+(?:it|them|this|that|these|those|what|whether|if)\b)",
        re.I | re.M,
    )
)


def _drop_unread_reads(steps: dict[str, dict], start: str) -> None:
    """A read no later step uses and no sentence asks for (the compiler added it for a condition that became a
    question, or by a keyword): it would only call a system for nothing. A read its own sentence does not ask for
    but a later step needs comes from that step's sentence (not from a purpose paragraph that named the account)."""
    for key, step in list(steps.items()):
        if step["kind"] != "gather" or not step.get("operation") or not step.get("next") or key == start:
            continue
        instruction = step.get("instruction", "")
        asked = _LOOKUP.search(instruction) and not wording.system_unnamed(
            step["operation"], step.get("params", {}), instruction, Sure()
        )
        reader = _first_reader(steps, key, step["save_as"])
        if reader and not asked and reader.get("span"):
            step["span"], step["instruction"] = reader["span"], reader.get("instruction", "")
        if reader or asked or step.get("required"):  # a read that records facts ("record the settled amount")
            continue
        del steps[key]
        _redirect(steps, key, step["next"])


def _first_reader(steps: dict[str, dict], key: str, name: str) -> dict | None:
    """The first step after `key` (breadth first) whose logic reads `name`."""
    seen, todo = {key}, [key]
    while todo:
        here, todo = todo, []
        for current in here:
            for target in _targets(steps[current]):
                if target not in steps or target in seen:
                    continue
                if name in {m.group(1) for m in _ROOT.finditer(_logic(steps[target]))}:
                    return steps[target]
                seen.add(target)
                todo.append(target)
    return None


_ROOT = re.compile(r"(?<![\w.])([a-z_][a-z0-9_]*)\.[a-z_]")


def _logic(step: dict) -> str:
    """What a step computes with (conditions, parameters, required facts), without its prose."""
    return json.dumps({k: v for k, v in step.items() if k not in ("title", "instruction", "span", "judgement")})


def _reachable(steps: dict[str, dict], start: str) -> list[str]:
    """Keys reachable from the start, in the graph's order (a demoted approval's evidence request is not)."""
    graph = parse({"start": start, "steps": list(steps.values())})
    seen, todo = {start}, [start]
    by_key = {s.key: s for s in graph.steps}
    while todo:
        for target in successors(by_key[todo.pop()]):
            if target and target in by_key and target not in seen:
                seen.add(target)
                todo.append(target)
    return [k for k in steps if k in seen]
