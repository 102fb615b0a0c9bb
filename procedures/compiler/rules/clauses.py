"""Split a sentence into clauses at the verbs that start a new action."""

from __future__ import annotations

import re

from procedures.compiler.rules.document import Segment, sub

VERBS = frozenset(
    [
        "post",
        "reply",
        "respond",
        "tag",
        "add",
        "stop",
        "close",
        "open",
        "create",
        "email",
        "mail",
        "send",
        "notify",
        "remind",
        "warn",
        "put",
        "raise",
        "increase",
        "lower",
        "decrease",
        "set",
        "mark",
        "update",
        "file",
        "look",
        "find",
        "read",
        "ask",
        "wait",
        "record",
        "hand",
        "assign",
        "forward",
        "page",
        "submit",
        "leave",
        "issue",
        "quote",
        "apply",
        "thank",
        "cancel",
        "confirm",
        "tell",
        "check",
        "move",
        "link",
        "comment",
        "gather",
        "escalate",
        "suspend",
        "flag",
        "give",
        "acknowledge",
        "call",
        "book",
        "schedule",
        "request",
        "approve",
        "reject",
        "refund",
        "credit",
        "get",
        "collect",
        "verify",
        "route",
        "transfer",
        "delete",
        "remove",
        "lock",
        "disable",
        "reset",
        "unlock",
        "grant",
        "revoke",
        "log",
        "attach",
        "include",
        "share",
        "offer",
        "invite",
        "archive",
        "resolve",
        "solve",
        "reassign",
        "downgrade",
        "upgrade",
        "process",
        "contact",
        "have",
        "let",
        "inform",
        "alert",
        "return",
        "replace",
        "write",
        "note",
        "pause",
        "resume",
        "enable",
        "erase",
        "anonymize",
        "export",
        "deactivate",
        "provision",
        "void",
        "accept",
        "decline",
        "deny",
        "receive",
        "quarantine",
        "go",
        "skip",
        "continue",
        "proceed",
        "jump",
    ]
)

# Verbs that usually add to the previous action ("…, link the status page") rather than start a new one.
_ATTACHED = frozenset({"link", "include", "attach", "share", "cc", "mention"})
_BOUNDARY = re.compile(r",\s*(?:and\s+|then\s+)?|;\s*(?:then\s+)?|\s+and\s+(?:then\s+)?|\s+then\s+|\s*\+\s*|\s*->\s*")


def _depth_at(text: str, pos: int) -> int:
    return text.count("(", 0, pos) - text.count(")", 0, pos)


_BY_DOING = re.compile(r"\bby\s+[a-z]+ing\b", re.I)


def verb_of_gerund(word: str) -> str | None:
    """ "adding" → "add", "solving" → "solve", "tagging" → "tag": the action verb a gerund is made of."""
    word = word.lower()
    if not word.endswith("ing") or len(word) < 6:
        return None
    stem = word[:-3]
    for verb in (stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else stem):
        if verb in VERBS:
            return verb
    return None


def split(segment: Segment) -> list[Segment]:
    """Clauses of a sentence; a boundary counts only where the next word is an action verb (or 'also'/'then')."""
    text = segment.text
    cuts: list[tuple[int, int]] = []
    by_doing = bool(_BY_DOING.search(text))  # "finish by adding the tag X and solving the ticket": two steps
    for match in _BOUNDARY.finditer(text):
        if _depth_at(text, match.start()) > 0:
            continue
        rest = text[match.end() :]
        word = re.match(r"(?:also\s+|then\s+|finally\s+)?([a-z]+)", rest, re.IGNORECASE)
        if re.search(r"\+|\band\b", match.group(0)) and re.match(
            r"(?:priority|prio)\s+(?:low|normal|high|urgent)[.!]?\s*$", rest, re.IGNORECASE
        ):  # not ", priority High" after "open a Jira issue …": a parameter of that step
            cuts.append((match.start(), match.end()))  # "tag it x + priority urgent": a second update
            continue
        if by_doing and word and "and" in match.group(0) and verb_of_gerund(word.group(1)):
            cuts.append((match.start(), match.end()))
            continue
        if re.match(r"(?:issue|request|work)\s+type\b", rest, re.IGNORECASE):
            continue  # ", issue type Incident, priority Highest": a parameter of the step before, not a verb
        if word and word.group(1).lower() in VERBS and word.group(1).lower() not in _ATTACHED:
            cuts.append((match.start(), match.end()))
        elif re.fullmatch(r"(?:done|that's it|nothing else)[.!]?", rest.strip(), re.IGNORECASE):
            cuts.append((match.start(), match.end()))  # "move it to the X group, done": the end is a clause
    parts, pos = [], 0
    for start, end in cuts:
        parts.append(sub(segment, pos, start))
        pos = end
    parts.append(sub(segment, pos, len(text)))
    return [p for p in parts if p.text.strip(" .;,")]


def clean(text: str) -> str:
    text = re.sub(r"^(?:also|then|finally)\s+", "", text.strip(" .;,"), flags=re.IGNORECASE)
    return _started_by(text)


_DONE_BY = re.compile(
    r"(?:start|begin|finish|end|close|wrap up|escalate|follow up|chase|flag (?:it|this|the ticket))\s+by\s+([a-z]+ing)\b"
    r"|([a-z]+ing)(?=\s+(?:the|a|an|it|them)\b)",  # "… and solving the ticket" (cut after "by adding …")
    re.I,
)


def _started_by(text: str) -> str:
    """ "Start by looking up the account in Salesforce" → "look up the account in Salesforce"; "finish by adding
    the tag X" → "add the tag X"; "flag it by adding the tag X" → "add the tag X"."""
    m = _DONE_BY.match(text)
    verb = verb_of_gerund(m.group(1) or m.group(2)) if m else None
    if m and m.group(2) and verb not in _WRITES:
        return text  # "Checking the logs first saves time": a gerund subject, not a step
    return verb + text[m.end() :] if verb else text


_WRITES = frozenset(
    ("add", "solve", "close", "tag", "reply", "assign", "set", "send", "post", "create", "open", "raise", "move")
    + ("mark", "update", "escalate", "email", "notify", "note", "resolve", "comment")
)


_STOP = re.compile(r"(?:then\s+)?(?:stop|stop here|stop there|end here|stop processing)[.!]?", re.I)


def stop_last(parts: list[Segment]) -> list[Segment]:
    """ "stop here and assign the ticket to the Partner Billing group": what follows the stop is done before it
    (the stop ends the procedure after those steps, it does not drop them)."""
    for i, part in enumerate(parts[:-1]):
        if _STOP.fullmatch(clean(part.text)):
            return parts[:i] + parts[i + 1 :] + [part]
    return parts


def status_change_only(source: str, sentence_start: int, clause: Segment) -> bool:
    """ "… and set the ticket to solved." changes the ticket's status; what the SOP says next still runs. It ends
    the procedure only when the text says stop ("…, set it to solved, and stop") or when it is the last word of a
    branch ("if the plan is not Enterprise, reply … and set the ticket to solved")."""
    if not re.match(r"\W*(?:and\s+|then\s+)?(?:set|mark)\b", clause.text, re.I):
        return False
    if re.search(r"\b(?:if|when|unless|otherwise)\b", source[sentence_start : clause.start], re.I):
        return False
    return not re.match(r"[\s,;]*(?:and\s+|then\s+)?(?:stop|end)\b", source[clause.end :], re.I)
