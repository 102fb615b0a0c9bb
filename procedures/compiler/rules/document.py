"""Stage 1: SOP text → blocks (headings, list items, tables, code blocks, paragraphs), with exact source spans.

Nothing here interprets what the text asks for. It finds the document's
structure: markdown and underlined headings, numbered / lettered / bulleted
items and their nesting (an indented item, or items after a lead-in line that
ends with ":", are children), markdown tables (`| a | b |`) and plain-text
tables (columns separated by two or more spaces or tabs), fenced and indented
code/JSON blocks, and prose paragraphs. Hard-wrapped lines are joined into
one block; every block's `segment` is the exact text `source[start:end]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_MARKER = re.compile(
    r"^(?P<indent>[ \t]*)(?P<marker>\d{1,2}\.\d{1,2}[.)]?|\d{1,3}[.)]|[-*•+]|[a-zA-Z][.)]|\(?[a-z]\)|\[[ xX✓]?\]|[☐☑✓])[ \t]+(?:\[[ xX✓]?\][ \t]+)?"  # "- [ ] Check …": a checklist item
)
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_UNDERLINE = re.compile(r"^\s*(?:={3,}|-{3,})\s*$")
_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_COLUMNS = re.compile(r"\S(?:.*?\S)??(?=\s{2,}|\t|$)")
_MID_SENTENCE_END = re.compile(
    r"(,|\b(?:and|or|the|a|an|to|of|with|for|in|on|by|if|than|is|are|be|that|who|which))\s*$", re.IGNORECASE
)
MAX_LINES = 20_000
_TERSE_END = re.compile(
    r"^(?:stop|stop here|done|that's it|nothing else(?: happens| to do| is needed)?|nothing more(?: to do| happens)?"
    r"|no further action(?: is (?:needed|required))?)[.!]$",
    re.I,
)
_FOR_INFORMATION = re.compile(
    r"\bfyi\b|\bfor (?:your )?(?:reference|information)\b|\b(?:reference|info|information|background) only\b|"
    r"\bnot (?:a )?(?:steps?|procedure)\b"
)

# Section headings whose whole section is not procedure.
SECTION_KINDS = (
    (r"purpose|scope|objective|goal|overview|background|about|introduction|summary|audience|applies to", "purpose"),
    (r"definitions?|glossary|terms|terminology", "definition"),
    (
        r"(?:worked |typical |real[- ]life |illustrative )?examples?|sample|samples|templates?|macros?"
        r"|canned (?:responses?|replies)",
        "example",
    ),
    (
        r"inputs?|outputs?|fields|required (?:fields|information|data)|what you(?:'ll)? need|prerequisites|data"
        r"|(?:form |field |input )?validation(?: rules)?",
        "io_list",
    ),
    (
        r"tone|style|voice|writing guidelines|communication (?:style|guidelines)|how to (?:sound|write|talk|speak)"
        r"|writing to|talking to|speaking to"
        r"|(?:(?:customer|client|caller)\s+)?(?:contact|communication|reply|replies|response|phone|call|conversation)s?"
        r"\s+(?:guidance|guidelines|etiquette|tips|style)",
        "tone",
    ),
    (r"never|never do|do not|don'?t|don'?ts|dos and don'?ts|prohibited|forbidden", "note"),  # a list of what not to do
    (r"revision history|change ?log|history|versions?|document control|approvals? of this document", "history"),
    (
        r"references?|related (?:documents|procedures|links)|see also|contacts?|owners?|roles(?: and responsibilities)?|responsibilities|notes?|faqs?|frequently asked questions|common questions|questions and answers|q ?& ?a"
        r"|questions (?:\w+ ){0,2}(?:ask|asked|get|raise)"
        r"|(?:escalation|team|key|useful|other) (?:contacts?|directory)|directory|points? of contact"
        r"|who to (?:contact|call|ask|reach)|how to reach",
        "note",
    ),
)


def section_kind(heading: str) -> str:
    """The non-procedural kind a section heading gives its content, or "" for a procedural section."""
    text = heading.strip().strip("#*: ").lower()
    text = re.sub(r"^\d+(?:\.\d+)*[.)]?\s*", "", text)
    if _FOR_INFORMATION.search(text) and len(text.split()) <= 10:
        return "note"  # "reason codes we see most (FYI only):" — what follows is reference, not steps
    if len(text.split()) > 8:
        return ""
    for pattern, kind in SECTION_KINDS:
        if re.fullmatch(rf"(?:the\s+)?(?:{pattern})(?:\b[\w ,&/()'-]*)?", text):
            return kind
    return ""


@dataclass(frozen=True)
class Segment:
    """A piece of the source with its [start, end) offsets; `text` == source[start:end]."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Heading:
    segment: Segment
    level: int  # 1 = top; underlined and "Title:" lines count as level 2


