"""A message whose text would be its own SOP sentence: "Add an internal note with the old and new ICCID" written
into the note. The sentence says what the note is about, not what it says; whoever reads it gets our instruction,
so a person writes it. A message the SOP quotes ("Add an internal note: 'Verified by SMS'") carries the quote."""

from __future__ import annotations

import re

_MESSAGES = {
    "zendesk.reply": "body",
    "zendesk.add_note": "body",
    "salesforce.add_note": "body",
    "jira.add_comment": "body",
    "email.send": "body",
}


def _said(text: str) -> list[str]:
    return re.findall(r"[a-z0-9$£€%]+", text.lower())


def message_is_instruction(operation: str, params: dict, instruction: str) -> str | None:
    name = _MESSAGES.get(operation)
    value = params.get(name) if name else None
    if not isinstance(value, str) or "{{" in value:
        return None
    words = _said(instruction)
    if len(" ".join(words)) > 8 and _said(value) == words:
        return f"its text would be this sentence, word for word ({value[:60]!r}): what should it say?"
    return None
