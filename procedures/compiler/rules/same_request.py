"""A request said again by reference: "release (same POST as above)", "send the same POST to /bans/reduce", "send
the replacement POST", "the same billing call". The request is the earlier one the words point at — the one with
that path, or whose path or endpoint carries the word ("replacement" → /replacements), or for "the same POST as
above" the last one — copied with its parameters. When the words fit no earlier request, or more than one
different request, which one is a question (the clause stays a step for a person)."""

from __future__ import annotations

import json
import re

from procedures.compiler.rules.candidates import Act

_SAID = re.compile(r"\bsame\b[^.;]{0,30}\b(?:post|call|request)\b|\bthe\s+[a-z]+\s+post\b", re.I)
_PATH = re.compile(r"(?<![\w/])(/[a-z0-9][\w/.-]*[\w/])")
_NOUN = re.compile(r"\b(?:the\s+)?(?:same\s+)?([a-z]+)\s+(?:post|call|request)\b", re.I)


def again(builder, text: str) -> Act | None:
    if not _SAID.search(text):
        return None
    earlier = [s for s in builder.steps.values() if s.get("operation") == "http.request"]
    path = _PATH.search(text)
    noun = _NOUN.search(text)
    word = noun.group(1).lower() if noun and noun.group(1).lower() not in ("same", "the", "a", "that", "this") else ""
    if path:
        matches = [s for s in earlier if s["params"].get("path") == path.group(1)]
    elif word:
        stem = word[:5]
        matches = [s for s in earlier if stem in f"{s['params'].get('path', '')} {s['params'].get('endpoint', '')}"]
    elif re.search(r"\bpost\b|\bas (?:above|before|earlier|in step)\b", text, re.I):
        matches = earlier[-1:]  # "the same POST as above": the last one
    else:
        return None  # "make the same call to the customer": a phone call, not a request
    if len({json.dumps(s["params"], sort_keys=True) for s in matches}) != 1:
        return None
    return Act("http.request", dict(matches[-1]["params"]), text[:120])
