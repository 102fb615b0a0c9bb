"""Conditions on the fields an SOP names itself: `prior_strikes`, "ticket field monthly_volume", a field table.

A field the text names as a field (snake_case, backticks, "ticket field X", the first cell of a field table —
`Known.identifiers`) or by a field word ("the incident type") can be compared; a noun turned into a field
("the device") cannot: that is a question for a person, never an invented fact.
"""

from __future__ import annotations

import re

from procedures.compiler.rules import quantities, vocabulary
from procedures.compiler.rules.comparisons import GE, GT, LE, LT, Condition, literal, operator_of
from procedures.compiler.rules.vocabulary import Known


def money_field(text: str, known: Known) -> Condition | None:
    """ "the expected monthly volume is more than $50,000" → case.fields.monthly_volume > 50000: money compared
    on a field the SOP names (`monthly_volume`), not the case amount."""
    m = re.search(rf"([a-z][a-z ]{{2,50}}?)\s+(?:is\s+|are\s+|was\s+)?(?:{GT}|{LT}|{GE}|{LE})\s*[$€£]", text, re.I)
    m = m or re.search(r"([a-z][a-z ]{2,50}?)\s+(?:of\s+)?[$€£]\s?\d", text, re.I)  # "Shortfall £500 or more"
    ranged = _MONEY_RANGE.search(text)
    amount = quantities.money(text)
    if not (m or ranged) or amount is None or not known.identifiers:
        return None
    words = vocabulary.normalise((ranged or m).group(1)).split()
    for n in range(min(3, len(words)), 0, -1):
        field = identifier(" ".join(words[-n:]), known)
        if field and any(field in values for values in known.values.values()):
            field = None  # "overcharge" is a value of `dispute_type` here; `overcharge_amount` is the money
        field = field or _money_identifier(words[-n:], known)
        if field and ranged:  # "Change fee $75 up to $250": both bounds, on that field
            low, high = (quantities.money("$" + ranged.group(i)) for i in (2, 3))
            fact = f"case.fields.{field}"
            return Condition(f"{fact} >= {low:.1f} && {fact} <= {high:.1f}", text)
        if field:
            return Condition(f"case.fields.{field} {operator_of(text)} {amount:.1f}", text)
    return None


_MONEY_WORDS = {"value", "amount", "total", "price", "cost", "fee", "charge", "balance", "spend", "sum"}


def _money_identifier(words: list[str], known: Known) -> str | None:
    """The one money field the SOP names whose other words the phrase says ("orders of $200" → `order_value`)."""
    said = {w.rstrip("s") for w in words}
    found = [
        name
        for name in sorted(known.identifiers)
        if (parts := {p.rstrip("s") for p in name.split("_")}) & _MONEY_WORDS
        and (rest := parts - _MONEY_WORDS)
        and rest <= said
    ]
    return found[0] if len(found) == 1 else None


_MONEY_RANGE = re.compile(
    r"([a-z][a-z ]{2,50}?)\s+(?:is\s+|of\s+)?(?:from\s+|between\s+)?[$€£]\s?([\d,.]+k?)\s*"
    r"(?:up to|to|–|—|-|and)\s*[$€£]?\s?([\d,.]+k?)",
    re.I,
)


def counted_field(text: str, known: Known) -> Condition | None:
    """ "No prior strikes", "1 to 2 prior strikes", "6 or more prior strikes": a count the text names as a field
    (`prior_strikes`), never a noun made into a field."""
    m = re.fullmatch(
        r"(?:the\s+member\s+has\s+)?(no|zero|\d+)(?:\s*(?:to|–|—|-)\s*(\d+)|\s+or\s+(more|fewer|less)|\+)?\s+([a-z][a-z ]{2,40}?)",
        text.strip().strip("*").strip(),
        re.I,
    )
    if not m:
        return compared_count(text, known)
    field = identifier(m.group(4), known)
    if field is None:
        return None
    fact = f"case.fields.{field}"
    low = 0 if m.group(1).lower() in ("no", "zero") else int(m.group(1))
    if m.group(2):
        return Condition(f"{fact} >= {low} && {fact} <= {int(m.group(2))}" if low else f"{fact} <= {m.group(2)}", text)
    if m.group(3) or text.strip().endswith("+"):
        return Condition(f"{fact} {'>=' if (m.group(3) or 'more').lower() == 'more' else '<='} {low}", text)
    return Condition(f"{fact} == {low}", text)


