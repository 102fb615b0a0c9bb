"""Turn a condition as written ("the plan is Free", "over $5,000", "tagged VIP") into CEL.

`condition(text, known)` returns a `Condition` or None when the phrase is not
one the rules understand (the caller then asks a judgement question instead).
"""

from __future__ import annotations

import re

from procedures.compiler.rules import (
    asides,
    declared,
    derived_labels,
    field_numbers,
    named_values,
    plans,
    quantities,
    ticket_words,
    unnamed_facts,
    vocabulary,
)
from procedures.compiler.rules.amount_ranges import AMOUNT_WORDS, RANGE_SHAPE, amount_range
from procedures.compiler.rules.clauses import VERBS
from procedures.compiler.rules.comparisons import GE, GT, LE, LT, Condition, literal, operator_of
from procedures.compiler.rules.fields import (
    counted_field,
    field_range,
    identifier,
    listed_value,
    money_field,
    named_field,
    one_of,
    result_status,
    timed_field,
)
from procedures.compiler.rules.listed_values import as_listed, unlisted_values
from procedures.compiler.rules.vocabulary import Known

_SEVERITIES = ("critical", "high", "medium", "low")


def _negate(op: str) -> str:
    return {">": "<=", ">=": "<", "<": ">=", "<=": ">", "==": "!=", "!=": "=="}[op]


def _is_negated(text: str) -> bool:
    return bool(re.search(r"\b(?:not|isn't|isn’t|no longer|never)\b|n't\b|!=", text, re.I))


def _bare_amount(text: str) -> float | None:
    """ "the amount is over 500" → 500.0: a number compared with an amount word, no currency sign, no time unit."""
    if not re.search(AMOUNT_WORDS, text, re.I) or quantities.duration(text) is not None:
        return None
    match = re.search(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)(?![\w.%])", text)
    return float(match.group(1).replace(",", "")) if match and operator_of(text) else None


_AMOUNT_NOUNS = r"order|claim|refund|invoice|cart|purchase|credit|payment|transaction|charge|total|case|request|amt"


_OTHER_THING = re.compile(
    rf"\b([a-z]+?)s?\s+(?:(?:is|are|was|were|be|of|worth|valued at)\s+)*(?:{GT}|{LT}|{GE}|{LE})\s*[$€£]"
    # "the repair quote is $2,500 or more": the comparison written after the sum
    r"|\b([a-z]+?)s?\s+(?:(?:is|are|was|were|be|of|worth|valued at)\s+)*[$€£]\s?\d[\d,.]*\s*[km]?\s*"
    r"(?:\+|or\s+(?:more|less|above|below|over|under|higher|lower)|and\s+(?:above|over|up(?!\s+to)|under|below))",
    re.I,
)

# "€2,000/year", "$500 per month", "£10k a year": a sum over a period (a volume, a turnover), not this case's amount
_PER_PERIOD = re.compile(
    r"[$€£]\s?\d[\d,.]*\s*[km]?\s*(?:/\s*|\bper\s+|\ba\s+|\beach\s+)(?:year|yr|month|mo|week|wk|day|annum|quarter)\b"
    r"|[$€£]\s?\d[\d,.]*\s*[km]?\s+(?:annually|yearly|monthly|weekly|daily)\b",
    re.I,
)


def _money(text: str) -> Condition | None:
    if _PER_PERIOD.search(text):
        return None
    other = re.search(r"\b(\w+)\s+(?:value|cost)\b", text, re.I)
    if other and not re.fullmatch(
        _AMOUNT_NOUNS + r"|the|its|their|this|that|a|an|claimed|disputed|requested", other.group(1), re.I
    ):
        return None  # "the damaged value is over $2,500" is not the case amount
    thing = _OTHER_THING.search(text.strip())
    if thing and not re.fullmatch(
        _AMOUNT_NOUNS
        + r"|chargeback|dispute|return|expense|bill|deal|item|amount|value|total|price|cost|sum|worth|spend"
        r"|balance|anything|everything|one|it|that|this|them|those|spent|pay|paid|costs?|fee|if|when|for|and|or|but|no|not",
        thing.group(1) or thing.group(2),
        re.I,
    ):
        return None  # "Lost parcels over $1,000": the parcel's value, which is not said to be the case amount
    if ranged := amount_range(text):
        return ranged
    if RANGE_SHAPE.search(text):
        return None  # a range the rules cannot read for certain: a question, never one of its bounds
    amount = quantities.money(text)
    if amount is None:
        amount = _bare_amount(text)
    if amount is None:
        return None
    op = operator_of(text) or ">="
    return Condition(f"case.amount {op} {amount:.1f}", text)


