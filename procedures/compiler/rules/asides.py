"""What surrounds a condition without being it: a list label ("3a."), an explanation in parentheses or between
dashes ("the reason is walked (the hotel moved the guest)"), and the SOP's own gloss naming the field ("the laptop
was stolen (the `loss_type` field is theft)").

Plain functions on the condition's text; `conditions` calls them before and after its own recognisers.
"""

from __future__ import annotations

import re

_LABEL = re.compile(r"^(?:\d{1,2}[a-z]?|[a-z])[.)]\s+(?=\S)", re.I)
_DASH = re.compile(r"\s+[—–]\s+.*$|\s+-\s+(?=[a-z]).*$")
# a parenthesis that changes what the value means is never dropped: "exotic (anything other than dog or cat)"
_REDEFINES = re.compile(r"\b(?:other than|except|excluding|anything|not one of|unless|only|but not|i\.e\.)\b", re.I)


def unlabelled(text: str) -> str:
    """ "4. dispute_type = not_me" → "dispute_type = not_me": a list label is not part of the condition."""
    return _LABEL.sub("", text, count=1)


def field_gloss(text: str, named: frozenset[str]) -> str | None:
    """ "(the `loss_type` field is theft)", "(household_vulnerable is yes)": a parenthesis that states the
    condition on a field the SOP names — that statement, which is more exact than the words before it."""
    for m in re.finditer(r"\(([^()]{3,120})\)?", text):
        inner = m.group(1).strip()
        said = re.sub(r"\bthe\s+([a-z][a-z0-9_]*)\s+field\b", r"the \1", inner, flags=re.I)
        said = re.sub(r"\b([a-z][a-z0-9_]*)\s+field\b", r"\1", said, flags=re.I)
        words = re.findall(r"[a-z][a-z0-9_]*", said.lower())
        if not re.search(r"\b(?:is|are|=|==|!=)\b|[<>]=?|\bunder\b|\bover\b|\babove\b|\bbelow\b", said):
            continue
        if any(w in named for w in words) or re.search(r"\bfield\b", inner, re.I):
            return said
    return None


def without_aside(text: str) -> str | None:
    """The condition with an explanation dropped: "(the hotel moved the guest)", "— a child left at the stop",
    or None when there is none (or it restates the value, which a person must then read)."""
    stripped = text
    paren = re.search(r"\s*\(([^()]*)\)?", stripped)
    if paren and not _REDEFINES.search(paren.group(1)):
        stripped = (stripped[: paren.start()] + stripped[paren.end() :]).strip()
    dash = _DASH.search(stripped)
    if dash and not _REDEFINES.search(dash.group(0)):
        stripped = stripped[: dash.start()].strip()
    return stripped if stripped != text and len(stripped.split()) >= 2 else None
