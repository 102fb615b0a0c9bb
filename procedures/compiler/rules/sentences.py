"""Stage 2: blocks → sentences, each with its exact span and a classification.

`split(segment)` cuts a block's text into sentences. `kind_of(...)` says
whether a sentence is procedural ("") or which non-procedural kind it is:
title, heading, purpose, definition, example, note, io_list, tone, code,
history. Non-procedural text never produces a step (a list of input fields
that mentions "email" sends no email); it is shown as such in the coverage.
A section heading ("Purpose", "Inputs", "Examples", "Revision history", ...)
gives its kind to everything under it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from procedures.compiler.rules.clauses import VERBS
from procedures.compiler.rules.document import Segment

_ABBREVIATIONS = r"(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\betc\.)(?<!\bvs\.)(?<!\bapprox\.)(?<!\bMr\.)(?<!\bDr\.)"
_SENTENCE_END = re.compile(  # "…report.** If the ticket …": a bold or italic sentence ends at its closing marks
    r"(?<=[.!?])" + _ABBREVIATIONS + r"(?:[\"')\]\u201d\u2019]|\*{1,2}|_{1,2})?\s+(?=[A-Z\"(\[\u201c]|\*{1,2}[A-Z])"
)


@dataclass(frozen=True)
class Sentence:
    segment: Segment
    kind: str = ""  # "" = procedural, else the non-procedural kind


def split(segment: Segment) -> list[Segment]:
    """The sentences of a segment, each with its own exact span."""
    found, pos = [], 0
    for match in _SENTENCE_END.finditer(segment.text):
        end = match.start() + len(match.group(0).rstrip())
        if _inside_quote(segment.text, end):
            continue
        found.append(_inner(segment, pos, end))
        pos = match.end()
    found.append(_inner(segment, pos, len(segment.text)))
    found = [part for sentence in found for part in _so_if(sentence) for part in _rough(part)]
    # A hard-wrapped sentence is read as one line: each line break becomes a space, so offsets stay exact
    # (the step's instruction and every excerpt are taken from the source, not from this text).
    return [Segment(s.text.replace("\r", " ").replace("\n", " "), s.start, s.end) for s in found if s.text]


def _inside_quote(text: str, end: int) -> bool:
    """'reply: "We are sorry. A replacement is on its way."': a full stop inside a quotation that closes later
    in the same block does not end the sentence (the quote is what to send, all of it)."""
    before, after = text[:end], text[end:]
    if before.count("\u201c") > before.count("\u201d"):
        return "\u201d" in after
    return before.count('"') % 2 == 1 and '"' in after


_SO_IF = re.compile(r"[,;]\s+(?:so|and so|therefore|which means)\s+(?=(?:if|when|unless)\b)", re.I)


def _so_if(sentence: Segment) -> list[Segment]:
    """ "Controls are self-serve on every plan except Enterprise, so if the plan is not Enterprise, reply …": the
    reason, then the rule as a sentence of its own."""
    found = _SO_IF.search(sentence.text)
    if not found or found.start() < 10:
        return [sentence]
    return [_inner(sentence, 0, found.start()), _inner(sentence, found.end(), len(sentence.text))]


# Rough notes start a sentence in lower case: "not ours. move tkt to the SMB group" — a full stop after a word
# (not an abbreviation such as "int." or "no.") and then an action verb starts a new sentence.
_ROUGH_END = re.compile(
    r"(?<=[a-z]{2}\.)(?<!\bint\.)(?<!\bapprox\.)(?<!\bincl\.)(?<!\bdept\.)(?<!\betc\.)(?<!\bref\.)"
    r"(?<!\bvs\.)(?<!\bno\.)(?<!\beg\.)(?<!\bie\.)(?<!\bst\.)(?<!\bdr\.)(?<!\bmr\.)(?<!\bnr\.)(?<!\bpp\.)\s+"
    r"(?=(?:just\s+|then\s+|also\s+)?(?:" + "|".join(sorted(VERBS, key=len, reverse=True)) + r")\b)"
    r"|(?<=\b[A-Z][A-Z][.!])\s+(?=(?:just\s+|then\s+|also\s+)?[a-z]+\b)"
)


def _rough(sentence: Segment) -> list[Segment]:
    found, pos = [], 0
    for match in _ROUGH_END.finditer(sentence.text):
        found.append(_inner(sentence, pos, match.start()))
        pos = match.end()
    found.append(_inner(sentence, pos, len(sentence.text)))
    return [f for f in found if f.text]


def _inner(segment: Segment, start: int, end: int) -> Segment:
    text = segment.text[start:end]
    lead = len(text) - len(text.lstrip())
    text = text.strip()
    offset = segment.start + start + lead
    return Segment(text, offset, offset + len(text))


_LINE_KINDS = (
    (
        r"^(?:purpose|scope|objective|goal|audience|applies to|owner|page owner|document owner|author|team|department|maintainer|"
        r"reviewed by|approved by|pager rotation|on-?call rotation|contacts?|last (?:updated|reviewed)|effective(?: date)?|version|"
        r"status|review cycle|classification|site|form|rev|location|who|channels?|queue)\s*[:\-–]",
        "purpose",
    ),
    (r"^(?:abbrevs?|abbreviations|acronyms|glossary|key|legend|definitions?|terms|terminology)\s*[:\-–]", "definition"),
    (r"^(?:revision history|change ?log|history|document history|changes)\s*[:\-–]", "history"),
    (r"^(?:references?|see also|related(?: documents| procedures| links)?)\s*[:\-–]", "note"),
    # "Summary of this procedure: tag it, reply, solve": restates the steps; read as steps it would end the run first
    (
        r"^(?:summary|in summary|in short|tl;?\s?dr|recap|to sum up|to summari[sz]e|at a glance)\b[\w ]{0,25}[:\-–]",
        "summary",
    ),
    (r"^[\w' -]{2,40}:\s+(?:a|an|the)\s+[\w' -]+?\s+(?:who|whose|that|which|where)\b", "definition"),
    # "When customers ask where their refund is, tell them …": how to answer a question, not a step of the case
    (
        r"^(?:when|if|whenever)\s+(?:a\s+|the\s+)?(?:customers?|callers?|users?|people|someone|travell?ers?)\s+asks?\s+(?:us\s+)?(?:where|when|why|how|what|whether|about)\b",
        "note",
    ),
    (r"^because\b[^,]*,\s*(?:we|our|it|this|they)\b(?!.*\b(?:must|should|need)\b)", "note"),
    (
        r"^(?:this|the) (?:document|procedure|sop|policy|runbook|guide|playbook|page|process)\b.*\b(?:describes?|explains?|covers?|sets? out|defines?|outlines?|applies|is for|exists)",
        "purpose",
    ),
    (r"^(?:the )?(?:purpose|goal|aim|objective) of this\b", "purpose"),
    (
        r"^(?:inputs?|outputs?|required fields|fields|you will need|what you need|required information)\s*[:\-–]",
        "io_list",
    ),
    (r"^(?:e\.g\.|for example|for instance|example\s*[:\-–]|sample\s*[:\-–]|i\.e\.)", "example"),
    # "Template: reply that …", "Wrong: escalate to …": wording to copy, or what not to do — never a step
    (
        r"^(?:(?:reply |email |message )?templates?|sample (?:reply|wording|email|message)|wording|(?:bad|wrong|good) "
        r"(?:example|practice|reply)|wrong|incorrect|don'?t|avoid|counter-?example|anti-?pattern)\s*[:\-–]\s",
        "example",
    ),
    (r"^(?:note|nb|n\.b\.|tip|fyi|remember that|keep in mind that|background|context)\s*[:\-–]", "note"),
    (r"^(?:(?:reply|replies|email|message|response|writing)\s+)?(?:tone|style|voice)\s*[:\-–]", "tone"),
    (
        r"^(?:be (?:polite|friendly|empathetic|kind|courteous|concise|professional|clear)|use (?:a|plain|simple) (?:\w+ )?(?:tone|language|words)|keep (?:replies|responses|messages|it) (?:short|brief|friendly|concise)|avoid (?:jargon|blame|technical)|write in (?:plain|simple))",
        "tone",
    ),
    (r"^(?:v\d+(?:\.\d+)*|\d{4}-\d{2}-\d{2}|rev(?:ision)? \d)\b", "history"),
    (r"^[\w\" -]{1,40}\s+(?:means|is defined as|refers to)\b", "definition"),
    (r"^[\[{\"<]|^\w+\s*=\s*[\[{\"]", "code"),
)

_PROCEDURAL_HINT = re.compile(
    r"\b(?:if|when|unless|otherwise|must|should|need|needs|have to|has to|never|always|only|then|wait|within)\b|->|→|\$",
    re.I,
)
_DESCRIPTIVE = re.compile(
    r"^(?:this|these|those|our|we (?:are|have|want|believe|aim|value|care)|it is|it's|there (?:is|are)|most|many|some)\b",
    re.I,
)


def _starts_with_verb(text: str) -> bool:
    """An imperative: a verb followed by an object ("Page the on-call"), not a noun ("Page view analytics are …")."""
    words = re.match(r"(?:please\s+)?([A-Za-z]+)(?:\s+([A-Za-z]+))?", text)
    if not words or words.group(1).lower() not in VERBS:
        return False
    follower = (words.group(2) or "").lower()
    return follower in (
        "",
        "the",
        "a",
        "an",
        "it",
        "them",
        "their",
        "this",
        "that",
        "all",
        "any",
        "every",
        "each",
        "our",
        "your",
        "his",
        "her",
        "up",
        "out",
        "in",
        "on",
        "to",
        "back",
    )


def kind_of(text: str) -> str:
    """The non-procedural kind of one sentence or line by its own words, or "" when it may be procedure."""
    stripped = text.strip().strip("*_").strip()
    for pattern, kind in _LINE_KINDS:
        if re.search(pattern, stripped, re.I):
            if kind == "definition" and _PROCEDURAL_HINT.search(stripped):
                continue
            return kind
    if _CAPS_HEADING.fullmatch(stripped):
        return "heading"  # "PRIORITY LADDER (no_heat only)", "SAFETY FIRST": a heading in capitals
    if _DESCRIPTIVE.match(stripped) and not _PROCEDURAL_HINT.search(stripped):
        return "note"
    if re.match(
        r"^(?:this|the) (?:page|document|section|policy|procedure|sop|runbook|guide|table|list)\b", stripped, re.I
    ):
        return "purpose"
    if re.match(r"^(?:a|an|the|any)?\s*[\w&' -]{1,40}?\s+(?:may|can|could)\b", stripped, re.I) and not re.search(
        r"\b(?:if|must|should|only)\b", stripped, re.I
    ):
        return "note"
    if _PASSIVE_NOTE.search(stripped) and not _PROCEDURAL_HINT.search(stripped) and not _starts_with_verb(stripped):
        return "note"
    if _REFERENCE.search(stripped) and not _PROCEDURAL_HINT.search(re.sub(_REFERENCE, "", stripped)):
        return "reference"
    return ""


_CAPS_HEADING = re.compile(r"[A-Z][A-Z0-9&/' -]{2,60}(?:\s*\([^()]{1,40}\))?:?")
_PASSIVE_NOTE = re.compile(
    r"\b(?:is|are|was|were)\s+(?:\w+ly\s+)?(?:reviewed|used|stored|kept|owned|managed|maintained|tracked|published|"
    r"updated|generated|collected|measured|reported|shared|documented|recorded|defined|described|listed)\b",
    re.I,
)
_REFERENCE = re.compile(
    r"^(?:\w+\s+){0,6}?(?:\w+\s+)?(?:from|using|per|in|against|with|according to|see|use|follow|refer to|consult)\s+"
    r"(?:the\s+)?(?:table|list|section|matrix|chart|steps?)\s+(?:below|above)\b[^,;]*$",
    re.I,
)


_LABELLED_TONE = re.compile(
    r"^\W*(?:(?:reply|replies|email|message|response|writing)\s+)?(?:tone|style|voice)\s*[:\-–]", re.I
)


def block_kind(text: str) -> str:
    """ "Tone: callers are often upset. Thank them, then …": every sentence of a paragraph labelled as tone is
    guidance on how to write, not a step (the label's kind is the paragraph's)."""
    return "tone" if _LABELLED_TONE.match(text) else ""


def is_title(text: str) -> bool:
    """A short line with no sentence punctuation, no condition and no number: the SOP's name."""
    return (
        len(text.split()) <= 10
        and not re.search(r"[.!?;,]$|->|→|\$|\d", text)
        and not re.match(r"(?:if|when|for|once|unless)\b", text, re.I)
    )
