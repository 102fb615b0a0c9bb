"""More of the ways an SOP lists the values of its fields, beside "event_status (cancelled, postponed)":

"(complaint_type: late, missed_pickup, other)", "`product_category`: chilled or frozen", "request_type set to
legal_hold, retention_change or early_deletion", "request_type is one of …", and a field table's row
"| product_category | chilled or frozen |". Only for a field the SOP writes as a field name.
"""

from __future__ import annotations

import re

_V = r"`?[A-Za-z][\w-]*`?"
_VALUES = rf"({_V}(?:\s*(?:,|/|\||\bor\b|\band\b)\s*(?:or\s+|and\s+)?{_V})+)"
_END = r"(?=\s*[).;:,\n]|\s+(?:by|from|in|on|and)\b|$)"
_FORMS = (
    re.compile(rf"\(\s*`?([a-z][a-z0-9_]*)`?\s*:\s*{_VALUES}\s*\)"),
    re.compile(rf"`?\b([a-z][a-z0-9_]*)`?\s*\(\s*(?:one of|either)\s*:?\s*{_VALUES}\s*\)"),
    re.compile(rf"`([a-z][a-z0-9_]*)`\s*:\s*{_VALUES}{_END}"),
    re.compile(rf"\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`?\s+(?:set to|is one of|is either|takes|=)\s+{_VALUES}{_END}"),
    re.compile(rf"\bsets?\s+`([a-z][a-z0-9_]*)`\s+to\s+{_VALUES}{_END}"),
    re.compile(
        rf"\bfield\s+`([a-z][a-z0-9_]*)`\s*,?\s*(?:one of|either)\s+{_VALUES}(?=\s*[).;:,\n]|$)"
    ),  # "the form sets `query_type` to a or b"
    re.compile(rf"(?m)^\s*\|\s*`?([a-z][a-z0-9_]*)`?\s*\|\s*{_VALUES}\s*\|"),
    re.compile(rf"`?\b([a-z][a-z0-9_]*)`?\s+field\s*\(\s*{_VALUES}\s*\)"),  # "a `region` field (emea, apac)"
    re.compile(
        rf"`([a-z][a-z0-9_]*)`\s+field\b[^.;:]{{0,80}}?\bone of\s+{_VALUES}(?=\s*[).;:,\n]|$)"
    ),  # "`failure` field …, one of"
)
_NAMED = re.compile(
    r"\b([a-z][a-z0-9_]*)\s+as\s+an?\s+(?:custom\s+|ticket\s+|form\s+)?field\b"  # "carries request as a custom field"
    r"|\b(?:custom|ticket|form)\s+field\s+(?:called|named)\s+[\"'`]?([a-z][a-z0-9_]*)",
    re.I,
)


def more_identifiers(source: str) -> frozenset[str]:
    """Field names an SOP gives in words: "The ticket carries request as a custom field", "a ticket field called
    tier"."""
    return frozenset((m.group(1) or m.group(2)).lower() for m in _NAMED.finditer(source))


def more_field_values(source: str, names: frozenset[str]) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for form in _FORMS:
        for m in form.finditer(source):
            values = [v.strip(" `") for v in re.split(r"\s*(?:,|/|\||\bor\b|\band\b)\s*", m.group(2)) if v.strip(" `")]
            values = [re.sub(r"^(?:or|and)\s+", "", v) for v in values]
            if "`" in m.group(2):  # "one of `fraud` or `error`, too": only the values written as values
                values = re.findall(r"`([^`]+)`", m.group(2))
            if m.group(1) in ("fields", "field", "values", "inputs", "columns", "tags"):
                continue  # "(fields: species, breed)" lists fields, not the values of one
            if m.group(1) in names and len(values) >= 2 and m.group(1) not in found:
                found[m.group(1)] = tuple(values)
    return found


_COMPARED = re.compile(r'case\.fields\.(\w+)\s*(?:==|!=)\s*"((?:[^"\\]|\\.)*)"')
_LISTED_IN = re.compile(r"case\.fields\.(\w+)\s+in\s+\[([^\]]*)\]")


def _compared_values(cel: str) -> list[tuple[str, str]]:
    """(field, value) of every comparison of a custom field with a string in a CEL condition."""
    found = [(m.group(1), m.group(2)) for m in _COMPARED.finditer(cel)]
    for m in _LISTED_IN.finditer(cel):
        found += [(m.group(1), v) for v in re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2))]
    return found


def unlisted_values(cel: str, values: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """(field, value) pairs a condition compares that the SOP's own list of the field's values does not hold
    ("contract_type (monthly / annual)" and "the contract type is quarterly"): a value the source cannot return."""
    return [
        (field, value)
        for field, value in _compared_values(cel)
        if field in values and value.lower() not in {v.lower() for v in values[field]}
    ]


def as_listed(cel: str, values: dict[str, tuple[str, ...]]) -> str:
    """The condition with each listed value spelt as the SOP lists it ("EMEA" → "emea" for `region (emea, apac)`):
    the field holds the listed spelling, and CEL compares strings exactly."""

    def spelt(field: str, value: str) -> str:
        return next((v for v in values.get(field, ()) if v.lower() == value.lower()), value)

    cel = _COMPARED.sub(lambda m: m.group(0).replace(f'"{m.group(2)}"', f'"{spelt(m.group(1), m.group(2))}"'), cel)
    return _LISTED_IN.sub(
        lambda m: m.group(0).replace(
            m.group(2), re.sub(r'"((?:[^"\\]|\\.)*)"', lambda v: f'"{spelt(m.group(1), v.group(1))}"', m.group(2))
        ),
        cel,
    )
