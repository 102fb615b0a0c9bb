"""Decision tables: each row is one alternative (its condition cells joined with "and"), the outcome column its steps.

A markdown or plain-text table whose header names conditions ("Plan",
"Amount") and an outcome ("Action", "Approver", "What to do") becomes one
decision: rows on the same fact are branches of one decide step, in the
order written (the graph stage puts the most specific rung first); a row whose
condition the rules cannot read becomes a question for a person. A table
with a single column, or inside a non-procedural section, is not procedure.
"""

from __future__ import annotations

import re

from procedures.compiler.rules import conditions, quantities, shapes
from procedures.compiler.rules.builder import Exit
from procedures.compiler.rules.clauses import VERBS
from procedures.compiler.rules.document import Segment, Table, sub
from procedures.compiler.rules.state import Pending, Walk

_OUTCOME = re.compile(
    r"action|then|what to do|outcome|result|route|routing|approv|owner|response|next|do\b|handl|escalat|decision|step",
    re.I,
)
_ANY = re.compile(r"^(?:-|–|—|\*|any|all|n/?a|—)$", re.I)
_NONE = re.compile(r"^(?:-|–|—|none|no|n/?a|not needed|nobody|no one)\.?$", re.I)
_SEPARATOR = re.compile(r"^[-=:+_ ]*$")
# Headers of columns that say what to do rather than when: a decision table has its conditions on the left
# and these on the right ("| Months in service | Remedy | Tag | Sign-off needed |").
_RESULT_HEAD = re.compile(
    _OUTCOME.pattern
    + r"|\btags?\b|\blabels?\b|remedy|entitle|sign[- ]?off|reply|template|penalty|consequence|treatment",
    re.I,
)
_TAG_HEAD = re.compile(r"^(?:(?:zendesk|ticket)\s+)?(?:tags?|labels?)(?:\s+to\s+(?:add|apply))?$", re.I)
_SIGN_HEAD = re.compile(r"sign[- ]?off|approv", re.I)
_DIRECTORY_HEAD = re.compile(
    r"how to (?:reach|contact|find)|\bcontact (?:details|info|channel|method|via)|\breach (?:them|via|at)\b"
    r"|(?:slack|e-?mail|phone) (?:channel|address|number)",
    re.I,
)


def decision_table(w: Walk, table: Table) -> None:
    rows = [r for r in table.rows if not all(_SEPARATOR.match(c.text) for c in r)]  # "------  ------" rules
    if len(rows) != len(table.rows):
        table = Table(table.segment, table.header, tuple(rows))
    if w.b.section_kind or not table.rows or len(table.header or table.rows[0]) < 2:
        w.b.mark(table.segment, w.b.section_kind or "note")
        return
    header = table.header or tuple(Segment("", c.start, c.start) for c in table.rows[0])
    if any(_DIRECTORY_HEAD.search(cell.text) for cell in header):
        w.b.mark(table.segment, "note")  # "| Team | How to reach them | When |": who to contact, not what to do
        return
    settings = {i: kind for i, cell in enumerate(header) if (kind := _setting(cell.text))}
    if settings:
        _settings_table(w, table, header, settings)
        return
    outcome = _outcome_column(header)
    title = header[outcome].text if outcome < len(header) else ""
    cells = [row[outcome] for row in table.rows if outcome < len(row) and row[outcome].text]
    field_list = re.fullmatch(
        r"(?:field|name|column|term|abbreviation|input|output|data|attribute)s?", header[0].text.strip(), re.I
    )
    tags = [i for i, h in enumerate(header) if _TAG_HEAD.match(h.text.strip())]
    tagged = tags and all(  # "| … | Tag |" with a tag on every row: each row does something
        any(i < len(r) and _result(header[i].text, r[i]) for i in tags) for r in table.rows
    )
    acting = bool(cells) and _acting_table(title, cells)
    if not cells or field_list or not (acting or tagged):
        w.b.mark(table.segment, "note")  # a reference table (targets, contacts), not a decision
        return
    if table.header:
        w.b.mark(_span(w.b.source, table.header), "heading")
    results = _result_columns(header, outcome)
    rows = []
    readable = _readable_columns(w, header, table.rows, outcome, results)
    if not acting:  # a table that only tags: the first column says which row ("| Plan | Excess | Limit | Tag |")
        readable &= {0}
    for cells in table.rows:
        parts = [
            _phrase(header[i].text if i < len(header) else "", cell.text)
            for i, cell in enumerate(cells)
            if i != outcome and i in readable and cell.text and not _ANY.match(cell.text)
        ]
        body = [_body(title, cells[outcome])] if outcome < len(cells) and not _NONE.match(cells[outcome].text) else []
        body += [c for i in sorted(results) if i < len(cells) and (c := _result(header[i].text, cells[i]))]
        rows.append((_span(w.b.source, cells), " and ".join(parts), body, parts))
    alternatives(w, rows)