def _stage(text: str) -> Condition | None:
    match = re.search(r"\b(?:opportunity|deal)\b.*?\b(closed won|closed lost|negotiation|proposal)\b", text, re.I)
    if not match:
        return None
    return Condition(f'opportunity.stage == "{match.group(1).title()}"', text, ("opportunity",))


def _subject_of_request(text: str) -> Condition | None:
    """ "Requests for the billing database" → the system the request is for."""
    match = re.match(
        r"^(?:all\s+|any\s+)?(?:access\s+)?(?:requests?|tickets?|cases?|claims?|orders?)\s+(?:for|to|on)\s+(?:the\s+)?([\w -]+?)\s*$",
        text.strip(),
        re.I,
    )
    if not match:
        return None
    thing = match.group(1).strip().lower()
    if re.search(r"\d|\b(?:more|less|over|under)\b", thing):
        return None
    field = "system" if re.search(r"database|system|app|application|tool|server|repository", thing) else "product"
    return Condition(f'case.fields.{field} == "{thing}"', text)


def _tag(text: str) -> Condition | None:
    # "VIP" alone may be an account attribute in Salesforce: only "tagged VIP" is a tag test
    match = re.search(
        r"\btagged\s+(?:as\s+|with\s+)?`?([\w-]+)`?|\b(VIP)\b(?=.*\btag)"
        r"|\b(?:has|carries|have|with)\s+(?:the\s+|a\s+)?tag\s+`?([a-z][\w-]*)`?"  # "the ticket has the tag child-safety"
        # "the case has the fraud-review tag", 'the ticket carries the "urgent" tag': a tag written as a name (quoted
        # or hyphenated), never "the ticket has a new tag"
        r"|\b(?i:ticket|case|request)\s+(?:has|carries|bears)\s+(?:the\s+|a\s+)?(?:\"([a-z][\w-]*)\"|([a-z]\w*-[\w-]+))\s+tag\b",
        text,
    )
    if not match:
        return None
    tag = next(g for g in match.groups() if g).lower()
    if tag in ("for", "from", "in", "on", "of", "with", "to", "that", "this", "its", "their", "each"):
        return None  # "tag the ticket with the tag for the band": no tag named
    expr = f'"{tag}" in case.tags'
    return Condition(f"!({expr})" if _is_negated(text) else expr, text)


def _severity(text: str) -> Condition | None:
    sev = re.findall(r"\bSEV\s?(\d)\b", text, re.I)
    if sev:
        levels = [f"SEV{n}" for n in sev]
        if re.search(r"\b(?:and|or) (?:below|lower)\b", text, re.I):
            levels += [f"SEV{n}" for n in range(int(sev[-1]) + 1, 6)]
        if len(levels) == 1:
            return Condition(f'case.fields.severity == "{levels[0]}"', text)
        return Condition("case.fields.severity in [" + ", ".join(f'"{v}"' for v in levels) + "]", text)
    words = [w.lower() for w in re.findall(r"\b(critical|high|medium|low)\b", text, re.I)]
    if words and re.search(r"severity|critical|reports?", text, re.I):
        if len(words) == 1:
            return Condition(f'case.fields.severity == "{words[0]}"', text)
        return Condition("case.fields.severity in [" + ", ".join(f'"{w}"' for w in words) + "]", text)
    return None


def _count(text: str, known: Known) -> Condition | None:
    match = re.search(rf"\b({quantities.NUMBER})\s+(or more|or fewer|or less)\s+([a-z][a-z -]+)", text, re.I)
    if not match or quantities.money(text) is not None:
        return None
    words = re.split(r"\s+(?:in|during|within)\s+", match.group(3))[0]
    op = ">=" if match.group(2).lower() == "or more" else "<="
    count = int(quantities.number(match.group(1)))
    if own := field_numbers.counted_in_period(words, text, known):  # "3 or more claims in the last 90 days"
        return Condition(f"case.fields.{own} {op} {count}", text)
    if own := identifier(words, known):  # "2 or more strikes" with the SOP's `seller_strikes`
        return Condition(f"case.fields.{own} {op} {count}", text)
    noun = vocabulary.snake(words)
    suffix = "_last_year" if re.search(r"last year|past year|12 months", text, re.I) else ""
    if known.identifiers and f"{noun}{suffix}" not in known.identifiers:
        return None  # the SOP names its fields, and not this one: a question, never an invented field
    return Condition(f"case.fields.{noun}{suffix} {op} {count}", text)


