"""The last check before a step is automated: its parameters have the shape of what they name.

A tag is a word the text gives, not a placeholder for one ("tag the ticket <category>-issue", "add the tag
`{{reason}}`"); an approver is a person or a team, not a fact about the case ("approval from the discount
amount"); a summary, subject or message is not empty; a template reads only facts the run has ("Reply with
{{ closure_form_link }}" pasted from a macro reads a name nothing provides). A step whose parameter has another shape goes to a
person with a warning — it would act with a value nobody wrote.
"""

from __future__ import annotations

import json
import re

# The last word of a phrase that names a fact or a quantity, never a person or a team.
_FACT_WORDS = (
    "amount|total|sum|balance|value|price|cost|fee|fees|rate|percent|percentage|email|e-mail|address|phone|number"
    "|id|date|time|tier|plan|score|status|count|days|hours|weeks|months|type|category|reason|field|fields|limit"
    "|threshold|quantity|size|age|region|country|currency|sku|code|subject|description|link|url|weight"
)
_FACT_ROLE = re.compile(rf"\b(?:{_FACT_WORDS})s?$", re.I)
_TEXT_PARAMS = ("summary", "subject", "body", "description", "comment")


def _values(raw) -> list[str]:
    """The literal values of a parameter: '{{ ["a", "b"] }}' → ["a", "b"]; 'x' → ["x"]."""
    if not isinstance(raw, str):
        return []
    found = re.fullmatch(r"\{\{\s*(\[.*\])\s*\}\}", raw.strip(), re.S)
    if found:
        try:
            listed = json.loads(found.group(1))
        except ValueError:
            return []
        return [v for v in listed if isinstance(v, str)]
    return [raw]


def _placeholder(value: str, instruction: str) -> bool:
    """The sentence writes the value inside placeholder marks: <x>, {x}, {{x}}, [x], $x, %x%."""
    name = re.escape(value)
    return bool(
        re.search(rf"<\s*{name}\s*>|\{{+\s*{name}\s*\}}+|\[\s*{name}\s*\]|\${name}\b|%{name}%", instruction, re.I)
    )


def unsure_tag(operation: str, params: dict, instruction: str) -> str | None:
    """Why a tag is not a word the text gives: a placeholder or a value with template marks."""
    if operation != "zendesk.add_tags":
        return None
    for tag in _values(params.get("tags")):
        if re.search(r"[<>{}\[\]$%]", tag) or not tag.strip():
            return f"the tag {tag!r} is not a word: which tag?"
        if _placeholder(tag, instruction):
            return f"{tag!r} is a placeholder for a value in the sentence, not a tag it gives: which tag?"
    return None


def empty_text(operation: str, params: dict) -> str | None:
    """Why a message or issue would go out empty: a summary, subject or body with no text."""
    for name in _TEXT_PARAMS:
        value = params.get(name)
        if isinstance(value, str) and not re.sub(r"[\s\"'“”‘’.,:;-]", "", value):
            return f"its {name} is empty: what should it say?"
    return None


def fact_role(role: str) -> str | None:
    """Why an approver role is a fact word rather than a person or a team ("Discount amount", "Plan tier")."""
    if _FACT_ROLE.search(role.strip()):
        return f"{role!r} names a fact about the case, not a person or team: who approves?"
    return None


_TEMPLATE = re.compile(r"\{\{(.*?)\}\}", re.S)
_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")
_ROOT = re.compile(r"(?<![\w.])([A-Za-z_]\w*)(?!\s*\()")
_BOUND = re.compile(r"\.\s*(?:filter|map|exists|exists_one|all)\s*\(\s*([A-Za-z_]\w*)\s*,")
_WORDS = frozenset({"true", "false", "null", "in", "case", "event"})


def unread_template(params: dict, provided: set[str], instruction: str = "") -> str | None:
    """Why a parameter's template (or one its sentence writes: "Email the customer the link {{ link }}") reads a
    name that neither the case nor an earlier step provides, or None."""
    for name, value in [*params.items(), ("sentence", instruction)]:
        if not isinstance(value, str):
            continue
        for expression in _TEMPLATE.findall(value):
            code = _STRING.sub('""', expression)
            bound = set(_BOUND.findall(code))  # `a` in `.filter(a, a.kind == "photo")`
            roots = set(_ROOT.findall(code)) - _WORDS - provided - bound
            if roots:
                return f"its {name} reads {sorted(roots)[0]!r}, which nothing in the run provides: what goes there?"
    return None


_ADDRESSEE = re.compile(
    r"\b(?:the|this|that)\s+(?:customer|requester|caller|end user|user|client|tenant|member|applicant|candidate)s?\b",
    re.I,
)


_BARE_REPLY = re.compile(r"\s*(?:otherwise,?\s+)?(?:reply|respond|answer|write back)\s+to\s+the\s+[\w ]+?\.?\s*$", re.I)


def addressee_named(operation: str, params: dict) -> str | None:
    """Why a reply speaks of its own reader in the third person ("The customer how they want it paid out."):
    the text is the SOP's instruction cut up, not a message to the customer."""
    if operation != "zendesk.reply":
        return None
    body = re.sub(r"\{\{.*?\}\}", " ", str(params.get("body", "")), flags=re.S)
    if _BARE_REPLY.match(body):
        return None  # "Reply to the customer.": a reply the SOP leaves unworded, which the other gates judge
    found = _ADDRESSEE.search(body)
    return f"the reply speaks of {found.group(0)!r} to the customer: what should it say?" if found else None
