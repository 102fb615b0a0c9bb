"""A name-like parameter (group, tag, project, issue type, status, priority) must be the name the sentence writes.

A value the compiler made rather than read reaches a queue or a customer as it is: a number from a table row
("3–4 | Assign to the Review group" → group `4`), a word of a longer name ("assign to Tier 2 Support" → group
`Support`), an abbreviation written out ("tag wty-rma" with "wty = warranty" → tag `warranty-rma`), or a word
the sentence negates ("no charge" → tag `charge`). Each check returns why the value is not the sentence's, or None.
"""

from __future__ import annotations

import re

from procedures.compiler.rules.certainty import said

NAME_LIKE = frozenset(["group", "project", "issue_type", "status", "priority", "role", "queue", "team"])
_WRITTEN_AS_IS = frozenset(["tag", "label", "group", "project", "queue", "team"])
# Capitalised words next to a name that are not part of it: the sentence's verbs, nouns for the parameter itself
_NOT_PART = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "to",
        "and",
        "or",
        "then",
        "assign",
        "route",
        "move",
        "escalate",
        "send",
        "set",
        "put",
        "tag",
        "label",
        "create",
        "open",
        "file",
        "raise",
        "group",
        "team",
        "queue",
        "project",
        "jira",
        "zendesk",
        "salesforce",
        "type",
        "issue",
        "priority",
        "status",
        "ticket",
        "if",
        "when",
    ]
)
_NEGATED = re.compile(r"\b(?:no|not|without|never|don't|do not)\s+$", re.I)


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-–—/]+", " ", text.lower().replace("’", "'"))


def not_as_written(kind: str, value: str, instruction: str) -> str | None:
    """Why `value` is not the whole name the sentence writes for the parameter `kind`, or None."""
    label = kind.replace("_", " ")
    if re.fullmatch(r"\s*[\d.,–-]+\s*", value):
        return f"the {label} {value!r} is a number, not a {label} name: which {label} did the sentence mean?"
    if kind in _WRITTEN_AS_IS and not said(value, _norm(instruction)):
        return f"the {label} {value!r} is not written in the sentence as it stands (an abbreviation written out?)"
    if kind in ("tag", "label") and _only_negated(value, instruction):
        return f"the {label} {value!r} is a word the sentence negates, not a {label}"
    if kind in ("group", "project", "queue", "team") and (longer := _longer_name(value, instruction)):
        return f"the sentence names the {label} “{longer}”, not {value!r}"
    return None


def _only_negated(value: str, instruction: str) -> bool:
    """Every place the sentence writes the value follows "no"/"not"/"without" ("no charge")."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(value)}(?![\w-])", re.I)
    places = list(pattern.finditer(instruction))
    return bool(places) and all(_NEGATED.search(instruction[: m.start()]) for m in places)


def _longer_name(value: str, instruction: str) -> str | None:
    """The longer name the value is part of at every place the sentence writes it ("Tier 2 Support"), or None."""
    longest = None
    for place in re.finditer(rf"(?<![\w-]){re.escape(value)}(?![\w-])", instruction, re.I):
        before = re.findall(r"\S+", instruction[: place.start()])[-2:]
        after = re.match(r" (\S+)", instruction[place.end() :])
        whole = value
        if before and instruction[place.start() - 1 : place.start()] == " " and _part(before[-1], before[:-1]):
            whole = (f"{before[0]} " if before[-1].isdigit() else "") + f"{before[-1]} {value}"
        if after and _part(after.group(1).rstrip(",.;:"), []) and not after.group(1).rstrip(",.;:").isupper():
            whole = f"{whole} {after.group(1).rstrip(',.;:')}"
        if whole == value:
            return None
        longest = whole
    return longest


def _part(word: str, earlier: list[str]) -> bool:
    """A word next to a name that belongs to it: capitalised and not a verb or parameter noun, or a number
    after such a word ("Tier 2")."""
    if word.isdigit():
        return bool(earlier) and _part(earlier[-1], [])
    return bool(re.fullmatch(r"[A-Z][A-Za-z0-9&]*", word)) and word.lower() not in _NOT_PART


_STATUS_SAID = re.compile(
    r"\b(?:set|put|move|mark|change|leave)\s+(?:(?:the|this|that|its|it)\s+)?(?:\w+\s+)?(?:status\s+)?"
    r"(?:to|as|in|on)\s+(pending|solved|open|on[\s-]hold|hold|closed|new)\b",
    re.I,
)


def field_left_out(operation: str, params: dict, instruction: str) -> str | None:
    """A ticket update that sets no field at all, or leaves out the status its sentence sets ("set tkt to
    pending")."""
    if operation != "zendesk.update_ticket":
        return None
    fields = {name for name in params if name != "ticket_id"}
    if not fields:
        return "it changes no field of the ticket: what should it set?"
    if "status" not in fields and (status := _STATUS_SAID.search(instruction)):
        return f"the sentence sets the status to {status.group(1)!r}, which the step leaves out"
    return None