def _years(text: str) -> Condition | None:
    """ "patients under 18", "customers aged 65 or over" → the person's age."""
    m = re.search(
        r"\b(?:patients?|people|persons?|customers?|users?|members?|applicants?|children|minors|employees?)\s+"
        r"(under|over|below|above|younger than|older than|aged)\s+(\d{1,3})\b(?!\s*(?:days?|hours?|months?|weeks?|%|\$))",
        text,
        re.I,
    )
    if not m:
        return None
    op = {"under": "<", "below": "<", "younger than": "<", "over": ">", "above": ">", "older than": ">", "aged": "=="}
    return Condition(f"case.fields.age {op[m.group(1).lower()]} {m.group(2)}", text)


def _age(text: str, known: Known) -> Condition | None:
    dur = quantities.duration(text)
    within = re.search(rf"\bwithin\s+{quantities.NUMBER}\s+(?:business\s+)?days?\b", text, re.I)
    op = "<=" if within and operator_of(text) is None else operator_of(text)
    if dur is None or op is None or re.search(r"\bwait|->|→", text, re.I):
        return None
    if not within and not re.search(rf"(?:{GT}|{LT}|{GE}|{LE})\s*{quantities.NUMBER}\s", text, re.I):
        return None  # the comparison must be on the duration itself ("more than 30 days")
    days = dur.days + (1 if dur.hours else 0)
    named = [i for i in sorted(known.identifiers) if re.search(r"(?:^|_)days(?:_|$)", i)]
    if len(named) == 1:  # the SOP names its day count (`days_since_delivery`): that field, no invented one
        return Condition(f"case.fields.{named[0]} {op} {days}", text)
    fact = unnamed_facts.age(text)
    if fact and (picked := unnamed_facts.answered(fact)):  # a person said which field holds it, in the editor
        return Condition(f"{picked} {op} {unnamed_facts.counted(fact, dur.days, dur.hours)}", text)
    if within:
        return None
    if fact is None or fact.proposed not in known.identifiers:
        return None  # a day count the SOP does not name (`purchase_age_days` from "bought < 2 yrs ago"): a question
    return Condition(f"case.fields.{fact.proposed} {op} {days}", text)


def _not_found(text: str, known: Known) -> Condition | None:
    """ "serial not found" → the last lookup found nothing."""
    if not re.search(r"\bnot found\b|\bno match(?:es)?\b|\bunknown\b|\bdoes(?:n't| not) exist\b", text, re.I):
        return None
    for save_as in reversed(list(known.results)):
        if known.results[save_as] == "http.request":
            return Condition(f"{save_as}.status == 404", text)
        if "id" in known.returns(save_as):
            return Condition(f"!has({save_as}.id)", text)
    return None


_FIELD_WORDS = re.compile(r"^[a-z][a-z0-9_]*(?:[ _][a-z0-9]+){0,2}$")