def _result_columns(header: tuple[Segment, ...], outcome: int) -> set[int]:
    """The columns besides the outcome that say what to do: every column from the first result-like header on."""
    first = next((i for i, cell in enumerate(header) if i > 0 and _RESULT_HEAD.search(cell.text)), None)
    if first is None:
        return set()
    return {i for i in range(first, len(header)) if i != outcome}


def _result(head: str, cell: Segment) -> Segment | None:
    """A result cell as a clause: a tag column tags the ticket, a sign-off column needs that approver; a
    descriptive cell ("Free replacement unit") is what the row means, not a step of its own."""
    text = cell.text.strip()
    if not text or _NONE.match(text):
        return None
    if _TAG_HEAD.match(head.strip()) and re.fullmatch(r"`?[a-z0-9][\w-]*`?(?:\s*,\s*`?[a-z0-9][\w-]*`?)*", text):
        return Segment(f"tag the ticket {text}", cell.start, cell.end)
    if _SIGN_HEAD.search(head) and not re.search(r"\bapprov|\bsign", text, re.I):
        return Segment(f"needs approval from the {text}", cell.start, cell.end)
    word = re.match(r"[A-Za-z]+", text)
    return cell if word and word.group(0).lower() in VERBS else None


_INFO = re.compile(r"target|sla|time|deadline|note|comment|example|description|reason|why|contact|owner", re.I)


def _setting(header: str) -> str:
    """A column that sets a field of the ticket: "Zendesk priority" → priority, "Group" / "Queue" → group."""
    if re.search(r"\bpriority\b", header, re.I):
        return "priority"
    if re.search(r"\b(?:group|queue|tier|team|route|routing|assign(?:ee|ed)? to)\b", header, re.I):
        return "group"
    return ""


def _settings_table(w: Walk, table: Table, header, settings: dict[int, str]) -> None:
    """ "| Plan | Zendesk priority | Group | First reply target |": the plan decides priority and group."""
    if table.header:
        w.b.mark(_span(w.b.source, table.header), "heading")
    info = {i for i, cell in enumerate(header) if i not in settings and _INFO.search(cell.text)}
    rows = []
    for cells in table.rows:
        parts = [
            _phrase(header[i].text, cell.text)
            for i, cell in enumerate(cells)
            if i < len(header) and i not in settings and i not in info and cell.text and not _ANY.match(cell.text)
        ]
        body = []
        for i, kind in settings.items():
            if i < len(cells) and cells[i].text and not _ANY.match(cells[i].text):
                cell = cells[i]
                text = (
                    f"set the ticket priority to {cell.text.lower()}"
                    if kind == "priority"
                    else f"assign the ticket to the {cell.text} group"
                )
                body.append(Segment(text, cell.start, cell.end))
        rows.append((_span(w.b.source, cells), " and ".join(parts), body))
    alternatives(w, rows)


_LABEL = re.compile(r"^[\w -]{1,25}:\s+(?=\S)")


_OK = re.compile(r"\b(?:an?|the|their|his|her)\s+(?:OK|okay|go-ahead)\b", re.I)
_TWO_SIGNERS = re.compile(r"\bfrom\b.+\b(?:and|then|plus)\s+(?:the\s+|an?\s+)?[A-Z]")


def _acting_table(title: str, cells: list[Segment]) -> bool:
    """Whether most outcome cells ask for something. "Needs an OK from the Support Lead" asks for an approval —
    but a table that only acts through such OKs, one of them from two people, stays reference: one approval
    step for two signers would be wrong."""
    if sum(_acts(title, c.text) for c in cells) * 2 >= len(cells):
        return True
    with_ok = sum(_acts(title, c.text) or bool(_OK.search(c.text)) for c in cells)
    return with_ok * 2 >= len(cells) and not any(_OK.search(c.text) and _TWO_SIGNERS.search(c.text) for c in cells)


def _acts(title: str, cell: str) -> bool:
    """Whether an outcome cell asks for something: an action verb, an approver column, a group to route to."""
    cell = _LABEL.sub("", cell)
    if re.search(r"approv|sign|route|queue|group|escalat", title, re.I):
        return True
    words = [re.match(r"[A-Za-z]+", part) for part in re.split(r"[;,]\s*", cell)]
    return any(w and w.group(0).lower() in VERBS for w in words) or bool(
        re.search(r"\bapprov|\bsign[- ]off", cell, re.I)
    )