_COUNT_WORDS = {"count", "number", "num", "total"}


def identifier(words: str, known: Known) -> str | None:
    """The field the SOP names for these words, in any order: "units short" → `short_units`."""
    wanted = {w.rstrip("s") for w in vocabulary.snake(words).split("_")}
    for name in sorted(known.identifiers):
        if {w.rstrip("s") for w in name.split("_")} == wanted:
            return name
    counted = [  # "1 to 2 strikes" with `strike_count`
        n for n in known.identifiers if "_" in n and {w.rstrip("s") for w in n.split("_")} - _COUNT_WORDS == wanted
    ]
    if len(counted) == 1 and set(counted[0].split("_")) & _COUNT_WORDS:
        return counted[0]
    last = vocabulary.snake(words).split("_")[-1].rstrip("s")  # "2 or more strikes" with `seller_strikes`
    ending = [n for n in known.identifiers if "_" in n and n.split("_")[-1].rstrip("s") == last and len(wanted) == 1]
    return ending[0] if len(ending) == 1 else None


def compared_count(text: str, known: Known) -> Condition | None:
    """ "more than 5 units short" → case.fields.short_units > 5, when `short_units` is a field the SOP names."""
    m = re.fullmatch(
        r"(more than|over|above|at least|fewer than|less than|under|below|at most|up to)\s+(\d+)\s+([a-z][a-z ]{2,40}?)",
        text.strip(),
        re.I,
    )
    if not m or (field := identifier(m.group(3), known)) is None:
        return None
    op = {"more than": ">", "over": ">", "above": ">", "at least": ">=", "fewer than": "<", "less than": "<"}
    op |= {"under": "<", "below": "<", "at most": "<=", "up to": "<="}
    return Condition(f"case.fields.{field} {op[m.group(1).lower()]} {m.group(2)}", text)


FIELD_NOUNS = (
    r"type|category|reason|status|state|grade|level|tier|code|country|region|channel|source|severity|priority"
    r"|segment|language|kind|method|result|outcome|score|count|flag|class|mode|stage|answer|rating|size|band"
)


def named_field(phrase: str, words: str, value: str) -> bool:
    """A field the text names: written as one (`customer_data`, `red_flag`), or a noun phrase ending in a
    field word ("the incident type", "the category") — not a thing with a state ("the device")."""
    if re.fullmatch(r"`?[a-z]+(?:_[a-z0-9]+)+`?", phrase.strip().removeprefix("the ").strip()):
        return True
    return bool(re.search(rf"\b(?:{FIELD_NOUNS})s?$", words)) and not re.match(r"(?:none|all|any|each|every)\b", words)


def result_status(phrase: str, known: Known) -> str | None:
    """ "the status" / "the carrier status" right after a read that returns a status: that read's status."""
    words = vocabulary.normalise(phrase)
    m = re.fullmatch(r"(?:(\w+)\s+)?status", words)
    last = next(reversed(known.results), None)
    if not m or last is None or "status" not in known.returns(last):
        return None
    system = m.group(1)
    if system and system not in (
        last,
        known.results[last].split(".")[0],
        known.results[last].split(".")[1].split("_")[-1],
    ):
        return None
    return f"{last}.status"