def _equals(text: str, known: Known) -> Condition | None:
    """ "the incident type is phish-click" → case.fields.incident_type == "phish-click": a field the text names."""
    text = re.sub(r"\bis anything (?:other|else) than\b|\bis anything but\b", "is not", text, flags=re.I)
    match = re.search(
        r"^(?:the\s+)?([\w' ]+?)\s+(?:is|equals|=|==)\s+(not\s+)?[\"`]?([\w -]+?)[\"`]?$", text.strip(" ."), re.I
    )
    if not match:
        return None
    phrase, value = (
        re.sub(r"^(?:if|when|where|unless)\s+", "", match.group(1).strip(), flags=re.I),
        match.group(3).strip(),
    )
    if re.match(r"(?:there|it|this|that|they)\b", phrase, re.I):
        return None
    if (
        re.match(r"(?:a|an|the|any|some|set|on|in|at|from|not|still|being|already)\b", value, re.I)
        or len(value.split()) > 3
    ):
        return None
    if re.match(r"[a-z]+ed\b", value, re.I) and len(value.split()) > 1:
        return None  # "flagged for fraud" is a state the text describes, not a field value
    if re.match(
        r"(?:below|above|over|under|more|less|fewer|greater|higher|lower|at least|at most|up to)\b", value, re.I
    ):
        return None  # "the rating is below 85 percent" compares; it names no value
    if re.fullmatch(r"missing|empty|blank|absent|present|provided|given|unknown|known|set|filled(?: in)?", value, re.I):
        return None  # "the serial number is missing" says whether it is there, not what it is
    fact = result_status(phrase, known) or vocabulary.fact(phrase, known)
    if fact is None:
        words = vocabulary.normalise(phrase)
        if not _FIELD_WORDS.match(words) or re.match(r"(?:it|this|that|they|he|she|customer|requester|user)$", words):
            return None
        coded = re.fullmatch(r"[a-z]+(?:_[a-z0-9]+)+", value)  # "the request is transfer_out": a field's code
        yes_no = value.lower() in ("true", "false") and len(words.split()) <= 2  # "voided is true": a yes/no field
        if (
            not (named_field(phrase, words, value) or coded or yes_no)
            and vocabulary.snake(words) not in known.identifiers
        ):
            return None  # "the device is lost or stolen": a state told in words, not a field the text names
        fact = "case.fields." + vocabulary.snake(words)
    if "(" in fact or fact.startswith("case.requester"):
        return None
    op = "!=" if _is_negated(text) or match.group(2) else "=="
    needs = (fact.split(".")[0],) if not fact.startswith("case.") else ()
    choices = [v.strip() for v in re.split(r"\s+or\s+|\s*,\s*", value) if v.strip()]
    if len(choices) > 1:
        listed = "[" + ", ".join(literal(v) for v in choices) + "]"
        return Condition(f"{'!' if op == '!=' else ''}({fact} in {listed})", text, needs)
    return Condition(f"{fact} {op} {literal(value)}", text, needs)


def _status(text: str, known: Known) -> Condition | None:
    """ "In transit" / "Not yet picked up" right after a lookup that returns a status: a value of that status."""
    words = vocabulary.normalise(text)
    first = words.split()[0] if words else ""
    if not words or len(words.split()) > 4 or first in VERBS or re.search(r"\d|\$", text):
        return None
    last = next(reversed(known.results), None)
    if last is None or "status" not in known.returns(last):
        return None
    value = vocabulary.snake(text)
    allowed = vocabulary.STATUS_VALUES.get(known.results[last], ())
    if not any(v == value or v in value for v in allowed):
        return None  # not a value the source system can return
    return Condition(f'{last}.status == "{value}"', text)


def _field_compare(text: str, known: Known) -> Condition | None:
    """ "the prior strikes is at least 2" → case.fields.prior_strikes >= 2: a number field the text names."""
    text = re.sub(r"\bis negative$", "is below 0", re.sub(r"\bis positive$", "is above 0", text.strip()))
    text = re.sub(r"(\d),(\d{3})\b", r"\1\2", re.sub(r"(\d),(\d{3}),(\d{3})\b", r"\1\2\3", text))
    m = re.match(
        r"^(?:the\s+)?([a-z][\w ]{1,30}?)\s+(?:is\s+|are\s+)?(at least|at most|up to|more than|less than|fewer than|greater than|higher than|lower than|no more than|no less than|over|under|below|above|>=|<=|>|<)\s+(-?\d+(?:\.\d+)?)$",
        text.strip(),
        re.I,
    )
    bounded = re.match(  # "detention_hours is 2 or less" (a bound, never a list of two values)
        r"^(?:the\s+)?([a-z][\w ]{1,30}?)\s+(?:is|are)\s+(\d+(?:\.\d+)?)\s+or\s+(less|fewer|lower|below|under|more|greater|higher|above|over)$",
        text.strip(),
        re.I,
    )
    if bounded and (fact := vocabulary.fact(bounded.group(1), known)) and "(" not in fact:
        op = "<=" if bounded.group(3).lower() in ("less", "fewer", "lower", "below", "under") else ">="
        return Condition(f"{fact} {op} {bounded.group(2)}", text)
    if (between := field_numbers.ranged(text, known)) and not quantities.duration(text):
        phrase, low, a, high, b = between
        fact = vocabulary.fact(phrase, known) or "case.fields." + vocabulary.snake(phrase)
        if "(" not in fact and not re.match(r"(?:it|this|that|they|there)\b", phrase, re.I):
            return Condition(f"{fact} {low} {a} && {fact} {high} {b}", text)
    if not m or quantities.duration(text) or quantities.money(text) is not None:
        return None
    if re.search(r"\b\d+\b|\b(?:more|less|fewer|over|under|above|below|than|up|least|most|and|or)\b", m.group(1), re.I):
        return None  # "more than 12 and up to 24": bounds, not the name of a field
    fact = vocabulary.fact(m.group(1), known) or "case.fields." + vocabulary.snake(m.group(1))
    if "(" in fact or re.match(r"(?:it|this|that|they|there)\b", m.group(1), re.I):
        return None
    op = {
        "at least": ">=",
        "at most": "<=",
        "more than": ">",
        "over": ">",
        "less than": "<",
        "fewer than": "<",
        "under": "<",
        "below": "<",
        "above": ">",
        "greater than": ">",
        "higher than": ">",
        "lower than": "<",
        "no more than": "<=",
        "no less than": ">=",
        "up to": "<=",
    }
    return Condition(f"{fact} {op.get(m.group(2).lower(), m.group(2))} {m.group(3)}", text)


