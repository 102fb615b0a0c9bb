"""Values the compiler filled in that the sentence does not give.

A reply whose text is the instruction to send it: "Reply to the customer quoting the call-out fee." says what
to write about, not what to write; sent as it is, the customer reads our instruction word for word ("Ask for a
photo."). A record field set to `true` by a sentence that changes it to no value it names: "Update the plan in
Salesforce" names the field, not its new value ("apply the discount", "mark it as verified" give one).
"""

from __future__ import annotations

import re

_TEMPLATE = re.compile(r"\{\{(.*?)\}\}", re.S)
_AUDIENCE = (
    r"(?:the\s+|our\s+|a\s+)?(?:customer|requester|user|client|member|caller|guest|tenant|buyer|seller|them|him|her)\b"
)
_INSTRUCTION = re.compile(
    r"^\W*(?:please\s+)?(?:"
    rf"(?:reply|respond|write(?:\s+back)?|answer|get\s+back)\s+(?:to\s+)?{_AUDIENCE}"
    rf"|(?:send|e-?mail|tell|let|inform|notify|contact|offer|ask|message)\s+{_AUDIENCE}"
    r"|ask\s+(?:for|them|whether|if)\b|request\s+(?:a|an|the)\s+\w+"
    r")",
    re.I,
)
_TRUE_FIELD = re.compile(r'"(\w+)"\s*:\s*true\b')
_UPDATE_ONLY = re.compile(  # "update the plan in Salesforce": a verb of change, and no new value after it
    r"\b(?:update|change|edit|amend|correct|adjust)\s+(?:the\s+|their\s+|its\s+|his\s+|her\s+)?(?:\w+['’]s\s+)?\w+"
    r"(?![^.;]*\b(?:to|with|as|from|into)\b)",
    re.I,
)


def body_is_instruction(operation: str, params: dict) -> str | None:
    """A message to the customer whose text is the instruction to send it."""
    if operation != "zendesk.reply":
        return None
    body = _TEMPLATE.sub("", str(params.get("body", ""))).strip()
    found = _INSTRUCTION.match(body)
    if found and re.search(r"\w", body[found.end() :]):  # a bare "Reply to the customer." is the house default
        return f"its text would be our instruction, word for word ({body[:60]!r}): what should it say?"
    return None


def flag_not_given(operation: str, params: dict, instruction: str) -> str | None:
    """A record field set to true by a sentence that says to update or change it and gives no new value."""
    if operation != "salesforce.update_record":
        return None
    found = _TRUE_FIELD.search(str(params.get("fields", "")))
    if found and _UPDATE_ONLY.search(instruction):
        return f"the sentence gives no new value for {found.group(1)}; `true` is a guess"
    return None