def one_of(text: str, known: Known) -> Condition | None:
    """ "the country of registration is one of KY, PA, VG or SC" → case.fields.country in [...], when the SOP
    names the field (`country`) or a result returns it."""
    m = re.match(
        r"^(?:the\s+)?([a-z][\w ]{1,40}?)\s+is\s+(not\s+)?(?:one of|any of|in)\s+(.+)$", text.strip(" ."), re.I
    )
    if not m:
        return None
    values = [v.strip(" '\"`") for v in re.split(r"\s*,\s*|\s+or\s+|\s+and\s+", m.group(3)) if v.strip(" '\"`")]
    if len(values) < 2 or any(len(v.split()) > 3 for v in values):
        return None
    words = vocabulary.normalise(m.group(1)).split()
    fact = vocabulary.fact(m.group(1), known)
    for n in range(len(words), 0, -1):
        if fact:
            break
        field = identifier(" ".join(words[:n]), known)
        fact = f"case.fields.{field}" if field else None
    if fact is None or "(" in fact:
        return None
    listed = "[" + ", ".join(literal(v) for v in values) + "]"
    return Condition(
        f"{'!' if m.group(2) else ''}({fact} in {listed})",
        text,
        (fact.split(".")[0],) if not fact.startswith("case.") else (),
    )


def field_range(text: str, known: Known) -> Condition | None:
    """ "Months in service 12 to 24" → 12 ≤ case.fields.months_in_service ≤ 24 (a range from 0 is its upper bound)."""
    m = re.match(
        r"^(?:the\s+)?([a-z][\w ]{1,30}?)\s+(?:is\s+)?(?:from\s+|between\s+)?(\d+(?:\.\d+)?)\s*(?:to|–|—|-|and)\s*(\d+(?:\.\d+)?)$",
        text.strip(),
        re.I,
    )
    if not m or quantities.duration(text) or quantities.money(text) is not None:
        return None
    if float(m.group(3)) <= float(m.group(2)):
        return None
    fact = vocabulary.fact(m.group(1), known) or "case.fields." + vocabulary.snake(m.group(1))
    if "(" in fact or re.match(r"(?:it|this|that|they|there)\b", m.group(1), re.I):
        return None
    if float(m.group(2)) == 0:
        return Condition(f"{fact} <= {m.group(3)}", text)
    return Condition(f"{fact} >= {m.group(2)} && {fact} <= {m.group(3)}", text)


_TIME_UNIT = {"hour": "hours", "hr": "hours", "minute": "minutes", "min": "minutes", "day": "days"}
_BOUND_WORDS = r"\b(?:under|less than|below|fewer than|over|more than|above|longer than|at least|at most|up to|until|to|or more|or less|or longer|and over|not yet)\b"


def timed_field(text: str, known: Known) -> Condition | None:
    """ "Outage length 4 up to 12 hours" → 4 ≤ case.fields.outage_hours < 12: a length of time compared on a field
    the SOP names with that unit (`outage_hours`) and whose other words the text says ("outage")."""
    unit = re.search(r"\d\s*\+?\s*(hours?|hrs?|minutes?|mins?|days?)\b", text, re.I)
    if not unit:
        return None
    suffix = _TIME_UNIT[unit.group(1).lower().rstrip("s")]
    said = set(vocabulary.snake(text).split("_"))
    # a row of a ladder says only the quantity ("1-14 days", "over 90 days (already with recoveries)")
    bare = not re.sub(
        rf"\([^)]*\)|\d+|\+|{_BOUND_WORDS}|\b(?:hours?|hrs?|minutes?|mins?|days?)\b|[\s$.,:–—-]", "", text, flags=re.I
    )
    fields = [
        name
        for name in sorted(known.identifiers)
        if name != suffix
        and (
            (name.endswith("_" + suffix) and set(name.split("_")[:-1]) <= said) or (bare and suffix in name.split("_"))
        )
    ]
    if len(fields) != 1 or (suffix == "days" and not bare):
        return None
    fact, n = f"case.fields.{fields[0]}", r"(\d+(?:\.\d+)?)"
    units = r"\s*(?:hours?|hrs?|minutes?|mins?|days?)\b"
    patterns = (
        (rf"\b{n}\s?\+{units}", "{f} >= {0}"),
        (rf"\b{n}\s*(?:up to|until)\s*{n}{units}", "{f} >= {0} && {f} < {1}"),
        (rf"\b{n}\s*(?:to|–|—|-)\s*{n}{units}", "{f} >= {0} && {f} <= {1}"),
        (rf"\b(?:under|less than|below|fewer than)\s+{n}{units}", "{f} < {0}"),
        (rf"\b(?:over|more than|above|longer than)\s+{n}{units}", "{f} > {0}"),
        (rf"\b(?:at least\s+{n}{units}|{n}{units}\s+or\s+(?:more|longer))", "{f} >= {0}"),
        (rf"\b(?:at most\s+{n}{units}|up to\s+{n}{units}|{n}{units}\s+or\s+(?:less|fewer|shorter))", "{f} <= {0}"),
        (rf"^\s*{n}{units}\s*(?:\(|$)", "{f} == {0}"),  # a ladder's "0 days (not yet missed a payment)"
    )
    for pattern, template in patterns:
        m = re.search(pattern, text, re.I)
        if m:
            numbers = [g for g in m.groups() if g]
            cel = re.sub(r"^\S+ >= 0 && ", "", template.format(*numbers, f=fact))  # "0 to 14 days": up to 14
            return Condition(cel, text)
    return None


