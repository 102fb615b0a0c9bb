"""Every compiled step read back as one plain sentence, generated from the step itself.

An ops manager checks a compiled SOP by reading these next to the source, without
reading CEL: "If the account plan is Enterprise → create an Incident in Jira
project OPS, priority Highest, with the ticket link". The sentence is made from
the step's fields (never copied from the SOP text), so a wrong step reads wrong.

`step_readback(step, graph)` reads one step; `graph_readbacks(graph)` reads all of
them with one pass over the graph (the editor and `compile_sop` use it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from procedures.cel_words import (
    condition_words,
    has_placeholders,
    template_facts,
    template_words,
)
from procedures.steps import ActStep, ApproveStep, DecideStep, EndStep, GatherStep, Graph, Step, WaitStep

_BODY_CHARS = 90  # longer literal texts are cut in the read-back; the card shows them whole
_EVENT_WORDS = {
    "customer.replied": "the customer replies",
    "claim.settled": "the carrier settles the claim",
    "ticket.updated": "the ticket is updated",
    "ticket.solved": "the ticket is solved",
}
_END_WORDS = {
    "resolved": "Finish: the case is resolved",
    "closed": "Finish: the case is closed",
    "stopped": "Stop here",
    "handed_off": "Hand the case off",
    "abandoned": "Give up on the case",
}


def _get(item, name: str, default=None):
    """A field of a step (or branch/outcome) given typed or as its JSON dict."""
    try:
        return item.get(name, default)  # the JSON form
    except AttributeError:
        return getattr(item, name, default)


@dataclass
class ReadbackIndex:
    """Titles of the steps, and who leads to each: (source step, condition, number of branches).

    The condition is a branch's CEL, None for a decide step's `otherwise`, "" for a plain edge.
    Built from a typed graph or from the graph's JSON steps (no parsing: the editor of an SOP
    with thousands of steps reads back only the page it shows).
    """

    titles: dict[str, str]
    first_branch: dict[str, str] = field(default_factory=dict)
    incoming: dict[str, list[tuple[str, str | None, int]]] = field(default_factory=dict)

    @classmethod
    def of(cls, graph: Graph) -> ReadbackIndex:
        return cls.of_steps(graph.steps)

    @classmethod
    def of_steps(cls, steps) -> ReadbackIndex:
        index = cls(titles={})
        if all(isinstance(step, dict) for step in steps):
            return _of_json(index, steps)
        for step in steps:
            key = _get(step, "key")
            index.titles[key] = _get(step, "title", key)
            branches = _get(step, "branches") or []
            if branches:
                index.first_branch[key] = _get(branches[0], "when")
            for target, when, count in _edges(step):
                index.incoming.setdefault(target, []).append((key, when, count))
        return index


def _of_json(index: ReadbackIndex, steps: list[dict]) -> ReadbackIndex:
    """`of_steps` for JSON steps, written out flat: it runs over every step of a big graph per page view."""
    incoming = index.incoming
    for step in steps:
        key = step["key"]
        index.titles[key] = step.get("title", key)
        kind = step.get("kind")
        if kind == "decide":
            branches = step.get("branches") or []
            if branches:
                index.first_branch[key] = branches[0]["when"]
            for branch in branches:
                incoming.setdefault(branch["next"], []).append((key, branch["when"], len(branches)))
            if step.get("otherwise"):
                incoming.setdefault(step["otherwise"], []).append((key, None, len(branches)))
            for outcome in (step.get("judgement") or {}).get("outcomes", []):
                if outcome.get("next"):
                    incoming.setdefault(outcome["next"], []).append((key, "", 0))
            continue
        for name in _EXITS.get(kind, ()):
            target = step.get(name)
            if target:
                incoming.setdefault(target, []).append((key, "", 0))
    return index


_EXITS = {
    "gather": ("next",),
    "act": ("next",),
    "wait": ("next", "on_event"),
    "approve": ("on_approved", "on_rejected", "on_missing_evidence"),
}


def _edges(step):
    """(target, condition, number of branches) for each way out of a step (typed or JSON)."""
    kind = _get(step, "kind")
    if kind == "decide":
        branches = _get(step, "branches") or []
        for branch in branches:
            yield _get(branch, "next"), _get(branch, "when"), len(branches)
        if _get(step, "otherwise"):
            yield _get(step, "otherwise"), None, len(branches)
        judgement = _get(step, "judgement")
        for outcome in (_get(judgement, "outcomes") or []) if judgement else []:
            if _get(outcome, "next"):
                yield _get(outcome, "next"), "", 0
        return
    for name in _EXITS.get(kind, ()):
        if _get(step, name):
            yield _get(step, name), "", 0


def step_readback(step: Step, graph: Graph) -> str:
    """One sentence saying what `step` does, in words (see the module docstring)."""
    return readback_with(step, ReadbackIndex.of(graph))


def graph_readbacks(graph: Graph) -> dict[str, str]:
    """The read-back of every step of `graph`, by key."""
    index = ReadbackIndex.of(graph)
    return {step.key: readback_with(step, index) for step in graph.steps}


def readback_with(step: Step, index: ReadbackIndex) -> str:
    """`step_readback` with the graph's index built once by the caller (for many steps of one graph)."""
    match step:
        case DecideStep():
            return _decide(step, index)
        case GatherStep():
            body = _gather(step)
        case ActStep():
            body = _act(step)
        case WaitStep():
            return _wait(step, index)
        case ApproveStep():
            body = _approve(step, index)
        case EndStep():
            body = _end(step)
        case _:
            body = step.title
    guard = _guard(step.key, index)
    return f"If {guard} → {_lower_first(body)}" if guard else body


