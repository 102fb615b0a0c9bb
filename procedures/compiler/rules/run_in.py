"""Bold run-in titles: "**2. Analyse.** Open the file …", "**Acknowledge.** Reply …", "**Step 3 - Close.** Solve …".

Only a title closed by a full stop: "**Owner:** AR team" and "**Refund value:** the amount field" are labels and
definitions, read by the rules for those.

The bold words name the step; they are a heading, not a sentence a person must confirm at run time. A bold lead that
states a case ("**If malicious:**", "**Over $500** - …") is not a title and is left to the rules that read cases.
"""

from __future__ import annotations

import re
from dataclasses import replace

from procedures.compiler.rules import conditions, sentences
from procedures.compiler.rules.document import Item, Segment, section_kind, sub

_RUN_IN = re.compile(
    r"^\*\*(?P<title>(?:step\s+)?(?P<number>\d{1,2}[a-z]?)?[.)]?\s*[-–—:]?\s*[^*\n]{0,60}?)\s*(?P<end>\.)?\*\*"
    r"(?(end)|\.)\s+(?=\S)",
    re.I,
)
_CASE_WORDS = re.compile(
    r"^(?:step\s+\d+\S*\s*[-–—:]?\s*)?(?:if|when|whenever|for|unless|otherwise|once|where)\b", re.I
)


def split(item: Item, known) -> tuple[Segment | None, Item]:
    """The bold run-in title of a paragraph or list item (marked as a heading by the caller), and the item without it."""
    found = _RUN_IN.match(item.segment.text)
    if not found:
        return None, item
    title = found.group("title").strip()
    words = title.split()
    if not words or len(words) > 8 or _CASE_WORDS.match(title) or conditions.condition(title, known):
        return None, item
    if section_kind(title) or sentences.kind_of(title + "."):
        return None, item  # "**Purpose.** …", "**Definitions.** …": the label says what the paragraph is
    rest = sub(item.segment, found.end(), len(item.segment.text))
    number = item.number or (found.group("number") or "")
    return sub(item.segment, 0, found.end()), replace(item, segment=rest, number=number)
