"""Is the compiler sure of an automated step? Each check reads one step and returns why not, or None.

Plain functions over a step as a dict (the graph's JSON) and `Sure`, what the compiler knows
independently of the sentence: the facts any system gives (case facts, fields the SOP writes as
fields, declared custom fields and operation outputs, the results of reads in the graph) and the
SOP's own abbreviations. A check never looks at a particular SOP's words: it compares what the step
does with what its sentence says (`gates` turns a "not sure" into a question for a person).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from procedures.case_facts import SENTENCE_FACTS
from procedures.compiler.rules import vocabulary

# case.fields the engine documents (vocabulary.CASE_PHRASES and the carrier of a shipment claim)
DOCUMENTED_FIELDS = frozenset(
    {m.group(1) for v in vocabulary.CASE_PHRASES.values() for m in re.finditer(r"case\.fields\.(\w+)", v)} | {"carrier"}
)
_NUMBER_WORDS = {
    "zero": 0, "no": 0, "none": 0, "one": 1, "a": 1, "an": 1, "single": 1, "two": 2, "twice": 2, "three": 3,
    "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "fifteen": 15, "twenty": 20, "thirty": 30, "fifty": 50, "hundred": 100,
}  # fmt: skip
_TIME_WORDS = re.compile(r"\b(?:years?|yrs?|months?|weeks?|days?|hours?|hrs?|minutes?|mins?)\b", re.I)


@dataclass(frozen=True)
class Sure:
    """What a step may rely on without guessing."""

    identifiers: frozenset[str] = frozenset()  # fields the SOP writes as fields (`prior_strikes`, "| species |")
    custom: frozenset[str] = frozenset()  # declared custom fields and outputs of declared operations
    results: dict[str, tuple[str, ...]] = field(default_factory=dict)  # save_as → what its read returns
    expand: Callable[[str], str] = str  # the SOP's shorthand spelled out ("Ent" → "Enterprise")
    source: str = ""  # the SOP text (criteria under a lead-in are read from it)
    listed_values: frozenset[str] = frozenset()  # values the SOP lists for its fields ("resale", "vip_package")

    def text(self, *parts: str) -> str:
        joined = " ".join(p for p in parts if p)
        return _norm(joined + " " + self.expand(joined))


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-–—/]+", " ", text.lower().replace("’", "'"))


def said(value: str, text: str) -> bool:
    """The value is written in the (normalised) text as a whole word or phrase."""
    value = _norm(value).strip()
    return bool(value) and re.search(rf"(?<![\w]){re.escape(value)}(?:s|es)?(?![\w])", text) is not None


LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')
_PATH = re.compile(r"(?<![\w.])([a-z_][a-z0-9_]*)((?:\.[a-z_][a-z0-9_]*)+)(?!\s*\()")


def fact_paths(cel: str) -> list[str]:
    """The fact paths an expression reads (`case.fields.x`, `account.plan`), string literals left out."""
    return [m.group(1) + m.group(2) for m in _PATH.finditer(LITERAL.sub('""', cel))]


def unknown_fact(cel: str, sure: Sure) -> str | None:
    """A fact no system gives: an undeclared `case.fields.<word>` made from the sentence's words, a case
    attribute that does not exist, or an attribute a read does not return."""
    for path in fact_paths(cel):
        root, *rest = path.split(".")
        if root == "case":
            if not rest or (rest[0] != "fields" and rest[0] not in SENTENCE_FACTS):
                return path
            if rest[0] == "fields" and len(rest) > 1:
                name = rest[1]
                if name in sure.listed_values - sure.custom:  # "a VIP package over $1,000": a value, not a field
                    return path
                if name not in sure.identifiers | DOCUMENTED_FIELDS | sure.custom and not _field_word(name):
                    return path
        elif root in sure.results:
            returns = sure.results[root]
            if returns and rest and rest[0] not in returns:
                return path
        elif len(root) > 1:  # a one-letter root is a macro's variable (`a.kind` in `filter(a, …)`)
            return path
    return None


def conjuncts(cel: str) -> list[str]:
    """The top-level parts of `A && B && C` (outer parentheses dropped); [cel] when it is not a conjunction."""
    parts, depth, quoted, begin = [], 0, False, 0
    for i, char in enumerate(cel):
        if char == '"' and (i == 0 or cel[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and char in "([":
            depth += 1
        elif not quoted and char in ")]":
            depth -= 1
        elif not quoted and depth == 0 and cel.startswith("&&", i):
            parts.append(cel[begin:i])
            begin = i + 2
    parts.append(cel[begin:])
    return [_unwrap(p.strip()) for p in parts] if len(parts) > 1 else [cel]


def _unwrap(part: str) -> str:
    """`(a)` → `a` when the parentheses hold the whole part (not `(a) || (b)`)."""
    if not (part.startswith("(") and part.endswith(")")):
        return part
    depth = 0
    for i, char in enumerate(part):
        depth += char == "("
        depth -= char == ")"
        if depth == 0 and i < len(part) - 1:
            return part
    return part[1:-1]


_AGES = frozenset({"purchase_age_days", "tenure_days", "delay_days"})  # the documented ages and delays in days


def unspoken_field(cel: str, text: str, sure: Sure) -> str | None:
    """A field the SOP does not declare and the compiler named: a day count other than the documented ages
    ("the member asks for more than 3 months" read as `member_asks_days`), or a field-word name not said in full."""
    for path in fact_paths(cel):
        name = path.removeprefix("case.fields.")
        if not path.startswith("case.fields.") or name in sure.identifiers | sure.custom | DOCUMENTED_FIELDS | _AGES:
            continue
        words = [w for w in name.split("_") if w not in ("days", "hours", "count", "last", "year", "num")]
        if name.endswith("_days"):
            return path  # a day count named after the sentence's words ("member asks" → `member_asks_days`)
        if not all(re.search(rf"\b{re.escape(w[:5])}", text) for w in words):
            return path
    return None


_ANCHORED = re.compile(
    r"\b(?:within|after|before|since|from|of)\s+(?:\w+\s+){0,2}?(?:business\s+|working\s+|calendar\s+)?"
    r"(?:days?|hours?|weeks?|months?)\s+(?:of|after|from|since|before|past)\s+(?:the\s+|a\s+|an\s+|their\s+|its\s+|our\s+)?"
    r"([a-z][\w'-]*(?:\s+[a-z][\w'-]*){0,3})",
    re.I,
)
_ANCHOR_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "and",
        "or",
        "is",
        "are",
        "was",
        "it",
        "they",
        "we",
        "that",
        "this",
    ]
)


_MUST_SAY = re.compile(
    r"\b(?:must|should|needs? to|has to|have to)\s+(?:name|include|contain|mention|state|give|list|specify|quote|show)\b",
    re.I,
)


def _required_content(cel: str, text: str, sure: Sure) -> str | None:
    """ "A request must name the project ID, the resource and the new limit" read as `has(…) && has(…)`: whether a
    message names something the engine has no field for is read from its text by a person."""
    named = re.findall(r"has\(case\.fields\.(\w+)\)", cel)
    if any(n not in DOCUMENTED_FIELDS | sure.custom for n in named) and (found := _MUST_SAY.search(text)):
        return f"the sentence says what a request {found.group(0)!r}: a person reads whether it does"
    return None


_COMPARISON_WORDS = re.compile(
    r"\b(?:over|above|under|below|more|less|fewer|greater|higher|lower|least|most|up\s+to|to|through|thru|between"
    r"|from|within|exceed\w*|beyond|after|before|older|younger|longer|shorter|newer|plus|max\w*|min\w*|until|past"
    r"|since|and\s+up|or\s+(?:more|less|fewer|above|below|over|under|higher|lower|later|earlier)|late|early|no|not"
    r"|than|any|outside|inside|ahead|behind|remaining|left|only|exactly|equals?|is|are|was|has|have|of|at)\b"
    r"|[<>≤≥+–-]|\d\s*(?:to|-|–)\s*\d",
    re.I,
)


def comparison_unsaid(cel: str, label: str) -> str | None:
    """ "replacement fee $25. fee waived if plan is Enterprise" read as `case.amount >= 25`: the case states a
    number with no comparison word around it, so the compiler chose the operator."""
    if not re.search(r"(?:<=?|>=?)\s*-?\d", LITERAL.sub('""', cel)) or not label:
        return None
    if _COMPARISON_WORDS.search(label):
        return None
    return f"the case “{label}” says no comparison (over, under, at least…): which way does it go?"


def other_anchor(cel: str, text: str) -> str | None:
    """ "nothing received within 10 days of the first instalment date" read as `days_overdue <= 10`: the case
    counts from an event the compared fact is not named after."""
    found = _ANCHORED.search(text)
    if not found:
        return None
    words = [w for w in re.findall(r"[a-z]+", found.group(1).lower()) if w not in _ANCHOR_STOP and len(w) > 2]
    for path in fact_paths(cel):
        name = path.rsplit(".", 1)[-1]
        if not re.search(r"days|hours|weeks|months|age", name) or not words:
            continue
        if not any(w[:4] in name for w in words):
            return found.group(1).strip()
    return None


_FIELD_WORDS = frozenset(
    [
        "type",
        "category",
        "reason",
        "status",
        "state",
        "grade",
        "level",
        "tier",
        "code",
        "country",
        "region",
        "channel",
        "source",
        "severity",
        "priority",
        "segment",
        "language",
        "kind",
        "method",
        "result",
        "outcome",
        "score",
        "count",
        "flag",
        "class",
        "mode",
        "stage",
        "answer",
        "rating",
        "size",
        "band",
        "days",
    ]
)


def _field_word(name: str) -> bool:
    """A field named by a field word ("the incident type" → `incident_type`), or an age or delay in days (`<x>_days`):
    the text names it as a field (`unspoken_field` checks that the words are the case's own)."""
    return name.rsplit("_", 1)[-1] in _FIELD_WORDS


def _numbers_said(cel: str, text: str) -> str | None:
    """A number compared that the text does not write (as digits, 5k, or a word), unless the text counts time
    (a year is 365 days) or money in thousands."""
    for match in re.finditer(r"(?<![\w.\"])(-?\d+(?:\.\d+)?)(?![\w\"])", LITERAL.sub('""', cel)):
        number = float(match.group(1))
        forms = {match.group(1)}
        if number == int(number):
            whole = int(number)
            forms |= {str(whole), f"{whole:,}"}
            if whole and whole % 1000 == 0:
                forms.add(f"{whole // 1000}k")
        if any(re.search(rf"(?<![\d.]){re.escape(f)}(?!\d)", text) for f in forms):
            continue
        if any(n == number and re.search(rf"\b{w}\b", text) for w, n in _NUMBER_WORDS.items()):
            continue
        if _TIME_WORDS.search(text) and _converted(number, text):
            continue
        return match.group(1)
    return None


_UNIT_FACTORS = {  # the factors a number written in each unit may be converted by
    "min": (60, 1440),
    "hou": (24, 60, 168),
    "hrs": (24, 60, 168),
    "day": (7, 24, 30, 31, 365, 1440),
    "wee": (7, 52, 168),
    "mon": (12, 30, 31),
    "yea": (12, 52, 365),
    "yrs": (12, 52, 365),
}


def _converted(number: float, text: str) -> bool:
    """The number is a number of the text in other time units ("2 years" → 730 days, "48 hours" → 2 days); "12 hours"
    is not 1 day."""
    stated = [
        (float(m.group(1).replace(",", "")), m.group(2).lower())
        for m in re.finditer(r"(?<![\d.])(\d[\d,]*(?:\.\d+)?)\s*(min|hou|hrs|day|wee|mon|yea|yrs)?", text, re.I)
    ]
    stated += [(n, "") for w, n in _NUMBER_WORDS.items() if n > 1 and re.search(rf"\b{w}\b", text)]
    if not stated:
        return True  # "a year", "a week": nothing written to convert from
    for value, unit in stated:
        factors = (1, *_UNIT_FACTORS.get(unit, tuple({f for fs in _UNIT_FACTORS.values() for f in fs})))
        if any(abs(number - value * f) < 1e-9 or abs(number * f - value) < 1e-9 for f in factors):
            return True
    return False


def unsure_condition(when: str, label: str, instruction: str, sure: Sure, *, part: bool = False) -> str | None:
    """Why a branch condition is not sure: a fact no system gives, or a value its sentence does not say."""
    if fact := unknown_fact(when, sure):
        words = fact.rsplit(".", 1)[-1].replace("_", " ")
        return f"`{fact}` is not a fact any system gives: which system tells us the {words}?"
    text = sure.text(label, instruction)
    if named := re.search(r"\.(\w+_(?:id|ids|number|code|email|name|ref|reference|url))\s*(?:==|<=?|>=?)\s*0\b", when):
        return f"`{named.group(1)}` names something, not a count: compare it with a number?"
    for plus in re.findall(r"(\d+)\s?\+(?![\d+])", label or instruction):  # "61+ days": 61 or more
        if re.search(rf"==\s*{plus}(?:\.0)?\b", when):
            return f"“{plus}+” means {plus} or more, not exactly {plus}"
    if anchor := other_anchor(when, label or instruction):
        return f"the case counts time from {anchor!r}, which the condition's fact does not measure"
    if has_asked := _required_content(when, label or instruction, sure):
        return has_asked
    if made_up := unspoken_field(when, text, sure):
        return f"`{made_up}` is named from no words of the case: which system tells us this?"
    for value in (_plain(v) for v in LITERAL.findall(when)):
        if value.lower() in ("the", "a", "an", "this", "that", "same", "it", "any", "one"):
            return f"“{value}” is a word of the sentence, not a value"  # "tagged with the same issue three times"
        if not value and re.search(r"\b(?:no|not|without|empty|missing|blank|unassigned)\b", text):
            continue  # "still has no assignee": compared with nothing
        if not re.search(r"[A-Za-z0-9]", value):
            return f"the value {value!r} is not a value"
        if re.match(
            r"(?:below|above|over|under|(?:more|less|fewer|greater|higher|lower|bigger|smaller|longer|shorter) than"
            r"|at least|at most|up to|or (?:more|less|fewer))\b",
            value.strip(),
            re.I,
        ):
            return f"“{value}” is a comparison, not a value"
        if re.search(r"(?:^|[\s_])(?:is|are|was|were|has|have|does|did)(?:[\s_]|$)", value.strip().lower()):
            return f"“{value}” is a clause of the sentence, not a value"
        if re.fullmatch(_STATES, value.strip().lower()):
            return f"“{value}” is a state (whether the fact is there), not a value to compare with"
        if not said(value, text):
            return f"the value {value!r} is not one the sentence names"
    if number := _numbers_said(when, _norm(label or instruction)):
        return f"the number {number} is not one the case “{label or instruction}” names"
    if part:  # one half of "A and B": what the whole case says is checked on the whole
        return None
    if unsaid := comparison_unsaid(when, label or instruction):
        return unsaid
    if backwards := direction_contradicts(when, label):
        return backwards
    if more := list_goes_on(label, instruction):
        return f"the case goes on ({more!r}), which the condition does not read"
    if noun := other_fact_named(when, label) or other_fact_named(when, _if_clause(instruction) if label else ""):
        return f"the case speaks of the {noun}, which the condition does not read"
    if leftover := unconsumed_numbers(when, label):
        return f"the case “{label}” also says {leftover}, which the condition does not compare"
    if own := unread_field(when, label, sure):
        return f"the case names the field `{own}`, which the condition does not read"
    if field := shadowed(when, sure):
        read = field[0] if field[0].startswith("case.") else f"case.fields.{field[0]}"
        return f"`{read}` is read, but the SOP names the field `{field[1]}`: which one is meant?"
    return None


_LABEL_NUMBER = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s*([kK])?(?![\w.])")
_LABEL_RANGE = re.compile(
    r"(\d[\d,]*(?:\.\d+)?)\s*[kK]?\s*(?:[a-z%]+\s+)?(?:up to and including|to|up to|until|through|–|—|-|and)\s*[$€£]?\s?(\d[\d,]*(?:\.\d+)?)",
    re.I,
)


def _number(text: str, thousands: str | None = None) -> float:
    return float(text.replace(",", "")) * (1000 if thousands else 1)


_STATES = r"missing|empty|blank|present|provided|not provided|unknown|none|n/?a|null|filled(?: in)?|given|set|unset"
# Words that name a fact of their own: a case that names one ("Gold tier customers") is about that fact.
_FACT_NOUNS = ("tier", "priority", "status", "severity", "group", "category", "region", "country", "segment")


_LESS_WORDS = re.compile(
    r"\b(?:under|below|less|fewer|lower|shorter|younger|within|up to|at most|no more than)\b|<|≤", re.I
)
_MORE_WORDS = re.compile(
    r"\b(?:over|above|more|greater|higher|longer|older|exceed\w*|beyond|at least|or more|plus|and up|no less than|"
    r"after|past|late)\b|(?<![-=])>|≥|\d\s*\+",
    re.I,
)


def direction_contradicts(cel: str, label: str) -> str | None:
    """ "amount under $10" read as `case.amount > 10`: the case says one direction and the condition the other."""
    ops = set(re.findall(r"(<=?|>=?)\s*-?\d", LITERAL.sub('""', cel)))
    if not ops or not label or len(_LABEL_NUMBER.findall(label)) != 1:
        return None  # a range ("from $25 up to $500") has a bound each way
    less, more = _LESS_WORDS.search(label), _MORE_WORDS.search(label)
    if less and not more and ops <= {">", ">="}:
        return f"the case says {less.group(0)!r}, the condition compares the other way"
    if more and not less and ops <= {"<", "<="} and not re.search(r"\bnot\b|\bno\b", label, re.I):
        return f"the case says {more.group(0)!r}, the condition compares the other way"
    return None


def _if_clause(instruction: str) -> str:
    """ "Platinum members: if the member's tier is Platinum, set …" → "the member's tier is Platinum"."""
    found = re.search(r"\b(?:if|when|where)\s+([^,;:.]{3,80})", instruction, re.I)
    return found.group(1) if found else ""


def other_fact_named(cel: str, label: str) -> str | None:
    """The case names a fact ("the Gold tier") and the condition reads none by that name (`account.plan`)."""
    paths = " ".join(fact_paths(cel))
    for noun in _FACT_NOUNS:
        if re.search(rf"\b{noun}\b", label, re.I) and noun not in paths:
            return noun
    return None


def unconsumed_numbers(cel: str, label: str) -> str | None:
    """A number the case states that the condition leaves out ("Outage 4 up to 12 hours and Credit $25" read as
    `amount <= 25`): the condition did not read the whole case. One bound of a range may be left to the rung next
    to it; a unit conversion (2 years → 730 days) is not checked."""
    compared = {float(n) for n in re.findall(r"(?<![\w.\"])(-?\d+(?:\.\d+)?)(?![\w\"])", LITERAL.sub('""', cel))}
    stated = {_number(m.group(1), m.group(2)) for m in _LABEL_NUMBER.finditer(label)}
    if not stated or not compared or not compared <= stated:
        return None  # nothing stated, nothing compared, or converted units
    for m in _LABEL_RANGE.finditer(label):
        low, high = _number(m.group(1)), _number(m.group(2))
        if low in compared or high in compared:
            stated -= {low, high}
    left = sorted(stated - compared)
    return ", ".join(f"{n:g}" for n in left) if left else None


def unread_field(cel: str, label: str, sure: Sure) -> str | None:
    """The case names a field the SOP writes as one ("Change fee $75" with `change_fee`) that the condition
    does not read (it reads another fact)."""
    spoken = _norm(label)
    for own in sorted(sure.identifiers, key=len, reverse=True):
        if "_" in own and said(own, spoken) and own not in cel:
            return own
    return None


def _plain(value: str) -> str:
    """A regex literal read as the words it matches: `(?i)gas smell|gas leak` → "gas smell"."""
    value = re.sub(r"^\(\?i\)", "", value)
    return value.split("|")[0].replace("\\", "") if "|" in value or value != value.strip() else value.replace("\\", "")


def list_goes_on(label: str, instruction: str) -> str | None:
    """ "If the customer mentions a gas smell, a CO alarm or scorch marks, …" read as "mentions a gas smell": the
    list of alternatives after the case's words is left out."""
    at = instruction.find(label) if label else -1
    if at < 0:
        return None
    after = instruction[at + len(label) :]
    found = re.match(
        r"\s*,\s*((?:an?\s+)?[\w' -]{1,40}?(?:\s*,\s*[\w' -]{1,40}?){0,4}\s+(?:or|and)\s+[\w' -]{1,40}?)\s*(?:,|$)",
        after,
    )
    return found.group(1) if found else None


_AMOUNT_SAID = re.compile(
    r"\b(?:ticket|case|order|claim|invoice|refund|disputed|the)\s+amount\b|\bamount field\b", re.I
)
_MONEY_FIELD = re.compile(
    r"(?:^|_)(?:estimate|fee|cost|price|value|total|charge|shortfall|balance|spend|usd|eur|gbp|amount)(?:_|$)"
)


@functools.lru_cache(maxsize=4)
def _amount_said(source: str) -> bool:
    """The SOP calls the money the case's amount (read once per SOP, not once per condition)."""
    return _AMOUNT_SAID.search(source) is not None


def shadowed(cel: str, sure: Sure) -> tuple[str, str] | None:
    """A documented field (`reason`) read where the SOP writes a field of its own around that word
    (`change_reason`): the SOP's field is likely the one meant."""
    for path in fact_paths(cel):
        if path == "case.amount":  # "(repair_estimate)" names the money; an `overcharge_amount` is another amount
            own = sorted(i for i in sure.identifiers if _MONEY_FIELD.search(i) and i != "amount")
            amounts = [i for i in own if i.endswith("_amount")]
            if amounts or (own and not _amount_said(sure.source)):
                return "case.amount", (amounts or own)[0]
        name = path.removeprefix("case.fields.")
        if path.startswith("case.fields.") and re.search(rf"{re.escape(path)}\s*(?:<|>)", cel):
            longer = sorted(
                i for i in sure.identifiers if i.startswith(name + "_") and _MONEY_FIELD.search(i[len(name) :])
            )
            if longer:  # "Overcharge under $5" read as `overcharge` where the SOP names `overcharge_amount`
                return name, longer[0]
        if path.startswith("case.fields.") and name in DOCUMENTED_FIELDS and name not in sure.identifiers:
            for own in sorted(sure.identifiers):
                if own != name and name in own.split("_"):
                    return name, own
    return None
