"""Facts a condition needs that no system gives and the SOP does not name: a question, never a made-up field.

"the order was placed more than six months ago" needs the days since the order was placed. Unless the SOP names a
field for it (`order_age_days`) or a declared field holds it, the compiler would have to invent one and convert the
units itself; instead the step goes to a person and the editor asks "Which field tells us when the order was
placed?", proposing a name the author can write into the SOP (or declare) to make the step automatic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from connectors.declared import answers as vocab
from procedures.compiler.rules import quantities, vocabulary
from procedures.compiler.rules.comparisons import operator_of
from procedures.compiler.rules.vocabulary import Known


@dataclass(frozen=True)
class Unnamed:
    """A fact in plain words ("when the order was placed") and the field name proposed for it (`order_age_days`)."""

    what: str
    proposed: str


_AGO = re.compile(
    r"\b(?:the\s+|their\s+|its\s+|this\s+)?(?P<thing>[a-z][a-z -]{1,30}?)\s+(?:was|were|has been|had been|got)\s+"
    r"(?P<verb>[a-z]+(?:ed|ought|ent|ade|old|id))\b(?=.*\bago\b)",
    re.I,
)
_DONE = re.compile(
    r"^(?:for\s+|if\s+|when\s+)?(?P<det>(?:the|their|its|any)\s+)?(?P<thing>[a-z]{3,}?)s?\s+"
    r"(?P<verb>[a-z]+(?:ed|ought|ade|ent|aid))(?:\s+(?P<particle>up|in|out|on))?\b"
    r"(?:\s+(?P<whose>the|their|its|his|her|a|an)\s+(?P<object>[a-z]{3,}))?(?=.*\bago\b)",
    re.I,
)
_AFTER = re.compile(
    r"(?:^|\b(?:the|a|an|any)\s+)?(?P<thing>(?!(?:was|were|has|had|been|is|are)\b)[a-z]{3,})\s+"
    r"(?:(?:was|were|is|are|has been|had been|got)\s+)?(?P<verb>[a-z]+ed)\s+.*?"
    r"\b(?:days?|hours?|weeks?|months?)\s+after\s+(?:the\s+|its\s+|their\s+)?(?P<anchor>[a-z]{3,})",
    re.I,
)
_STOP = (
    r"\b(?:more|less|fewer|than|over|under|above|below|at least|at most|ago|after|before|for|of|the|if|when|is|are)\b"
)


def age(text: str) -> Unnamed | None:
    """What a comparison on a length of time ("bought < 2 yrs ago", "with us for more than a year", "more than 3
    days after the promised date") measures, and the day count the compiler would have had to invent for it."""
    if quantities.duration(text) is None and not re.search(r"\b(?:a|one)\s+(?:year|month|week|day)\b", text, re.I):
        return None
    lowered = text.lower()
    if re.search(r"with us|customer for|tenure|member (?:for|since)|been a member", lowered):
        return Unnamed("how long the customer has been with us", "tenure_days")
    if re.search(r"\blate\b|promised|delay", lowered):
        return Unnamed("how many days late it is", "delay_days")
    if after := _AFTER.search(text):  # "damage reported more than 5 days after delivery"
        thing, verb, anchor = (after.group(g).lower() for g in ("thing", "verb", "anchor"))
        return Unnamed(f"how long after the {anchor} the {thing} was {verb}", f"{_unit(text)}_from_{anchor}_to_{verb}")
    if ago := _AGO.search(text):
        thing = re.sub(r"^(?:if|when|where|unless)\s+", "", ago.group("thing").strip(), flags=re.I)
        verb = ago.group("verb").lower()
        noun = vocabulary.snake(thing).split("_")[-1]
        return Unnamed(f"when the {thing.removeprefix('the ')} was {verb}", f"{noun}_age_days")
    if done := _DONE.search(text):
        return _done(done)
    if re.search(r"\bbought|purchase", lowered):
        return Unnamed("when the item was bought", "purchase_age_days")
    unit = _unit(text)
    noun = vocabulary.snake(re.sub(quantities.DURATION.pattern, " ", re.sub(_STOP, " ", lowered), flags=re.I))
    if not noun or noun == "value" or re.search(r"\d", noun) or len(noun.split("_")) > 4:
        return None
    return Unnamed(f"the length of time in “{text.strip()}”", f"{noun}_{unit}")


def _unit(text: str) -> str:
    """The unit a proposed field counts in: the text's own when it counts hours or minutes, else days."""
    found = quantities.DURATION.search(text)
    unit = found.group("unit").lower() if found else "day"
    return "minutes" if unit.startswith("min") else "hours" if unit.startswith("h") else "days"


def _done(done: re.Match) -> Unnamed:
    """ "orders placed …" (when the order was placed), "the sender opened their account …" (when the sender opened
    their account), "the customer signed up …", "the parcel arrived …"."""
    thing, verb = done.group("thing").lower(), done.group("verb").lower()
    if done.group("object"):
        obj = done.group("object").lower()
        return Unnamed(f"when the {thing} {verb} {done.group('whose').lower()} {obj}", f"{obj}_age_days")
    if done.group("particle"):
        particle = done.group("particle").lower()
        return Unnamed(f"when the {thing} {verb} {particle}", f"days_since_{verb}_{particle}")
    if done.group("det"):
        return Unnamed(f"when the {thing} {verb}", f"days_since_{thing}_{verb}")
    return Unnamed(f"when the {thing} was {verb}", f"{thing}_age_days")


def unnamed(text: str, known: Known) -> Unnamed | None:
    """The fact a condition the rules did not read compares that no field the SOP names holds: a length of time
    ("more than 3 days after the promised date") with no day count named for it."""
    if quantities.duration(text) is None or operator_of(text) is None or re.search(r"\bwait|->|→", text, re.I):
        return None
    found = age(text)
    if found is None or found.proposed in known.identifiers or answered(found):
        return None
    return found


def answered(fact: Unnamed) -> str | None:
    """The case fact a person picked for this fact in the editor ("when the order was placed" → a ticket field), or
    None. An operation's output would need a read first: not taken here."""
    answer = vocab.find(vocab.key(fact.what), kind="fact")
    return answer.answer if answer and answer.answer.startswith("case.") else None


def asked(fact: Unnamed) -> bool:
    """Whether to ask about it: not once a person said they decide it themselves."""
    answer = vocab.find(vocab.key(fact.what), kind="fact")
    return answer is None or bool(answer.answer)


def counted(fact: Unnamed, days: int, hours: int) -> int:
    """The length of time in the unit the fact counts."""
    return days * 24 + hours if _counts(fact) == "hours" else days + (1 if hours else 0)


def _counts(fact: Unnamed) -> str:
    return next((u for u in ("hours", "minutes") if u in fact.proposed.split("_")), "days")


def question(fact: Unnamed) -> str:
    """The editor's question for a fact nobody named, with the name it proposes."""
    return (
        f"Which field tells us {fact.what}? The SOP names none and no system gives it, so a person decides here: "
        f"if the case has such a field, name it in the SOP (proposed: `{fact.proposed}`, a number of {_counts(fact)}) "
        "or declare it, then compile again"
    )