def _guard(key: str, index: ReadbackIndex) -> str:
    """The condition under which the only way into this step is taken, when it is a decide branch."""
    incoming = index.incoming.get(key, [])
    if len(incoming) != 1:
        return ""
    source, when, branches = incoming[0]
    if when:
        return condition_words(when)
    if when is None and branches == 1 and source in index.first_branch:
        return condition_words(index.first_branch[source], negated=True)
    return ""


def _target(key: str | None, index: ReadbackIndex) -> str:
    if not key:
        return "nowhere"
    title = index.titles.get(key)
    return f"“{title}”" if title else key


def _decide(step: DecideStep, index: ReadbackIndex) -> str:
    if step.judgement:
        outcomes = "; ".join(f"{o.label} → {_target(o.next, index)}" for o in step.judgement.outcomes)
        return f"Ask a person: {step.judgement.question.rstrip()} ({outcomes})"
    parts = [f"If {condition_words(b.when)} → {_target(b.next, index)}" for b in step.branches]
    if step.otherwise:
        parts.append(f"otherwise → {_target(step.otherwise, index)}")
    return "; ".join(parts)


def _with_facts(template: str) -> str:
    facts = template_facts(template)
    return f"with {_join(facts)}" if facts else ""


def _literal(template: str) -> str:
    text = " ".join(str(template).split())
    if len(text) > _BODY_CHARS:
        text = text[: _BODY_CHARS - 1].rstrip() + "…"
    return f"“{text}”"


def _text_param(template: str | None) -> str:
    """A message body: quoted when literal, "with <facts>" when it is built from the case."""
    if not template:
        return ""
    return _with_facts(template) if has_placeholders(template) else f"saying {_literal(template)}"


