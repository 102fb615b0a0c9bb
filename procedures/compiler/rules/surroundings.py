"""What the rest of the SOP says about an automated step. Each check returns why the step is not sure, or None.

A step's own sentence can look complete while another sentence takes it back: a later paragraph says the
action is done by a person ("Applying the change is done in the admin screen by a person"), or the next
sentence sets what the step left out ("Use priority High for everything else"). `gates` asks a person.
"""

from __future__ import annotations

import re

from procedures.compiler.rules.sentences import VERBS

_MANUAL = re.compile(
    r"(?:^|(?<=[.;:!?\n]))\s*(?P<subject>[A-Z][^.;:!?\n]{4,80}?)\s+(?:is|are)\s+(?:always\s+|only\s+)?"
    r"(?:done|made|handled|applied|entered|processed|submitted|recorded|performed|carried out)\b"
    r"[^.;!?]{0,80}?\b(?:by (?:a |one |the )?(?:person|human|hand|agent|someone|people)\b|manually\b)",
)
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "with",
        "by",
        "and",
        "or",
        "this",
        "that",
        "these",
        "those",
        "its",
        "their",
        "our",
        "your",
        "any",
        "every",
        "each",
        "into",
        "onto",
    ]
)


def _stems(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z]{3,}", text.lower()) if w not in _STOP}


def manual_statements(source: str) -> list[tuple[str, set[str]]]:
    """The SOP's statements that something is done by hand: (the thing as written, its word stems)."""
    found = []
    for match in _MANUAL.finditer(source):
        subject = " ".join(match.group("subject").split())
        stems = _stems(subject)
        if len(stems) >= 2:
            found.append((subject, stems))
    return found


def done_by_hand(title: str, statements: list[tuple[str, set[str]]]) -> str | None:
    """The SOP says elsewhere that what this step does is done by a person."""
    words = _stems(title)
    for subject, stems in statements:
        if stems <= words:
            return f"the SOP says “{subject}” is done by a person"
    return None


_NEXT_SENTENCE = re.compile(r"\s*([^\n.;!?]*(?:\n(?![ \t]*(?:\n|[-*•]|\d+[.)]|[a-z][.)]\s))[^\n.;!?]*)*)")


def next_sentence(source: str, end: int) -> str:
    """The sentence right after a step's sentence in the same paragraph or list item ('' when there is none)."""
    rest = source[end : end + 400]
    rest = re.sub(r"^[.;!?)\]*\"”']*", "", rest)
    if not rest or rest.startswith("\n\n") or re.match(r"[ \t]*\n[ \t]*(?:[-*•]|\d+[.)]|[a-z][.)]\s|\n|#|\|)", rest):
        return ""
    found = _NEXT_SENTENCE.match(rest)
    return found.group(1).strip() if found else ""


def priority_said_next(operation: str, params: dict, source: str, span: dict) -> str | None:
    """ "Raise an Incident in SAFE. Use priority Highest for assault and High for everything else.": the issue's
    priority is in the next sentence, which the step does not read."""
    if operation != "jira.create_issue" or "priority" in params or not span:
        return None
    following = next_sentence(source, span["end"])
    if following[:1].islower():  # the span stops before its sentence ends ("… with the subject as\n the summary.")
        after = source.find(following, span["end"]) + len(following)
        following = f"{following} {next_sentence(source, after)}"
    if re.search(r"\b(?:priority|prio)\b", following, re.I):
        return f"the next sentence sets its priority (“{following[:80]}”)"
    return None


_BY_ITSELF = re.compile(r"\b(?:itself|themselves|on its own|automatically|by the system)\b", re.I)


def done_by_a_system(instruction: str) -> str | None:
    """ "Tickets tagged refund are set to pending automatically.": a sentence that describes what a system does
    by itself asks for neither the action nor a check — unless it also gives an order ("…, then reply …")."""
    found = _BY_ITSELF.search(instruction)
    if not found or re.match(r"\W*(?:if|when|whenever|unless|for|once|where)\b", instruction, re.I):
        return None  # "If X, Y is not done automatically": the condition still scopes what follows
    if re.search(r"\b(?:not|never|no longer)\b", instruction, re.I):
        return None
    orders = rf"(?:^|[,;:]\s*|\b(?:then|and)\s+)(?:{'|'.join(VERBS)})\b"
    if re.search(orders, instruction, re.I):
        return None
    return f"the sentence describes what happens {found.group(0)!r}, not a step to take"


def happens_by_itself(instruction: str) -> str | None:
    """ "When the invoice is paid, the billing system marks it paid and the ticket solves itself.": a sentence
    that describes what happens without us, not a wait the procedure asks for."""
    if re.search(r"\bwait", instruction, re.I):
        return None
    found = _BY_ITSELF.search(instruction)
    return f"the sentence describes what happens {found.group(0)!r}, not a step to wait for" if found else None