@dataclass(frozen=True)
class Item:
    """A numbered / lettered / bulleted entry, a lead-in line, or one line of notes; `children` are nested."""

    segment: Segment
    indent: int
    marked: bool
    number: str = ""  # "1", "a", "-" ...
    children: tuple[Item | Table, ...] = ()


@dataclass(frozen=True)
class Table:
    """Rows of cells (separator rows dropped). `header` is the first row when the table has one."""

    segment: Segment
    header: tuple[Segment, ...]
    rows: tuple[tuple[Segment, ...], ...]


@dataclass(frozen=True)
class Code:
    segment: Segment


@dataclass(frozen=True)
class Section:
    """A heading and the blocks under it, up to the next heading of the same or a higher level."""

    heading: Heading
    blocks: tuple[Block | Section, ...]


Block = Heading | Item | Table | Code


def outline(found: list[Block]) -> list[Block | Section]:
    """Blocks grouped under their headings (nested by heading level)."""
    result: list[Block | Section] = []
    i = 0
    while i < len(found):
        block = found[i]
        if isinstance(block, Heading):
            j = i + 1
            while j < len(found) and not (isinstance(found[j], Heading) and found[j].level <= block.level):
                j += 1
            result.append(Section(block, tuple(outline(found[i + 1 : j]))))
            i = j
        else:
            result.append(block)
            i += 1
    return result


def _strip(source: str, start: int, end: int) -> Segment:
    text = source[start:end]
    lead = len(text) - len(text.lstrip())
    text = text.strip()
    return Segment(text, start + lead, start + lead + len(text))


def sub(segment: Segment, start: int, end: int) -> Segment:
    """The part [start, end) of a segment's text, trimmed, as a segment of the source."""
    text = segment.text[start:end]
    lead = len(text) - len(text.lstrip())
    text = text.strip()
    offset = segment.start + start + lead
    return Segment(text, offset, offset + len(text))