def _flag_set(text: str, known: Known) -> Condition | None:
    """ "the Salesforce risk flag is set" → account.risk_flag == true: a yes/no attribute an earlier read returns."""
    m = re.match(
        r"^(?:the\s+)?(?:salesforce\s+)?((?:[\w ]+?(?:'s|’s)\s+)?[\w ]+?)\s+(?:is\s+)?(set|ticked|checked|true|on|not set|unset)\b",
        text.strip(),
        re.I,
    )
    if not m:
        return None
    attr = vocabulary.snake(m.group(1))
    words = attr.split("_")
    for n in range(min(3, len(words)), 0, -1):  # "the Salesforce account has its risk flag" → risk_flag
        tail = "_".join(words[-n:])
        if tail == "risk_flag" or any(tail in known.returns(s) for s in known.results):
            attr = tail
            break
    owner = next((s for s in reversed(known.results) if attr in known.returns(s)), None)
    if owner is None and attr == "risk_flag":
        owner = "account"
    if owner is None:
        return None
    value = "false" if m.group(2).lower() in ("not set", "unset") else "true"
    return Condition(f"{owner}.{attr} == {value}", text, (owner,) if owner != "case" else ())


def _flagged(text: str) -> Condition | None:
    """ "the account is flagged as a risk" / "… flagged for fraud" → the Salesforce account's risk flag."""
    m = re.fullmatch(
        r"(?:the\s+)?(?:salesforce\s+)?(?:account|customer|seller|buyer)\s+is\s+(not\s+)?flagged"
        r"(?:\s+(?:as|for)\s+(?:a\s+|an\s+)?(?:risk|risky|high[- ]risk|fraud|fraudulent|suspicious))?"
        # "the account carries a risk flag", "the customer has the risk flag (in Salesforce)"
        r"|(?:the\s+)?(?:salesforce\s+)?(?:account|customer|seller|buyer)\s+(?:carries|has)\s+(no\s+|a\s+|the\s+)"
        r"(?:salesforce\s+)?risk\s+flag(?:\s+(?:set|on it))?(?:\s+in\s+salesforce)?",
        text.strip(),
        re.I,
    )
    if not m:
        return None
    negated = m.group(1) or (m.group(2) or "").lower().startswith("no")
    return Condition(f"account.risk_flag == {'false' if negated else 'true'}", text, ("account",))


def _no_match(text: str, known: Known) -> Condition | None:
    """ "no account matches" / "the match count is zero" → the account lookup matched nothing."""
    no_match = re.search(
        r"\bno (?:account|record|customer|organi[sz]ation)s? (?:matches|match|is found|found)\b", text, re.I
    )
    no_match = no_match or re.search(r"\b(?:finds|found|returns|returned)\s+no\s+(?:matching\s+)?account\b", text, re.I)
    several = re.search(
        r"\b(?:finds|found|returns|returned)\s+(?:more than one|several|multiple|two or more|2\+?)\s+(?:matching\s+)?accounts?\b",
        text,
        re.I,
    )
    if (no_match or several) and ("match_count" in known.returns("account") or not known.has("account")):
        return Condition(f"account.match_count {'> 1' if several else '== 0'}", text, ("account",))
    return None