def _body(title: str, cell: Segment) -> Segment:
    """The outcome cell as a clause: "Finance director" under "Approver" → an approval by the finance director."""
    if _TAG_HEAD.match(title.strip()) and (tagged := _result(title, cell)):
        return tagged  # "| under 4 | … | late-small |" under "Tag": tag the ticket late-small
    label = _LABEL.match(cell.text)
    if label:  # "ban: needs approval from …" — the label names the outcome, the rest is what to do
        cell = sub(cell, label.end(), len(cell.text))
    word = re.match(r"[A-Za-z]+", cell.text)
    if (word and word.group(0).lower() in VERBS) or not cell.text:
        return cell
    if re.search(r"approv|sign", title, re.I) and not re.search(r"\bapprov|\bno\b|\bnone\b|automatic", cell.text, re.I):
        return Segment(f"needs approval from the {cell.text}", cell.start, cell.end)
    if re.search(r"route|queue|group|escalat", title, re.I):
        return Segment(f"route the ticket to {cell.text}", cell.start, cell.end)
    return cell


def _readable_columns(w: Walk, header, rows, outcome: int, results: set[int]) -> set[int]:
    """The condition columns to use: those the rules can read for every row; all of them when none can be read
    (then every row is a question quoting its cells). A column of descriptions next to a readable one is dropped."""
    columns = {i for i in range(len(header)) if i != outcome and i not in results}
    readable = {
        i
        for i in columns
        if all(
            i >= len(cells)
            or not cells[i].text
            or _ANY.match(cells[i].text)
            or conditions.condition(_phrase(header[i].text, cells[i].text), w.b.known)
            for cells in rows
        )
    }
    if readable and min(columns) not in readable:
        # the first column is what the table is read by ("Outage length | Credit | Also do"): a readable column
        # to its right is an outcome ("$25"), not the condition, so every row is a question quoting its cells
        return columns
    return readable or columns


def _outcome_column(header: tuple[Segment, ...]) -> int:
    found = [i for i, cell in enumerate(header) if _OUTCOME.search(cell.text)]
    return found[-1] if found else len(header) - 1


def _span(source: str, cells: tuple[Segment, ...]) -> Segment:
    start, end = cells[0].start, max(c.end for c in cells)  # a wrapped cell ends after the cells to its right
    return Segment(source[start:end], start, end)


def _phrase(header: str, cell: str) -> str:
    """ "Amount" + "$100–500" → "Amount $100–500"; "Plan" + "Enterprise" → "the Plan is Enterprise"."""
    if not header:
        return cell
    number = re.fullmatch(r"(\d+)(?:\s+(?:or|and)\s+(more|fewer|less|above|below|over|under|up))?", cell.strip())
    if number:
        word = {"more": "at least", "above": "at least", "over": "at least", "up": "at least"}
        word |= {"fewer": "at most", "less": "at most", "below": "at most", "under": "at most"}
        return (
            f"the {header} is {word[number.group(2)]} {number.group(1)}"
            if number.group(2)
            else f"the {header} is {cell}"
        )
    if quantities.money(cell) is not None or re.search(
        r"\d|\b(?:over|under|more|less|above|below|at least)\b", cell, re.I
    ):
        return f"{header} {cell}"
    if cell.lower() in ("yes", "y", "true", "✓"):
        return header
    if cell.lower() in ("no", "n", "false"):
        return f"not {header}"
    return f"the {header} is {cell}"