_EVENT_SUBJECTS = {  # what a sentence must speak of for a wait on each event
    "claim.settled": r"claim|carrier|insurer|underwriter",
    "payment.received": r"pay|paid|funds|transfer|instal|remit|money|deposit",
    "warehouse.scanned": r"scan|warehouse|return|arriv|receiv|dock|parcel|package|item",
    "meeting.booked": r"book|meeting|call|kick-?off|appointment|schedul|session|slot",
    "issue.done": r"issue|jira|task|bug|done|fix|resolv|closed|complete|engineering",
    "incident.resolved": r"incident|outage|resolv|restor|fix",
}


_REPLIED = re.compile(
    r"\b(?:repl|respon|answer|writ\w*\s+back|hear\w*\s+back|gets?\s+back|comes?\s+back|sends?|sent|provid|upload|attach"
    r"|confirm|submit|share|return)|\b(?:for|from|once|when|if|until|after)\s+(?:the\s+|a\s+)?"
    r"(?:customer|requester|caller|user|client|tenant|member|candidate|applicant|patient|reporter|them|they|he|she)\b",
    re.I,
)


def event_unnamed(event: str | None, instruction: str, title: str = "") -> str | None:
    """ "Once the fee question is settled" read as a wait for `claim.settled`: the sentence speaks of nothing the
    event is about. A wait for the customer's reply must name the customer (or an answer) in its own clause: "once
    accepted" is someone's decision, not a message that arrives."""
    if event == "customer.replied":
        clause = title + " " + re.split(r"[,;:]", instruction, maxsplit=1)[0]
        return None if _REPLIED.search(clause) else f"it waits for a reply, but {clause.strip()!r} names none"
    words = _EVENT_SUBJECTS.get(event or "")
    if not words or re.search(rf"\b(?:{words})", instruction, re.I):
        return None
    return f"it waits for {event}, which the sentence does not speak of"


_DURATION = re.compile(
    r"\bwait(?:\s+\w+){0,2}?\s+(?:up\s+to\s+|for\s+)?(\d+|a|one|two|three|five|seven|ten)\s*(?:biz|business|working|calendar)?\s*"
    r"(?:days?|d|hours?|hrs?|h|weeks?|wks?|minutes?|mins?)\b",
    re.I,
)


def duration_left_out(instruction: str) -> str | None:
    """ "wait 5 biz days for them to answer" read as a wait for the reply with no time limit: the sentence says how
    long, the step would wait for ever."""
    found = _DURATION.search(instruction)
    return f"the sentence says {found.group(0)!r}, which the wait leaves out" if found else None


_ASKED = re.compile(
    r"\b(?:needs?|require[sd]?|requiring|ask(?:s|ing)?\s+for|request(?:s|ing)?|must\s+(?:have|include|send|attach)"
    r"|at least|without)\b",
    re.I,
)


def evidence_not_asked(instruction: str) -> str | None:
    """An approval "based on the photo": the sentence does not ask anyone for the evidence, so a reply asking the
    customer for it (and the wait for their answer) is a guess."""
    if _ASKED.search(instruction):
        return None
    return "the sentence does not ask for the evidence: does someone need to ask for it?"


_EVIDENCE = r"(?:photos?|pictures?|screenshots?|receipts?|documents?)"
_EVIDENCE_WORDS = re.compile(  # the evidence sent with the request for approval, not what the approver reads later
    rf"\bwith (?:the |a |an |all |any )?(?:[\w-]+\s+){{0,3}}?{_EVIDENCE}\s+attached\b"
    rf"|\bwith (?:the |a |an |all |any )?(?:[\w-]+\s+){{0,3}}?{_EVIDENCE}\b(?=\s*(?:[.;,]|$))"
    # "with proof of purchase … attached", "the approval needs source-of-funds evidence from the seller"
    r"|\bwith (?:the |a |an )?proof of\b"
    r"|\b(?:approval|sign-off)\s+(?:needs?|requires?)\s+(?:[\w-]+\s+){0,3}?(?:evidence|proof|documents?)\b",
    re.I,
)


def evidence_unread(evidence: list, instruction: str) -> str | None:
    """ "approval from the store manager with the receipts attached": the approval names evidence its step does
    not ask for (photos are taken as the step's evidence instead: `attached_photos`)."""
    if evidence or attached_photos(instruction):
        return None
    found = _EVIDENCE_WORDS.search(instruction)
    return f"the sentence names {found.group(0)!r}, which the approval does not ask for" if found else None


def attached_photos(instruction: str) -> dict | None:
    """ "request approval from the property manager with the move-out photos attached": the evidence rule the
    approval needs (at least one photo; when none is attached the engine holds for a person), else None."""
    found = _EVIDENCE_WORDS.search(instruction)
    if not found or not re.search(r"\b(?:photos?|pictures?)\b", found.group(0), re.I):
        return None
    return {"kind": "photo", "min_count": 1, "description": "photo"}
