"""Criteria lists: "Escalate if any of the following apply:" followed by the criteria as items.

The criteria become one condition, joined with "or" (any / one or more / at
least one / either), "and" (all / each / every) or negated (none); the
action in the lead-in ("Escalate", or after the comma) is the branch's
body. When a criterion cannot be read as a condition, the whole list is a
question for a person that quotes every criterion: never a condition on
some of them.
"""

from __future__ import annotations

import re

from procedures.compiler.rules import conditions
from procedures.compiler.rules.document import Item, Segment, sub
from procedures.compiler.rules.state import Pending, Walk

CRITERIA = re.compile(
    r"^(?:(?P<pre>.+?)\s+)?(?:if|when|where|only if|in case)\s+(?P<q>any|all|each|every|one or more|at least one|none|either)"
    r"\s+(?:one\s+)?of\s+(?:the following|these|the below|the criteria below)(?P<rest>[^,]*?)(?:,\s*(?P<post>.+))?$",
    re.I,
)
_ANY = ("any", "one or more", "at least one", "either")


def criteria(w: Walk, item: Item) -> bool:
    lead = item.segment
    text = lead.text.rstrip(":").rstrip()
    m = CRITERIA.match(re.sub(r"\*\*|__", "  ", text))  # "if **any of the following** is true"
    children = [c for c in item.children if isinstance(c, Item) and c.marked]
    rest = [c for c in item.children if not (isinstance(c, Item) and c.marked)]
    if not m or not children:
        return False
    quantifier = m.group("q").lower()
    texts = [re.sub(r"^(?:and|or)\s+|[.;,]+$|\s+(?:and|or)$", "", c.segment.text.strip()) for c in children]
    found = [conditions.condition(t, w.b.known) for t in texts]
    end = max(c.segment.end for c in children)
    whole = Segment(w.b.source[lead.start : end], lead.start, end)
    w.pending = None
    if all(found):
        for cond in found:
            for need in cond.needs:
                w.ensure(need, lead)
        if quantifier == "none":
            cel = " && ".join(f"!({c.cel})" for c in found)
        else:
            cel = (" || " if quantifier in _ANY else " && ").join(f"({c.cel})" for c in found)
        key = w.b.decide(cel, text, whole)
        else_exits = [(key, ("otherwise",))]
    else:
        word = "any" if quantifier in _ANY else quantifier
        question = f"Does {word} of these apply: " + "; ".join(texts) + "?"
        key = w.b.judgement(question[:300], whole, [("yes", "Yes"), ("no", "No")], base="criteria")
        w.b.exits = [(key, ("judgement", "outcomes", 0, "next"))]
        else_exits = [(key, ("judgement", "outcomes", 1, "next"))]
        unread = [t for t, c in zip(texts, found, strict=True) if c is None]
        w.b.warn(
            "Criteria not understood by the rules compiler ("
            + "; ".join(unread)[:200]
            + "): a person answers at run time",
            whole,
            code="condition_not_understood",
            step_key=key,
        )
        for ask in dict.fromkeys(q for t in unread if (q := conditions.question(t, w.b.known))):
            w.b.warn(ask, whole, code="question", step_key=key)
    before = dict(w.b.known.results)
    for name in ("pre", "post"):
        if m.group(name):
            w.body([sub(lead, m.start(name), m.end(name))])
    then_exits = w.b.exits
    w.b.known.results = before
    w.b.exits = then_exits + else_exits
    w.pending = Pending(key, then_exits, else_exits, "", judgement=not all(found), known_before=before)
    w.understood += 1
    for block in rest:  # "If it passes, go to step 6." under the list
        w.item(block)
    return True
