"""Numbers said the way people write them about a field the SOP names, rewritten to "<field> is <bound> <n>".

"the overage is 5 seats or fewer" (field `overage_seats`), "odometer over 200,000 km" (`odometer_km`),
"student_age 13+", "the variance is 2% or less of the PO": the unit joins the field's name when the SOP names that
field, a "+" is "at least", a percent sign and "of the …" after the number drop, thousands lose their commas.
"""

from __future__ import annotations

import re

from procedures.compiler.rules import vocabulary
from procedures.compiler.rules.vocabulary import Known

_BOUND = (
    r"more than|less than|fewer than|greater than|higher than|lower than|at least|at most|over|under|above|below"
    r"|up to|no more than|no less than"
)
_NUMBER = r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?"
_TAIL = r"(?:\s+or\s+(?:fewer|less|more|lower|higher|below|above|under|over))?"


def said_plainly(text: str, known: Known) -> str:
    text = _plus(text, known)
    text = _percent(text, known)
    return _unit_into_field(text, known)


def _plus(text: str, known: Known) -> str:
    """ "student_age 13+" → "student_age is at least 13"."""
    m = re.fullmatch(r"`?([a-z][a-z0-9_]*)`?\s+(?:is\s+)?(\d+(?:\.\d+)?)\s*\+", text.strip())
    if m and m.group(1) in known.identifiers:
        return f"{m.group(1)} is at least {m.group(2)}"
    return text


def _percent(text: str, known: Known) -> str:
    """ "the variance is more than 2% of the PO" → "variance_pct is more than 2" (or "the variance is …" when the
    SOP names no percent field for it)."""
    if not re.search(r"\d\s*(?:%|percent\b|per cent\b)", text, re.I):
        return text
    written, text = text, re.sub(r"(\d)\s*(?:%|\s+percent\b|\s+per cent\b)", r"\1", text.strip(), flags=re.I)
    text = re.sub(r"(\d(?:\s+or\s+(?:less|more|fewer|lower|higher))?)\s+of\s+(?:the\s+)?[\w ]{1,20}$", r"\1", text)
    m = re.match(rf"(?:the\s+)?([a-z][a-z ]{{1,30}}?)\s+(is\b|are\b|(?={_BOUND}\b|\d))", text, re.I)
    if m:  # "Increase percentage up to 50" (a table's header and cell) with the SOP's `increase_pct`
        said = {p.rstrip("s") for p in vocabulary.snake(m.group(1)).split("_")} - _PERCENT_WORDS
        fields = [n for n in known.identifiers if {p.rstrip("s") for p in n.split("_")} - _PERCENT_WORDS == said]
        if len(fields) == 1:
            return f"{fields[0]} is {text[m.end(2) :].strip()}"
    return written if known.identifiers else text  # the SOP names its fields, and not this one: not read


_PERCENT_WORDS = {"pct", "percent", "percentage", "pc", "rate"}


def ranged(text: str, known: Known) -> tuple[str, str, str, str, str] | None:
    """ "variance_pct is more than 2 and up to 10" → (phrase, ">", "2", "<=", "10")."""
    m = re.fullmatch(
        rf"(?:the\s+)?([a-z][\w ]{{1,30}}?)\s+(?:is|are)\s+(more than|over|above|at least)\s+({_NUMBER})\s+"
        rf"(?:(?:and|but)\s+)?(up to|at most|less than|under|below|no more than)\s+({_NUMBER})",
        text.strip(),
        re.I,
    )
    if not m:
        return None
    low = {"more than": ">", "over": ">", "above": ">", "at least": ">="}[m.group(2).lower()]
    high = {"up to": "<=", "at most": "<=", "no more than": "<=", "less than": "<", "under": "<", "below": "<"}
    return m.group(1), low, m.group(3).replace(",", ""), high[m.group(4).lower()], m.group(5).replace(",", "")


def _unit_into_field(text: str, known: Known) -> str:
    """ "the overage is 5 seats or fewer" → "overage_seats is 5 or fewer" when `overage_seats` is a named field."""
    m = re.fullmatch(
        rf"(?:the\s+)?([a-z][a-z ]{{1,30}}?)\s+(?:is\s+|are\s+)?((?:{_BOUND})\s+)?({_NUMBER})\s+([a-z]{{1,12}})({_TAIL})",
        text.strip(),
        re.I,
    )
    if not m or not known.identifiers:
        return text
    wanted = vocabulary.snake(f"{m.group(1)} {m.group(4)}")
    field = next(
        (
            n
            for n in known.identifiers
            if {p.rstrip("s") for p in n.split("_")} == {p.rstrip("s") for p in wanted.split("_")}
        ),
        None,
    )
    if field is None:
        return text
    number = m.group(3).replace(",", "")
    return f"{field} is {m.group(2) or ''}{number}{m.group(5)}".replace("  ", " ")


_RUNG = re.compile(
    rf"(?:[$€£]?\s?(?:{_NUMBER})\s*(?:%|k\b)?|{_BOUND}|or more|or less|or fewer|and|to|from|between|[–—-]|\s)+",
    re.I,
)


def bare_rung(text: str) -> str | None:
    """ "below €20", "€50.01 – €300", "over 30 up to 80": a rung that says only numbers and bounds, without the
    currency signs and thousands commas; None for anything else."""
    if not re.search(r"\d", text) or not _RUNG.fullmatch(text.strip()):
        return None
    plain = re.sub(r"[$€£]\s?", "", text.strip())
    return re.sub(r"(\d),(\d{3})", r"\1\2", plain)


def counted_in_period(words: str, text: str, known: Known) -> str | None:
    """ "3 or more claims in the last 90 days" → `claims_90d`; "… refunds this year" → `refunds_this_year`: a
    count the SOP names with the period it counts over."""
    noun = vocabulary.snake(re.sub(r"\s+(?:this|last|past)\s+year$", "", words, flags=re.I))
    periods = []
    if m := re.search(r"\b(?:last|past)\s+(\d+)\s+(day|week|month)s?\b", text, re.I):
        periods += [f"{m.group(1)}{m.group(2)[0].lower()}", f"{m.group(1)}_{m.group(2).lower()}s"]
    if re.search(r"\b(?:last|past)\s+(?:12 months|year)\b", text, re.I):
        periods += ["12m", "last_year", "1y"]
    if re.search(r"\bthis year\b", text, re.I):
        periods += ["this_year", "ytd"]
    names = {f"{stem}_{period}" for stem in {noun, noun.rstrip("s"), noun + "s"} for period in periods}
    found = sorted(names & set(known.identifiers))
    return found[0] if len(found) == 1 else None