def _plain(text: str) -> str:
    """Markup off a condition: "**Over £150**" → "Over £150", "the `claim_type` field is illness" → "the
    claim_type is illness", "(field building_type = MDU)" → "building_type = MDU"."""
    text = re.sub(r"\*\*|__|`", "", text)
    if whole := re.fullmatch(r"\s*\(([^()]+)\)\s*", text):
        text = whole.group(1)  # "(field building_type = MDU)": a note that is the whole condition
    text = re.sub(r"\b(?:the\s+)?(?:ticket\s+)?field\s+([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b", r"\1", text)
    return re.sub(r"\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\s+field\b", r"\1", text)


def _unread_clause(text: str, known: Known) -> bool:
    """ "over $500 and the region is EMEA": a second statement ("X is Y") joined by and/or that no rule reads."""
    for part in re.split(r"\s+(?:and|or|but)\s+", text, flags=re.I)[1:]:
        if re.search(r"\b(?:is|are|was|were|has|have|isn't|aren't)\b", part, re.I) and condition(part, known) is None:
            return True
    return False


_CONSEQUENCE = re.compile(r",\s+(?:it's|it is|this is|that's|that is|treat it as|it becomes|it counts as)\b", re.I)


def condition(text: str, known: Known) -> Condition | None:
    """CEL for a written condition, or None. Conjunctions join with && / ||.

    Once the team has declared operations, a condition on a custom field nobody documented or declared
    (`case.fields.customer_segment`) is None too: a question ("which system tells us …?"), not an invented fact.
    """
    if known.judged:
        return None  # the text says a person decides here: their choice, never a rule guessed from the wording
    text = _CONSEQUENCE.split(text, maxsplit=1)[0]  # "credentials were entered, it's SEV2 instead": the case is before
    found = _condition(text, known)
    if found and declared.undeclared_fields(found.cel, known):
        return None
    if found and unlisted_values(found.cel, known.values):
        return None  # "quarterly" where the SOP lists `contract_type (monthly / annual)`: a question, not a guess
    if found and (listed := as_listed(found.cel, known.values)) != found.cel:
        found = Condition(listed, found.label, found.needs)
    if found and derived_labels.label_in(found.cel, known.derived):
        return None  # "the severity is critical" where the SOP itself says what is critical: no system stores it
    if found and _money_on_other_field(text, found.cel, known):
        return None  # "first orders over $300" is no `first_order` above 300: which amount, a person says
    return found


def unnamed_fact(text: str, known: Known) -> str | None:
    """The fact in plain words ("when the order was placed") for the editor's pick list, when the condition needs a
    fact no field the SOP names holds."""
    found = unnamed_facts.unnamed(text, known)
    return found.what if found else None


def question(text: str, known: Known) -> str | None:
    """What to ask the author about a condition the rules did not read because its fact or value is nobody's: a
    length of time no field the SOP names holds, or a value outside the values the SOP lists for the field."""
    if unnamed := unnamed_facts.unnamed(text, known):
        return unnamed_facts.question(unnamed) if unnamed_facts.asked(unnamed) else None
    found = None if known.judged else _condition(text, known)
    if found and (labels := derived_labels.label_in(found.cel, known.derived)):
        how = "; ".join(f"“{d.label}” when {' and '.join(d.conditions)}" for d in labels)
        return (
            f"Which field tells us the {labels[0].word}? The SOP assigns it itself ({how}) and no system stores "
            "it, so a person decides here: test what makes it so instead (“If …”), or say which field the case "
            "carries it in, then compile again"
        )
    for field, value in unlisted_values(found.cel, known.values) if found else ():
        listed = ", ".join(known.values[field])
        return (
            f"“{value}” is not a value the SOP lists for `{field}` ({listed}), so a person decides here: "
            "which value is meant? Correct the value or add it to the field's list, then compile again"
        )
    return None


