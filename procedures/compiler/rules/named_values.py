"""Conditions written as the values an SOP lists for one of its fields, in words.

"Damage and shortage claims", "For a legal hold", "Chilled loads", "1a. Involuntary" name values the SOP lists for
exactly one field (`claim_type: damage, shortage, detention`) → that field equals (or is one of) them. "If the
order is expedited" names a yes/no field (`expedited: true/false`) → that field is true. A value no field lists,
or one several fields list, is not read: a person answers.
"""

from __future__ import annotations

import re

from procedures.compiler.rules import vocabulary
from procedures.compiler.rules.comparisons import Condition
from procedures.compiler.rules.vocabulary import Known

_GENERIC = (
    r"claims?|calls?|loads?|tickets?|requests?|cases?|complaints?|disputes?|orders?|items?|reports?|appeals?"
    r"|issues?|problems?|shipments?|deliveries|jobs?|bookings?|accounts?|customers?|refunds?|returns?|applications?"
    r"|visits?|appointments?|sessions?|payments?|transfers?|messages?|incidents?|faults?|errors?|reasons?"
)
_LEAD = r"^(?:(?:for|with|on|in)\s+)?(?:(?:a|an|the|all|any|every)\s+)?"
_CASE_WORDS = {"new", "open", "pending", "hold", "on_hold", "solved", "closed", "low", "normal", "high", "urgent"}
_YES_NO = ({"true", "false"}, {"yes", "no"}, {"y", "n"})


def _forms(words: str) -> set[str]:
    snake = vocabulary.snake(words)
    if "_" not in snake:
        return {snake}  # "teachers" is not the value "teacher": a plural alone is a kind of person or thing
    return {snake, re.sub(r"s$", "", snake), re.sub(r"s(?=_|$)", "", snake)}


def _key(value: str) -> str:
    return re.sub(r"[\s-]+", "_", value.strip().lower())


def _match(parts: list[str], known: Known) -> tuple[str, list[str]] | None:
    """The one field whose listed values include every part, with the values as the SOP writes them."""
    found = []
    for field, values in known.values.items():
        keyed = {_key(v): v for v in values}
        chosen = [next((keyed[f] for f in _forms(p) if f in keyed), None) for p in parts]
        if all(chosen):
            found.append((field, chosen))
    return found[0] if len(found) == 1 else None


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def listed_phrase(text: str, known: Known) -> Condition | None:
    """ "Damage and shortage claims" → case.fields.claim_type in ["damage", "shortage"]."""
    if not known.values:
        return None
    words = re.sub(_LEAD, "", text.strip(" .:*`'\""), flags=re.I)
    words = re.sub(r"\s+(?:always|also|usually|then|only|still)$", "", words, flags=re.I)  # "… requests always go"
    for phrase in (words, re.sub(rf"\s+(?:{_GENERIC})$", "", words, flags=re.I)):
        parts = [p.strip(" `'\"") for p in re.split(r"\s*(?:,|/|\band\b|\bor\b)\s*", phrase, flags=re.I)]
        if not all(parts) or any(len(p.split()) > 3 or not re.fullmatch(r"[\w -]+", p) for p in parts):
            continue
        if any(_key(p) in ("yes", "no", "true", "false", "y", "n") for p in parts):
            return None  # "yes" answers a question; it names no field
        if len(parts) == 1 and _key(parts[0]) in _CASE_WORDS:
            continue  # "pending" alone may be the ticket's own status or priority: not read as the field's
        found = _match(parts, known)
        if found is None:
            continue
        field, values = found
        fact = f"case.fields.{field}"
        if len(values) == 1:
            return Condition(f"{fact} == {_quoted(values[0])}", text)
        return Condition(f"{fact} in [{', '.join(_quoted(v) for v in values)}]", text)
    return None


def yes_no_state(text: str, known: Known) -> Condition | None:
    """ "the order is expedited" with `expedited` listed as true/false → case.fields.expedited == true."""
    m = re.fullmatch(
        r"(?:the\s+)?[a-z][\w ]{1,30}?\s+(?:is|was|are|were|has been)\s+(not\s+)?`?([a-z][a-z0-9_]*)`?",
        text.strip(" ."),
        re.I,
    )
    if not m or (field := m.group(2).lower()) not in known.identifiers:
        return None
    listed = {v.lower() for v in known.values.get(field, ())}
    pair = next((p for p in _YES_NO if listed and listed <= p), None)
    if pair is None:
        return None
    yes = "true" if pair == _YES_NO[0] else _quoted(next(v for v in known.values[field] if v.lower() in ("yes", "y")))
    return Condition(f"case.fields.{field} {'!=' if m.group(1) else '=='} {yes}", text)