def alternatives(w: Walk, rows: list[tuple]) -> None:
    """Mutually exclusive alternatives: each row's steps run only when its condition holds and no earlier one did.

    A row is (span, condition text, body) or, from a table, (span, condition text, body, cell phrases): a row
    with a cell the rules cannot read is a question, never a condition on the cells they can."""
    found = [(row[0], row[1], row[2], _row_condition(w, row)) for row in rows]
    remaining: list[Exit] = list(w.b.exits)
    ends: list[Exit] = []
    last: tuple[str, str] | None = None  # (decide key, fact root) the next row on the same fact joins
    unknown = [r for r in found if r[3] is None]
    judgement = None
    if len(unknown) > 1 and len(unknown) == len(found):
        w.b.exits = remaining
        outcomes = [(shapes.outcome_key(h or (b[0].text if b else "row")), (h or "row")[:200]) for _, h, b, _ in found]
        outcomes = _unique(outcomes) + [("none", "None of these")]
        judgement = w.b.judgement("Which of these applies?", found[0][0], outcomes, base="judge_table")
        remaining = [(judgement, ("judgement", "outcomes", len(outcomes) - 1, "next"))]
        w.b.warn(
            "Conditions of this table not understood by the rules compiler: a person picks the row at run time",
            found[0][0],
            code="condition_not_understood",
            step_key=judgement,
        )
    for i, (seg, head, body, cond) in enumerate(found):
        w.pending = None
        if judgement:
            w.b.exits = [(judgement, ("judgement", "outcomes", i, "next"))]
        elif cond and last and shapes.root(cond.cel) == last[1]:
            w.b.exits = [w.b.add_branch(last[0], cond.cel, head)]
        elif cond:
            w.b.exits = remaining
            for need in cond.needs:
                w.ensure(need, seg)
            key = w.b.decide(cond.cel, head, seg)
            last = (key, shapes.root(cond.cel))
            remaining = [(key, ("otherwise",))]
        else:
            w.b.exits = remaining
            key = w.b.judgement(f"Does this apply: {head or seg.text}?", seg, [("yes", "Yes"), ("no", "No")])
            w.b.warn(
                f"Condition not understood by the rules compiler: a person answers {head or seg.text!r} at run time",
                seg,
                code="condition_not_understood",
                step_key=key,
            )
            w.b.exits = [(key, ("judgement", "outcomes", 0, "next"))]
            remaining, last = [(key, ("judgement", "outcomes", 1, "next"))], None
        snapshot = dict(w.b.known.results)
        for part in body:
            if part.text:
                w.body([part])
        w.b.known.results = snapshot
        ends += w.b.exits
    w.b.exits = ends + remaining
    w.pending = Pending(last[0], ends, remaining, last[1], known_before=dict(w.b.known.results)) if last else None
    w.understood += 1


def _row_condition(w: Walk, row: tuple):
    head = row[1]
    if not head:
        return None
    if len(row) > 3 and len(row[3]) > 1 and not all(conditions.condition(p, w.b.known) for p in row[3]):
        return None
    return conditions.condition(head, w.b.known)


def _unique(outcomes: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    result = []
    for key, label in outcomes:
        base, n = key or "row", 2
        while key in seen or not key:
            key, n = f"{base}_{n}", n + 1
        seen.add(key)
        result.append((key, label))
    return result


_MONEY_HEAD = (
    r"(?:under|over|above|below|up to|more than|less than|at least|at most|between|from)?\s*[$€£]\s?[\d,.]+[kK]?"
    r"(?:\s*(?:–|—|-|to|and)\s*[$€£]?\s?[\d,.]+[kK]?)?(?:\s+(?:or|and)\s+(?:more|less|above|below|over|under))?"
)
_RUNG = re.compile(
    rf"^(?:(?:if|for|when)\s+)?(?:(?:the\s+)?(?:orders?|refunds?|amounts?|claims?|requests?|credits?|value)\s+(?:of\s+|is\s+)?)?"
    rf"(?P<cond>{_MONEY_HEAD})\s*(?::|->|→|=>|,)?\s*(?P<body>\S.*)$",
    re.I,
)


def ladder(w: Walk, seg: Segment) -> bool:
    """ "$100–500 team lead approves, over $500 manager approves": rungs of one ladder, not steps in sequence."""
    parts, pos = [], 0
    for m in re.finditer(
        r"[,;]\s+(?=(?:and\s+|or\s+)?(?:(?:if|for|when)\s+)?(?:under|over|above|below|up to|more than|less than|at least|at most|between|from)?\s*[$€£]\d)",
        seg.text,
    ):
        parts.append(_part(seg, pos, m.start()))
        pos = m.end()
    parts.append(_part(seg, pos, len(seg.text)))
    rungs = [(part, _RUNG.match(part.text.strip(" ."))) for part in parts]
    if len(rungs) < 2 or not all(m for _, m in rungs):
        return False
    rows = []
    for part, m in rungs:
        body = Segment(m.group("body"), part.start + m.start("body"), part.start + m.end("body"))
        rows.append((part, m.group("cond").strip(), [body]))
    if not all(conditions.condition(head, w.b.known) for _, head, _ in rows):
        return False
    alternatives(w, rows)
    return True


def _part(seg: Segment, start: int, end: int) -> Segment:
    text = seg.text[start:end]
    lead = len(text) - len(text.lstrip(" ,;"))
    text = text.strip(" ,;.")
    text = re.sub(r"^(?:and|or)\s+", "", text)
    offset = seg.start + start + lead + (len(seg.text[start + lead : end].strip(" ,;.")) - len(text))
    return Segment(text, offset, offset + len(text))