def lines(source: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in source.splitlines(keepends=True)[:MAX_LINES]:
        spans.append((pos, pos + len(line.rstrip("\r\n"))))
        pos += len(line)
    return spans


@dataclass
class _Open:
    """An item while its lines are read (blocks are frozen once complete)."""

    segment: Segment
    indent: int
    marked: bool
    number: str
    lead_in: bool = False
    column: int = 0  # where the item's text starts on its first line (a hanging indent continues it)
    children: list = field(default_factory=list)

    def freeze(self) -> Item:
        kids = tuple(c.freeze() if isinstance(c, _Open) else c for c in self.children)
        return Item(self.segment, self.indent, self.marked, self.number, kids)


_BOLD_CASE = re.compile(r"\*\*((?:if|when|unless|once|for)\b[^*\n]{1,150}?)\*\*(?=[,:])", re.I)


def _unbold_cases(source: str) -> str:
    """ "**If the risk flag is set**, do not refund …" reads like "If the risk flag is set, …". The markers become
    spaces, so every position (and every span into the source) stays where it was."""
    return _BOLD_CASE.sub(lambda m: "  " + m.group(1) + "  ", source)


def blocks(source: str) -> list[Block]:
    """The source's blocks in order; nested items are children of their parent item."""
    source = _unbold_cases(source)
    spans = lines(source)
    result: list = []
    stack: list[_Open] = []
    previous_blank = True
    i = 0
    while i < len(spans):
        start, end = spans[i]
        line = source[start:end]
        nxt = source[spans[i + 1][0] : spans[i + 1][1]] if i + 1 < len(spans) else ""
        if not line.strip() or _RULE.match(line):  # a rule no heading text stands on separates, like a blank
            previous_blank = True
            if stack and not stack[-1].lead_in and not _MARKER.match(nxt) and nxt.strip() and not nxt[:1].isspace():
                stack.clear()  # a blank line then unindented prose ends the list
            elif stack and _ends_lead_in(stack, nxt):
                stack.clear()  # a blank line then a list of another kind ends the lead-in's list
            i += 1
            continue
        if _FENCE.match(line):
            j = i + 1
            while j < len(spans) and not _FENCE.match(source[spans[j][0] : spans[j][1]]):
                j += 1
            close = spans[min(j, len(spans) - 1)][1]
            _place(result, stack, Code(_strip(source, start, close)), None)
            i, previous_blank = j + 1, True
            continue
        heading = _MD_HEADING.match(line)
        if not heading and (_caps_heading(line) or (previous_blank and _plain_heading(line, nxt))):
            result.append(Heading(_strip(source, start, end), 3))
            stack.clear()
            i, previous_blank = i + 1, True
            continue
        setext = _UNDERLINE.match(nxt) and line.strip() and not _MARKER.match(line) and previous_blank
        if heading or setext:  # the last line of a step above a rule is no heading: the rule closes the step
            seg = _strip(source, start + (heading.start(2) if heading else 0), end)
            result.append(Heading(seg, len(heading.group(1)) if heading else 2))
            stack.clear()
            i, previous_blank = i + (1 if heading else 2), True
            continue
        if _TABLE_ROW.match(line) or _plain_table_at(source, spans, i):
            j, table = _table(source, spans, i)
            _place(result, stack, table, len(line) - len(line.lstrip()))
            i, previous_blank = j, False
            continue
        if _indented_code(line, previous_blank, stack):
            j = i
            while j < len(spans) and (
                source[spans[j][0] : spans[j][1]].startswith(("    ", "\t"))
                or not source[spans[j][0] : spans[j][1]].strip()
            ):
                j += 1
            result.append(Code(_strip(source, start, spans[j - 1][1])))
            stack.clear()
            i, previous_blank = j, True
            continue
        marker = _MARKER.match(line)
        if (
            marker
            and marker.group("marker")[0].isdigit()
            and not marker.group("indent")
            and (
                section_kind(line[marker.end() :])
                or (previous_blank and not nxt.strip() and _numbered_title(line[marker.end() :]))
            )
        ):
            result.append(Heading(_strip(source, start + marker.end(), end), 2))  # "4. Roles and responsibilities"
            stack.clear()
            i, previous_blank = i + 1, True
            continue
        indent = len(line) - len(line.lstrip(" \t"))
        seg = _strip(source, start + marker.end(), end) if marker else _strip(source, start, end)
        if _BOLD_LEAD_IN.match(seg.text) and _list_follows(source, spans, i):
            seg = sub(seg, 2, len(seg.text) - 2)  # "**If malicious:**" over a list leads it in like "If malicious:"
        last = stack[-1] if stack else None
        if last is not None and not marker and not previous_blank and _continues(last, seg, indent):
            last.segment = Segment(source[last.segment.start : seg.end], last.segment.start, seg.end)
            last.lead_in = last.lead_in or (seg.text.endswith(":") and len(last.segment.text) < 200)  # wrapped
            i, previous_blank = i + 1, False
            continue
        number = marker.group("marker").strip("().") if marker else ""
        number = "-" if number[:1] in ("[", "☐", "☑", "✓") else number  # a checklist box is a bullet
        item = _Open(seg, indent, bool(marker), number, column=marker.end() if marker else indent)
        # A lead-in line ("If the customer is on Enterprise:") owns the unindented items after it.
        while (
            stack
            and stack[-1].indent >= indent
            and not (stack[-1].lead_in and stack[-1].indent == indent and marker and not stack[-1].marked)
        ):
            stack.pop()
        if stack and (indent > stack[-1].indent or stack[-1].lead_in):
            stack[-1].children.append(item)
        else:
            result.append(item)
        item.lead_in = seg.text.endswith(":") and len(seg.text) < 200
        stack.append(item)
        i, previous_blank = i + 1, False
    return [b.freeze() if isinstance(b, _Open) else b for b in result]


_BOLD_LEAD_IN = re.compile(r"^\*\*[^*\n]{2,150}:\*\*$")


def _list_follows(source: str, spans: list[tuple[int, int]], i: int) -> bool:
    """Whether the next line with text is a list item (a bold line over paragraphs is a section title instead)."""
    for start, end in spans[i + 1 :]:
        line = source[start:end]
        if line.strip():
            return bool(_MARKER.match(line))
    return False


def _numbered_title(text: str) -> bool:
    """ "5. Procedure for Support" alone between blank lines: a numbered section title, not a step."""
    words = text.split()
    return 1 <= len(words) <= 6 and words[0][:1].isupper() and not re.search(r"[.!?:;,$]|->|→", text)


def _caps_heading(line: str) -> bool:
    """ "PURPOSE", "HOW THIS REACHES SOPDESK": an unindented line in capitals is a heading."""
    text = line.strip().rstrip(":")
    return (
        not line[:1].isspace()
        and 1 <= len(text.split()) <= 8
        and bool(re.fullmatch(r"[A-Z][A-Z0-9 &/,()'—–-]*", text))  # "STEP 1 — ALWAYS"
        and sum(c.isalpha() for c in text) >= 4
    )


def _kind(marker: str) -> str:
    marker = marker.strip("().")
    return "number" if marker.isdigit() else "letter" if marker.isalpha() else "bullet"


def _ends_lead_in(stack: list[_Open], nxt: str) -> bool:
    lead = next((o for o in reversed(stack) if o.lead_in), None)
    marker = _MARKER.match(nxt)
    if lead is None or not marker or len(marker.group("indent")) > lead.indent or not lead.children:
        return False
    last = lead.children[-1]
    return not isinstance(last, _Open) or _kind(last.number or "-") != _kind(marker.group("marker"))


def _plain_heading(line: str, nxt: str) -> bool:
    """A short Title Case line with no punctuation, right above a list or table: "Definitions", "Escalation Path"."""
    text = line.strip().strip("*_").strip()
    words = text.split()
    if line[:1].isspace() or _MARKER.match(line) or not words or len(words) > 6 or re.search(r"[.!?,;:$\d]|->|→", text):
        return False
    significant = [w for w in words if w.lower() not in ("and", "or", "of", "the", "a", "an", "for", "to", "in", "on")]
    title_case = all(w[:1].isupper() for w in significant)
    if title_case and len(words) <= 4 and nxt.strip() and section_kind(text):
        return True  # "Tone" over a paragraph: a heading whose whole section is not procedure
    if len(words) <= 4 and _FOR_INFORMATION.search(text.lower()) and nxt.strip() and _MARKER.match(nxt):
        return True  # "misc / FYI" over a list: reference, not steps, in any case
    if not title_case and words[0][:1].isupper() and nxt[:1] in " \t" and nxt.strip():
        return True  # "What every request gets" over an indented block: a sentence-case heading
    return title_case and bool(_MARKER.match(nxt) or _TABLE_ROW.match(nxt))


def _place(result: list, stack: list[_Open], block, indent: int | None) -> None:
    if stack and indent is not None and (indent > stack[-1].indent or stack[-1].lead_in):
        stack[-1].children.append(block)
    else:
        result.append(block)
        stack.clear()


_DANGLING_END = re.compile(r"\b(?:the|a|an|to|of|with|from|by|your|our|their)$|\s&$")  # lower case: "Plan A" may end


def _continues(last: _Open, seg: Segment, indent: int) -> bool:
    """A line without a marker that carries on the previous one (a hard wrap), not a new step."""
    if last.lead_in and not last.marked and indent == last.indent and re.match(r"[a-z]", seg.text):
        return True  # "… Do not refund:\ntag the ticket …, and stop.": a hard wrap after a colon, not a list
    if not last.marked and _under_arrow_body(last, indent) and not re.search(r"->|→|=>", seg.text):
        return True  # "€20 – €50  -> hold the deposit.\n                Reply to the rider …": a hanging indent
    if _DANGLING_END.search(last.segment.text) and not last.lead_in:
        return True  # "… add a note on the\n       Salesforce account …": no sentence ends on "the"
    if (indent > last.indent + 4 and not re.match(r"[(a-z]", seg.text)) or last.lead_in:
        return False
    if last.marked:
        if 0 < indent < last.column and re.search(r"[.!?]$", last.segment.text):
            return False  # under the parent's text, not the bullet's: a new line of the parent
        return not seg.text.endswith(":") or bool(_MID_SENTENCE_END.search(last.segment.text))
    if re.search(r"->|→|=>", seg.text):
        return False
    prev = last.segment.text
    if re.search(r"[.!]$", prev) and _TERSE_END.match(seg.text) and indent == last.indent:
        return True  # "…, tag it and set it to solved.\nNothing else happens." ends that sentence's branch
    wrapped = len(prev.rsplit("\n", 1)[-1]) >= 40 and not re.search(r"[.!?:;]$|->|→", prev)
    # "… assign it to the Legal\nEscalations group and stop.": a line ending on "the" / "to" goes on
    dangling = re.search(r"\b(?:the|a|an|to|of|and|or|with|in|for|on|at|by|from|your|our|their)$", prev, re.I) or (
        re.search(r"\b(?:the|a|an|to)\s+[A-Z][a-z]+$", prev) and re.match(r"[A-Z][a-z]+(?:[,.;]|\s+[a-z])", seg.text)
    )  # "… to the Legal\nEscalations group and stop.", "… from the Compliance\nOfficer, with …": a name cut in two
    goes_on = seg.text[:1].islower() or re.match(r"[`\"'“($£€]|\d+(?![.)\d])", seg.text)  # "…tag the ticket\n`x`"
    return bool(_MID_SENTENCE_END.search(prev)) or (wrapped and (bool(goes_on) or bool(dangling)))


def _under_arrow_body(last: _Open, indent: int) -> bool:
    """Whether a line starts where the text after the arrow of the open line's first line starts."""
    first = last.segment.text.split("\n", 1)[0]
    arrow = re.search(r"(?:->|→|=>)\s*", first)
    if not arrow or not first[: arrow.start()].strip() or last.lead_in:
        return False  # "-> once verified:" with steps under it: a list, not a wrapped line
    return indent > last.indent and abs(indent - (last.indent + arrow.end())) <= 2


def _indented_code(line: str, previous_blank: bool, stack: list[_Open]) -> bool:
    stripped = line.strip()
    return (
        previous_blank
        and not stack
        and line.startswith(("    ", "\t"))
        and bool(re.match(r"[{\[\"<]|\w+\s*[=:]\s*[{\[\"]", stripped))
    )


def _plain_table_at(source: str, spans: list[tuple[int, int]], i: int) -> bool:
    """Two or more consecutive lines with the same number (≥ 2) of columns separated by 2+ spaces or tabs."""
    counts = []
    for start, end in spans[i : i + 3]:
        line = source[start:end]
        if not line.strip() or _MARKER.match(line):
            break
        cells = _COLUMNS.findall(line.strip())
        if not re.search(r"\S(?: {2,}|\t)\S", line.strip()) or re.search(r"->|→|=>", line):
            break  # aligned "X  -> do Y" lines are rules, each its own case, not a table
        counts.append(len(cells))
    return len(counts) >= 2 and counts[0] >= 2 and len(set(counts)) == 1


def _cells(source: str, start: int, end: int, piped: bool) -> tuple[Segment, ...]:
    line = source[start:end]
    if piped:
        found, pos = [], line.index("|") + 1
        for part in line[pos:].rstrip().rstrip("|").split("|"):
            found.append(_strip(source, start + pos, start + pos + len(part)))
            pos += len(part) + 1
        return tuple(found)
    return tuple(_strip(source, start + m.start(), start + m.end()) for m in _COLUMNS.finditer(line))


def _table(source: str, spans: list[tuple[int, int]], i: int) -> tuple[int, Table]:
    piped = bool(_TABLE_ROW.match(source[spans[i][0] : spans[i][1]]))
    rows: list[tuple[Segment, ...]] = []
    separator_seen = False
    j = i
    while j < len(spans):
        start, end = spans[j]
        line = source[start:end]
        if not line.strip() or (piped and not _TABLE_ROW.match(line)) or (not piped and _MARKER.match(line)):
            break
        if not piped and rows and _continuation(line, source, rows[-1]):
            rows[-1] = _joined(rows[-1], _strip(source, start, end), source)  # a cell wrapped onto the next line
            j += 1
            continue
        if not piped and not re.search(r"\S(?: {2,}|\t)\S", line.strip()):
            break
        if _TABLE_SEPARATOR.match(line) or (not piped and re.fullmatch(r"[-=]{2,}(?:\s+[-=]{2,})+", line.strip())):
            separator_seen = True
        else:
            rows.append(_cells(source, start, end, piped))
        j += 1
    header: tuple[Segment, ...] = ()
    if rows and (separator_seen or not piped):
        header, rows = rows[0], rows[1:]
    whole = _strip(source, spans[i][0], spans[j - 1][1])
    return j, Table(whole, header, tuple(rows))


def _continuation(line: str, source: str, previous: tuple[Segment, ...]) -> bool:
    """One cell, indented past the first column of a plain-text table: the rest of a cell of the row above."""
    if len(previous) < 2 or re.search(r"\S(?: {2,}|\t)\S", line.strip()):
        return False
    line_start = source.rfind("\n", 0, previous[0].start) + 1
    indent = len(line) - len(line.lstrip(" "))
    return indent > previous[0].start - line_start + 1 and "\t" not in line


def _joined(row: tuple[Segment, ...], more: Segment, source: str) -> tuple[Segment, ...]:
    """The row with `more` added to the cell whose column it sits under. That cell's text is the two pieces
    joined by a space; its span runs to the end of `more` (so it also covers the cells to its right)."""
    column = more.start - (source.rfind("\n", 0, more.start) + 1)
    starts = [c.start - (source.rfind("\n", 0, c.start) + 1) for c in row]
    index = max((i for i, s in enumerate(starts) if s <= column + 1), default=0)
    cell = row[index]
    return row[:index] + (Segment(f"{cell.text} {more.text}", cell.start, more.end),) + row[index + 1 :]


def walk(found):
    """Every block, depth first (children after their parent, a section's heading before its blocks)."""
    for block in found:
        if isinstance(block, Section):
            yield block.heading
            yield from walk(block.blocks)
            continue
        yield block
        if isinstance(block, Item):
            yield from walk(block.children)