def _article(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def _join(items: list[str], word: str = "and") -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _act(step: ActStep) -> str:
    p = {name: value for name, value in step.params.items()}
    w = {name: template_words(value) for name, value in p.items()}
    op = step.operation
    if op == "jira.create_issue":
        what = _article(w.get("issue_type") or "issue")
        parts = [f"Create {what} in Jira project {w.get('project', '(no project)')}"]
        if "priority" in w:
            parts.append(f"priority {w['priority']}")
        if p.get("summary"):
            parts.append(f"titled {w['summary'] if has_placeholders(p['summary']) else _literal(p['summary'])}")
        if p.get("assignee"):
            parts.append(f"assigned to {w['assignee']}")
        facts = _with_facts(p.get("description", ""))
        parts.append(facts)
        return ", ".join(x for x in parts if x)
    if op == "jira.add_comment":
        return _join_clauses(f"Comment on Jira issue {w.get('issue_key', '?')}", _text_param(p.get("body")))
    if op == "jira.transition_issue":
        return f"Move Jira issue {w.get('issue_key', '?')} to {w.get('transition', '?')}"
    if op == "jira.link_issues":
        return f"Link Jira issue {w.get('inward_issue', '?')} to {w.get('outward_issue', '?')} ({w.get('link_type', 'related')})"
    if op == "zendesk.reply":
        private = str(p.get("public", "")).strip().lower() in ("false", "{{ false }}")
        return _join_clauses(
            f"Reply {'privately' if private else 'publicly'} to the requester", _text_param(p.get("body"))
        )
    if op == "zendesk.add_note":
        return _join_clauses("Add an internal note to the ticket", _text_param(p.get("body")))
    if op == "zendesk.add_tags":
        return f"Tag the ticket {w.get('tags', '?')}"
    if op == "zendesk.update_ticket":
        changes = [
            f"{label} to {w[name]}"
            for name, label in (
                ("status", "status"),
                ("priority", "priority"),
                ("group", "group"),
                ("assignee_email", "assignee"),
            )
            if name in w
        ]
        return f"Set the ticket's {_join(changes)}" if changes else "Update the ticket"
    if op == "email.send":
        parts = [f"Email {w.get('to', '(nobody)')}"]
        if p.get("subject"):
            parts.append(f"subject {w['subject'] if has_placeholders(p['subject']) else _literal(p['subject'])}")
        return ", ".join(parts + [_text_param(p.get("body"))]).rstrip(", ")
    if op == "salesforce.update_record":
        return f"Update the Salesforce {w.get('object', 'record')}: set {w.get('fields', '?')}"
    if op == "salesforce.add_note":
        return _join_clauses("Add a note on the Salesforce account", _text_param(p.get("subject") or p.get("body")))
    if op == "http.request":
        return f"Call {w.get('endpoint', 'an endpoint')} ({w.get('method', 'POST')} {w.get('path', '/')})".replace(
            " /)", ")"
        )
    if op == "carrier.file_claim":
        parts = [f"File a claim with {w.get('carrier', 'the carrier')} for shipment {w.get('tracking_number', '?')}"]
        if "amount" in w:
            parts.append(f"amount {w['amount']}")
        if "photos" in w:
            parts.append(f"with {w['photos']}")
        return ", ".join(parts)
    if op == "carrier.send_follow_up":
        return _join_clauses(
            f"Send {w.get('carrier', 'the carrier')} a follow-up on claim {w.get('claim_id', '?')}",
            _text_param(p.get("message")),
        )
    return _generic(step.operation, w, "Do")


def _join_clauses(head: str, tail: str) -> str:
    return f"{head} {tail}" if tail else head


def _generic(operation: str | None, words: dict[str, str], verb: str) -> str:
    from connectors.registry import operations

    known = operations().get(operation or "")
    head = known.summary.rstrip(".") if known else f"{verb} {operation}"
    if not words:
        return head
    return head + " (" + "; ".join(f"{name.replace('_', ' ')}: {value}" for name, value in words.items()) + ")"


def _gather(step: GatherStep) -> str:
    words = {name: template_words(value) for name, value in step.params.items()}
    if step.operation == "salesforce.query_account":
        by = _join([v for v in words.values()], "or")
        head = "Look up the customer's Salesforce account" + (f" by {by}" if by else "")
    elif step.operation == "salesforce.query_open_opportunity":
        head = "Find the account's open Salesforce opportunity"
    elif step.operation == "zendesk.get_ticket":
        head = "Read the Zendesk ticket"
    elif step.operation == "jira.get_issue":
        head = f"Read Jira issue {words.get('issue_key', '?')}"
    elif step.operation == "carrier.lookup_shipment":
        head = f"Look up shipment {words.get('tracking_number', '?')} with {words.get('carrier', 'the carrier')}"
    elif step.operation == "carrier.claim_status":
        head = f"Check the status of claim {words.get('claim_id', '?')} with {words.get('carrier', 'the carrier')}"
    elif step.operation:
        head = _generic(step.operation, words, "Read")
    else:
        head = "Work out"
    computed = [f"{name.replace('_', ' ')} = {template_words(value)}" for name, value in step.compute.items()]
    if computed:
        head = f"{head}; then work out {_join(computed)}" if step.operation else f"Work out {_join(computed)}"
    if step.required:
        head += f"; a person is asked if {_join([r.replace('_', ' ') for r in step.required], 'or')} is missing"
    return head


def _wait(step: WaitStep, index: ReadbackIndex) -> str:
    delay = step.delay.describe() if step.delay else ""
    after = f" after “{index.titles[step.anchor]}”" if step.anchor and step.anchor in index.titles else ""
    if step.for_event:
        event = _EVENT_WORDS.get(step.for_event, f"the event {step.for_event}")
        text = f"Wait until {event}" + (f", at most {delay}{after}" if delay else "")
        text += f"; if it happens → {_target(step.on_event, index)}"
        if delay:
            text += f"; if not → {_target(step.next, index)}"
        return text
    return f"Wait {delay}{after}, then → {_target(step.next, index)}"


def _approve(step: ApproveStep, index: ReadbackIndex) -> str:
    text = f"Ask {step.role} to approve"
    if step.evidence:
        text += " (needs " + _join([f"at least {e.min_count} {e.kind}" for e in step.evidence]) + ")"
    text += f"; approved → {_target(step.on_approved, index)}; rejected → {_target(step.on_rejected, index)}"
    if step.on_missing_evidence:
        text += f"; evidence missing → {_target(step.on_missing_evidence, index)}"
    return text


def _end(step: EndStep) -> str:
    text = _END_WORDS.get(step.outcome, f"End ({step.outcome})")
    if step.handoff_role:
        text = f"Hand the case off to {step.handoff_role}"
    if step.case_status and step.case_status != step.outcome:
        text += f"; the case becomes {step.case_status}"
    return text