def _money_on_other_field(text: str, cel: str, known: Known) -> bool:
    """A sum of money compared with a field the SOP gives listed values ("`first_order` is yes", "`tier` (gold /
    silver)"): that field holds no sum."""
    sums = re.findall(
        r"[$€£]\s*(\d[\d,]*(?:\.\d+)?)|(\d[\d,]*(?:\.\d+)?)\s*(?:usd|eur|gbp|dollars|euros|pounds)\b", text, re.I
    )
    money = {float((a or b).replace(",", "")) for a, b in sums}
    compared = re.findall(r"case\.fields\.(\w+)\s*[<>]=?\s*(-?\d+(?:\.\d+)?)", cel)
    return any(
        float(n) in money
        and (name in known.values or re.search(rf"\b{name}`?\s+(?:is|=|==)\s+`?(?:yes|no|true|false)\b", text, re.I))
        for name, n in compared
    )


def _field_then_comparison(text: str, known: Known) -> str:
    """ "outage_hours 12 or less": a field the SOP names, then how it compares — the "is" left out."""
    m = re.match(
        r"`?([a-z]+(?:_[a-z0-9]+)+)`?\s+(?=\d|(?:more|less|fewer|greater) than\b|over\b|under\b|at (?:least|most)\b)",
        text,
    )
    if m and m.group(1) in known.identifiers:
        return f"{m.group(1)} is {text[m.end() :]}"
    return text


def _condition(text: str, known: Known) -> Condition | None:
    gap = re.match(r"\s*(\S.*?)\s{3,}\S", text)  # "1-14 days    friendly reminder": a column, then the rung's name
    if gap and (found := _condition(gap.group(1), known)):
        return found
    plain = _plain(text).strip(" .,:;")
    written = re.fullmatch(r"([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\s*(?:==?|!=)\s*[\w-]+", plain)
    # "building_type = MDU": the value a named field holds, as written; never a shorthand spelled out
    text = plain if written and written.group(1) in known.identifiers else known.expand(plain)
    text = asides.unlabelled(text)
    if known.subject and (rung := field_numbers.bare_rung(text)):
        return _read(f"{known.subject} is {rung}", known)  # "below €20" under "THE LADDER (repair_estimate)"
    if (gloss := asides.field_gloss(text, known.identifiers)) and (found := _read(gloss, known)):
        return Condition(found.cel, text, found.needs)  # the SOP's own statement of the field, not the words before
    if glossed := plans.plan_gloss(text):
        return glossed
    if found := _read(text, known):
        return found
    head = asides.without_aside(text)
    return _read(head, known) if head else None


def _read(text: str, known: Known) -> Condition | None:
    text = field_numbers.said_plainly(_field_then_comparison(text, known), known)
    named = "|".join(re.escape(n) for n in sorted(known.identifiers) if "_" in n) or "(?!)"
    parts = re.split(
        r"\s+and\s+(?=(?:the|it|its|their|they|customer|order|amount)\b)|\s+(?:who|which|that)\s+(?=have|has|are|is|were|was)|\s+with\s+(?=plan\b)"
        rf"|\s+and\s+(?=`?(?:{named})\b)",  # "dest_type hosted and withdrawal_usd >= 1000"
        text,
        flags=re.I,
    )
    if len(parts) > 1:
        found = [condition(p, known) for p in parts]
        if all(found):
            return Condition(" && ".join(f"({c.cel})" for c in found), text, tuple(n for c in found for n in c.needs))
        return None  # never a condition on half of what the text says
    if on_declared := declared.condition(text, known):
        return Condition(on_declared[0], text, on_declared[1])
    text = re.sub(r"^(?:anything|everything|any (?:ticket|case|request|claim))\s+with\s+", "", text, flags=re.I)
    if listed := listed_value(text, known) or named_values.listed_phrase(text, known):
        return listed
    if stated := named_values.yes_no_state(text, known):
        return stated
    if _unread_clause(text, known):
        return None
    if ticket_words.ticket_unassigned(text):
        return Condition('!has(case.assignee_email) || case.assignee_email == ""', text)
    if mentioned := ticket_words.mentions(text):
        return mentioned
    if counted := counted_field(text, known) or money_field(text, known) or timed_field(text, known):
        return counted
    for recogniser in (_stage, _money, _tag, _severity, lambda t: _count(t, known), _years, _subject_of_request):
        found = recogniser(text)
        if found:
            return found
    if aged := _age(text, known):
        return aged
    return (
        plans.named_plan(text)
        or plans.stated_plan(text)
        or field_range(text, known)
        or _field_compare(text, known)
        or _flag_set(text, known)
        or _flagged(text)
        or _no_match(text, known)
        or _not_found(text, known)
        or one_of(text, known)
        or _equals(text, known)
        or _status(text, known)
    )
