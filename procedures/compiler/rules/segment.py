"""Cut SOP text into items (numbered/bulleted steps, note lines, prose) and sentences, keeping exact spans."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_MARKER = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>\d{1,3}[.)]|[-*•+]|[a-z][.)])[ \t]+")
_HEADING = re.compile(r"^\s*(#{1,6}\s|={3,}|-{3,}\s*$)")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[A-Z\"(\[])")
_MID_SENTENCE_END = re.compile(r"(,|\b(?:and|or|the|a|an|to|of|with|for|in|on|by))\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Segment:
    """A piece of the source with its [start, end) offsets; `text` == source[start:end]."""

    text: str
    start: int
    end: int


@dataclass
class Item:
    """One step as written: a numbered/bulleted entry, a line of notes, or a prose paragraph."""

    segment: Segment
    indent: int
    marked: bool
    children: list[Item] = field(default_factory=list)


def _strip(source: str, start: int, end: int) -> Segment:
    text = source[start:end]
    lead = len(text) - len(text.lstrip())
    text = text.strip()
    return Segment(text, start + lead, start + lead + len(text))


def _lines(source: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in source.splitlines(keepends=True):
        spans.append((pos, pos + len(line.rstrip("\r\n"))))
        pos += len(line)
    return spans


def items(source: str) -> list[Item]:
    """The source's items in order; lines indented under an item become its children."""
    result: list[Item] = []
    stack: list[Item] = []
    previous_blank = True
    for start, end in _lines(source):
        line = source[start:end]
        if not line.strip() or _HEADING.match(line):
            previous_blank = True
            continue
        marker = _MARKER.match(line)
        indent = len(line) - len(line.lstrip(" \t"))
        seg = _strip(source, start + marker.end(), end) if marker else _strip(source, start, end)
        last = stack[-1] if stack else None
        continues = (
            last is not None
            and not marker
            and not previous_blank
            and (last.marked or _MID_SENTENCE_END.search(last.segment.text))
            and indent <= last.indent + 4
        )
        previous_blank = False
        if continues and last is not None:
            last.segment = Segment(source[last.segment.start : seg.end], last.segment.start, seg.end)
            continue
        item = Item(seg, indent, bool(marker))
        while stack and stack[-1].indent >= indent:
            stack.pop()
        if stack and indent > stack[-1].indent:
            stack[-1].children.append(item)
        else:
            result.append(item)
        stack.append(item)
    return result


def sentences(segment: Segment) -> list[Segment]:
    """The sentences of a segment, each with its own exact span."""
    found, pos = [], 0
    for match in _SENTENCE_END.finditer(segment.text):
        found.append(_strip_inner(segment, pos, match.start() + len(match.group(0).rstrip())))
        pos = match.end()
    found.append(_strip_inner(segment, pos, len(segment.text)))
    return [s for s in found if s.text]


def _strip_inner(segment: Segment, start: int, end: int) -> Segment:
    text = segment.text[start:end]
    lead = len(text) - len(text.lstrip())
    text = text.strip()
    offset = segment.start + start + lead
    return Segment(text, offset, offset + len(text))


def sub(segment: Segment, start: int, end: int) -> Segment:
    """The part [start, end) of a segment's text, trimmed, as a segment of the source."""
    return _strip_inner(segment, start, end)
