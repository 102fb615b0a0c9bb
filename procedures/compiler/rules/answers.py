"""Indented answers under a step that waits for a reply ("yes -> …", "no / no answer -> …"): a judgement on the
answer, with the timeout taking the "no answer" branch."""

from __future__ import annotations

import re

from procedures.compiler.rules import shapes
from procedures.compiler.rules.builder import Exit
from procedures.compiler.rules.document import Table, sub
from procedures.compiler.rules.state import Walk


def answers(w: Walk, children: list) -> bool:
    """Indented "yes -> …" / "no / no answer -> …" under a step that waits for a reply: the possible answers."""
    waits = [k for k, path in w.b.exits if path == ("on_event",) and w.b.steps[k]["kind"] == "wait"]
    if any(isinstance(c, Table) for c in children):
        return False
    heads = [shapes.ARROW.match(c.segment.text) or shapes.COLON.match(c.segment.text) for c in children]
    if len(waits) != 1 or not all(heads):
        return False
    wait = waits[0]
    keep = [e for e in w.b.exits if e[0] != wait]
    timeout = next(
        (
            i
            for i, h in enumerate(heads)
            if re.search(r"no (?:answer|reply|response)|timeout|silence", h.group(1), re.I)
        ),
        None,
    )
    if len(heads) == 1 and timeout == 0 and w.b.steps[wait].get("delay"):
        return _only_no_reply(w, children[0], heads[0], wait, keep)
    outcomes = [(shapes.outcome_key(h.group(1)), h.group(1).strip()) for h in heads]
    if len(outcomes) == 1:  # "yes -> …" alone: any other answer goes on with the steps after
        outcomes.append(("any_other_answer", "Any other answer"))
    w.b.exits = [(wait, ("on_event",))]
    key = w.b.judgement("Which answer did the customer give?", children[0].segment, outcomes, base="answer")
    ends: list[Exit] = [(key, ("judgement", "outcomes", 1, "next"))] if len(heads) == 1 else []
    for i, (child, head) in enumerate(zip(children, heads, strict=True)):
        w.b.exits = [(key, ("judgement", "outcomes", i, "next"))]
        if i == timeout and w.b.steps[wait].get("delay"):
            w.b.exits.append((wait, ("next",)))
        w.pending = None
        w.body([sub(child.segment, head.start(2), len(child.segment.text))])
        ends += w.b.exits
    w.b.exits = keep + ends + ([(wait, ("next",))] if timeout is None and w.b.steps[wait].get("delay") else [])
    w.understood += 1
    return True


def _only_no_reply(w: Walk, child, head: re.Match, wait: str, keep: list[Exit]) -> bool:
    """Only "no reply -> …" is given: the wait's timeout runs it, and a reply goes on with the steps after."""
    w.b.exits = [(wait, ("next",))]
    w.pending = None
    w.body([sub(child.segment, head.start(2), len(child.segment.text))])
    w.b.exits = keep + w.b.exits + [(wait, ("on_event",))]
    w.understood += 1
    return True
