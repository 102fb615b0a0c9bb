"""Turn a condition as written ("the plan is Free", "over $5,000", "tagged VIP") into CEL.

`condition(text, known)` returns a `Condition` or None when the phrase is not
one the rules understand (the caller then asks a judgement question instead).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from procedures.compiler.rules import quantities, vocabulary
from procedures.compiler.rules.vocabulary import Known

_GT = r"(?:over|more than|above|greater than|exceeds?|exceeding|higher than|>)"
_GE = r"(?:at least|or more|and above|or above|>=|≥)"
_LT = r"(?:under|less than|below|lower than|<)"
_LE = r"(?:at most|up to|or less|and below|or below|<=|≤)"
_SEVERITIES = ("critical", "high", "medium", "low")


@dataclass(frozen=True)
class Condition:
    cel: str
    label: str
    needs: tuple[str, ...] = ()  # save_as names the expression reads (to gather first)


def _operator(text: str) -> str | None:
    for pattern, op in ((_GE, ">="), (_LE, "<="), (_GT, ">"), (_LT, "<")):
        if re.search(rf"(?<!\w){pattern}(?!\w)", text, re.I):
            return op
    return None


def _negate(op: str) -> str:
    return {">": "<=", ">=": "<", "<": ">=", "<=": ">", "==": "!=", "!=": "=="}[op]


def _is_negated(text: str) -> bool:
    return bool(re.search(r"\b(?:not|isn't|isn’t|no longer|never)\b|n't\b", text, re.I))


_AMOUNT_WORDS = r"\b(?:amount|value|total|price|cost|sum|refund|invoice|claim|order)\b"


def _bare_amount(text: str) -> float | None:
    """ "the amount is over 500" → 500.0: a number compared with an amount word, no currency sign, no time unit."""
    if not re.search(_AMOUNT_WORDS, text, re.I) or quantities.duration(text) is not None:
        return None
    match = re.search(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)(?![\w.%])", text)
    return float(match.group(1).replace(",", "")) if match and _operator(text) else None


def _money(text: str) -> Condition | None:
    amount = quantities.money(text)
    if amount is None:
        amount = _bare_amount(text)
    if amount is None:
        return None
    op = _operator(text) or ">="
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


def _plan(text: str, known: Known) -> Condition | None:
    plans = re.findall(rf"\b({'|'.join(vocabulary.PLANS)})\b", text)
    if not plans or re.search(r"\b(?:opportunity|closed won)\b", text, re.I):
        return None
    negated = _is_negated(text) or re.search(r"\bunless\b", text, re.I)
    if len(plans) == 1:
        return Condition(f'account.plan {"!=" if negated else "=="} "{plans[0]}"', text, ("account",))
    listed = ", ".join(f'"{p}"' for p in plans)
    expr = f"account.plan in [{listed}]"
    return Condition(f"!({expr})" if negated else expr, text, ("account",))


def _tag(text: str) -> Condition | None:
    match = re.search(r"\btagged\s+(?:as\s+|with\s+)?`?([\w-]+)`?|\b(VIP)\b", text)
    if not match:
        return None
    tag = (match.group(1) or match.group(2)).lower()
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


def _count(text: str) -> Condition | None:
    match = re.search(rf"\b({quantities.NUMBER})\s+(or more|or fewer|or less)\s+([a-z][a-z -]+)", text, re.I)
    if not match or quantities.money(text) is not None:
        return None
    noun = vocabulary.snake(re.split(r"\s+(?:in|during|within)\s+", match.group(3))[0])
    suffix = "_last_year" if re.search(r"last year|past year|12 months", text, re.I) else ""
    op = ">=" if match.group(2).lower() == "or more" else "<="
    return Condition(f"case.fields.{noun}{suffix} {op} {int(quantities.number(match.group(1)))}", text)


def _age(text: str) -> Condition | None:
    dur = quantities.duration(text)
    op = _operator(text)
    if dur is None or op is None:
        return None
    days = dur.days + (1 if dur.hours else 0)
    lowered = text.lower()
    if re.search(r"bought|purchase", lowered):
        name = "purchase_age_days"
    elif re.search(r"with us|customer for|tenure|member", lowered):
        name = "tenure_days"
    elif re.search(r"late|promised|delay|after the", lowered):
        name = "delay_days"
    else:
        name = vocabulary.snake(re.split(_GT + "|" + _LT, lowered)[0])[:30] + "_days"
    return Condition(f"case.fields.{name} {op} {days}", text)


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


def _status(text: str, known: Known) -> Condition | None:
    words = vocabulary.normalise(text)
    if len(words.split()) > 5:
        return None
    for save_as in reversed(list(known.results)):
        if "status" in known.returns(save_as):
            value = vocabulary.snake(text)
            return Condition(f'{save_as}.status == "{value}"', text)
    return None


def _equals(text: str, known: Known) -> Condition | None:
    match = re.search(
        r"^(?:the\s+)?([\w' ]+?)\s+(?:is|equals|=|==)\s+(?:not\s+)?[\"`]?([\w -]+?)[\"`]?$", text.strip(" ."), re.I
    )
    if not match:
        return None
    fact = vocabulary.fact(match.group(1), known)
    if fact is None or "(" in fact:
        return None
    value = match.group(2).strip()
    op = "!=" if _is_negated(text) else "=="
    needs = (fact.split(".")[0],) if not fact.startswith("case.") else ()
    return Condition(f'{fact} {op} "{value}"', text, needs)


def condition(text: str, known: Known) -> Condition | None:
    """CEL for a written condition, or None. Conjunctions join with && / ||."""
    text = text.strip(" .,:;")
    parts = re.split(
        r"\s+and\s+(?=(?:the|it|its|their|they|customer|order|amount)\b)|\s+(?:who|which|that)\s+(?=have|has|are|is|were|was)|\s+with\s+(?=plan\b)",
        text,
        flags=re.I,
    )
    if len(parts) > 1:
        found = [condition(p, known) for p in parts]
        if all(found):
            return Condition(" && ".join(f"({c.cel})" for c in found), text, tuple(n for c in found for n in c.needs))
    if re.search(r"\bno assignee\b|\bunassigned\b|\bnot (?:yet )?assigned\b", text, re.I):
        return Condition('!has(case.assignee_email) || case.assignee_email == ""', text)
    mentions = re.search(
        r"\b(?:asks? about|mentions?|is about|talks about|refers to|asks for)\s+(?:a|an|the)?\s*([\w-]+)", text, re.I
    )
    if mentions and quantities.money(text) is None:
        word = mentions.group(1).lower()
        expr = f'case.subject.matches("(?i){word}") || case.description.matches("(?i){word}")'
        return Condition(expr, text)
    for recogniser in (_stage, _money, _tag, _severity, _count, _age, _subject_of_request):
        found = recogniser(text)
        if found:
            return found
    return _plan(text, known) or _not_found(text, known) or _equals(text, known) or _status(text, known)