def listed_value(text: str, known: Known) -> Condition | None:
    """ "the event is cancelled", "the ticket type is not resale": a value the SOP lists for one of its fields
    ("event_status (cancelled, postponed or on_sale)") → case.fields.event_status == "cancelled"."""
    m = re.fullmatch(
        r"(?:the\s+)?([a-z][\w' -]{1,40}?)\s+(?:is|are|was|=|==)\s+(not\s+)?[\"'`]?([\w -]{2,30}?)[\"'`]?",
        text.strip(" ."),
        re.I,
    )
    if not m and known.values and (named := _field_then_values(text, known)):
        return named
    if not m and known.values:  # "For no_cooling, …": a value only one field lists, written as it is listed
        bare = text.strip(" .`'\"").lower()
        fields = [f for f, values in known.values.items() if bare in {v.lower() for v in values}]
        if "_" in bare and len(fields) == 1:
            written = next(v for v in known.values[fields[0]] if v.lower() == bare)
            return Condition(f"case.fields.{fields[0]} == {_quoted(written)}", text)
    if not m or not known.values:
        return None
    value = m.group(3).strip().lower().replace(" ", "_")
    subject = set(vocabulary.snake(m.group(1)).split("_"))
    fields = [f for f, values in known.values.items() if value in {v.lower() for v in values}]
    if len(fields) > 1:
        fields = [f for f in fields if subject & set(f.split("_"))]
    if len(fields) != 1:
        return None
    field = fields[0]
    named = subject & set(field.split("_")) or field in vocabulary.snake(m.group(1))
    if not named and subject - {"it", "this", "that", "they", "value"}:
        return None  # "the customer is cancelled": not what the field is about
    written = next(v for v in known.values[field] if v.lower() == value)
    return Condition(f"case.fields.{field} {'!=' if m.group(2) else '=='} {_quoted(written)}", text)


def _field_then_values(text: str, known: Known) -> Condition | None:
    """ "consent_status verified", "none OR revoked": values one listed field has (after its name, or alone
    when no other field lists them)."""
    words = text.strip(" .`'\"")
    head = re.match(r"([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\s+(.+)$", words)
    rest = head.group(2) if head and head.group(1) in known.values else words
    values = [v.strip().lower() for v in re.split(r"\s*(?:/|,|\bor\b|\bOR\b)\s*", rest) if v.strip()]
    if not values or any(not re.fullmatch(r"[a-z][\w-]*", v) for v in values):
        return None
    fields = [head.group(1)] if head and head.group(1) in known.values else list(known.values)
    fields = [f for f in fields if set(values) <= {v.lower() for v in known.values[f]}]
    if len(fields) != 1 or (not head and len(values) < 2):
        return None
    listed = [next(v for v in known.values[fields[0]] if v.lower() == value) for value in values]
    fact = f"case.fields.{fields[0]}"
    if len(listed) == 1:
        return Condition(f"{fact} == {_quoted(listed[0])}", text)
    return Condition(f"{fact} in [{', '.join(_quoted(v) for v in listed)}]", text)


def _quoted(value: str) -> str:
    """A listed value as a string, always ("none" is a value of the field, not zero)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
