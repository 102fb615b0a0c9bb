"""A sentence for a judgement outcome that carries on: route the cases an attribute predicts to where it leads.

People chose "charge_looks_wrong_to_agent" at `judge`; that outcome leads to
the step "add the tag billing-refund to the ticket", then on to step 3. The
proposal is written from the SOP's own text: the action clause of the
judged sentence (its condition cut off) and a cross-reference to the numbered
step the path continues with — "If the ticket is tagged double-charge, add the
tag billing-refund to the ticket and go to step 4." — inserted as the step just
before the judged one, so the steps before it still run first. When the
outcome leads straight to another numbered step, the sentence is only the
cross-reference ("If …, go to step 5.").

Two paths have the same route (`same_route`) when they run the same
operations with the same parameters until they reach a step both share, or
reach ends with the same outcome. The amended source is compiled here and kept only when
the branch on the attribute has the same route as the chosen outcome.
"""

from __future__ import annotations

import re
from itertools import takewhile

from procedures.compiler import CompileError, compile_source
from reviews.insights.amendments import NUMBERED, source_amend

_CONDITION = re.compile(  # the judged sentence's condition, when it does not read as the outcome's label
    r"^\s*(?:if|when)\b[^,]*,\s*(?:then\s+)?", re.I
)
_MAX_ROUTE = 50  # steps followed before giving up (a loop)


class NoSentence(Exception):
    """Why no carry-on sentence fits this SOP."""


def judgement_step(graph, *, step: str, chosen: str):
    """The judged step, found by key or, in an amended graph where keys shift, by the outcome it offers."""
    judged = [s for s in graph.steps if s.kind == "decide" and s.judgement]
    for candidate in judged:
        if candidate.key == step and any(o.key == chosen for o in candidate.judgement.outcomes):
            return candidate
    offering = [s for s in judged if any(o.key == chosen for o in s.judgement.outcomes)]
    return offering[0] if len(offering) == 1 else None


def _outcome_target(judge, chosen: str) -> str | None:
    return next((o.next for o in judge.judgement.outcomes if o.key == chosen), None)


def _item_numbers(source: str) -> list[tuple[int, int]]:
    """(offset, number) of every numbered item, in order."""
    return [(m.start(), int(m.group(2))) for m in NUMBERED.finditer(source)]


def _item_at(items: list[tuple[int, int]], offset: int) -> tuple[int, int] | None:
    found = None
    for start, number in items:
        if start <= offset:
            found = (start, number)
    return found


def _walk(graph, key: str | None) -> list[str]:
    """Keys from `key` through actions (each runs, then goes on), ending at the first step that is not an action."""
    keys: list[str] = []
    while key and len(keys) < _MAX_ROUTE:
        keys.append(key)
        step = graph.step(key)
        if step.kind != "act":
            break
        key = step.next
    return keys


def _signature(graph, key: str) -> tuple:
    step = graph.step(key)
    if step.kind == "act":
        return ("act", step.operation, repr(sorted(step.params.items())))
    if step.kind == "end":
        return ("end", step.outcome)
    return (step.kind, key)


def same_route(graph, first: str | None, second: str | None) -> bool:
    """Whether two paths of `graph` run the same operations with the same parameters until they meet at one
    step, or reach ends with the same outcome."""
    a, b = _walk(graph, first), _walk(graph, second)
    meet = next((key for key in a if key in b), None)
    if meet is not None:
        a, b = a[: a.index(meet)], b[: b.index(meet)]
        return [_signature(graph, k) for k in a] == [_signature(graph, k) for k in b]
    if not a or not b or graph.step(a[-1]).kind != "end" or graph.step(b[-1]).kind != "end":
        return False
    return [_signature(graph, k) for k in a] == [_signature(graph, k) for k in b]


def carry_on_sentence(*, source: str, step: str, chosen: str, condition: str) -> tuple[str, str]:
    """(sentence, amended source) routing the cases under `condition` to where `chosen` at `step` leads.

    Raises NoSentence with the reason when the SOP's text gives no such sentence."""
    try:
        graph = compile_source(source, compiler="rules").graph
    except CompileError as exc:
        raise NoSentence(f"the published SOP does not compile with the rules compiler ({exc})") from exc
    judge = judgement_step(graph, step=step, chosen=chosen)
    target = _outcome_target(judge, chosen) if judge else None
    if target is None:
        raise NoSentence(f"the published SOP has no judgement at {step} with the outcome “{chosen}”")
    items = _item_numbers(source)
    judged_item = _item_at(items, judge.span.start)
    if judged_item is None:
        raise NoSentence(f"{step} is not in a numbered step, so no sentence can be put before it")
    inside = range(judge.span.start, max(judge.span.end, judge.span.start + 1))
    walked = _walk(graph, target)
    action_keys = list(takewhile(lambda k: graph.step(k).kind == "act" and graph.step(k).span.start in inside, walked))
    after = walked[len(action_keys) :]
    clauses = []
    if action_keys:  # the outcome's own actions are written in the judged sentence, after its condition
        text = source[judge.span.start : judge.span.end].strip()
        label = next(o.label for o in judge.judgement.outcomes if o.key == chosen)
        labelled = re.compile(rf"^\s*(?:if|when)\s+{re.escape(label)}\s*,\s*(?:then\s+)?", re.I)
        clause = (labelled if labelled.match(text) else _CONDITION).sub("", text, count=1).rstrip(" .")
        if clause == text.rstrip(" .") or not clause:
            raise NoSentence(f"the sentence at {step} does not read “If …, <what to do>”")
        clauses.append(clause)
    continues = graph.step(after[0]) if after else None
    if continues is None:
        raise NoSentence(f"“{chosen}” at {step} leads nowhere the SOP names")
    if continues.kind == "end":
        if continues.outcome != "stopped":
            raise NoSentence(
                f"“{chosen}” at {step} ends the procedure “{continues.outcome}”; no sentence the rules compiler "
                "understands ends it that way"
            )
        clauses.append("stop")
    else:
        item = _item_at(items, continues.span.start)
        if item is None or item[1] == judged_item[1]:
            raise NoSentence(f"“{chosen}” at {step} continues within the judged step, which a sentence cannot name")
        number = item[1] + (1 if item[0] >= judged_item[0] else 0)  # the new step pushes later ones down by one
        clauses.append(f"go to step {number}")
    sentence = f"If {condition}, {' and '.join(clauses)}."
    return sentence, source_amend(source=source, sentence=sentence, before=judged_item[0])


def routes_as_intended(*, source: str, condition: str, step: str, chosen: str) -> bool:
    """Whether the compiled `source` branches on `condition` to the same route as `chosen` at the judgement."""
    try:
        graph = compile_source(source, compiler="rules").graph
    except CompileError:
        return False
    judge = judgement_step(graph, step=step, chosen=chosen)
    if judge is None:
        return False
    target = _outcome_target(judge, chosen)
    return any(
        branch.label == condition and same_route(graph, branch.next, target)
        for decide in graph.steps
        if decide.kind == "decide"
        for branch in decide.branches
    )
