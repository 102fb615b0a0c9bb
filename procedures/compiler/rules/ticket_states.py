"""Ticket updates said without "set … to": "hold the ticket", "keep the ticket open", "take it off hold",
"assign it to group Central Desk" (the group named after the word group), "the ticket goes to the X group"."""

from __future__ import annotations

import re

from procedures.compiler.rules.candidates import TICKET, Act, cel_list, lit

_TICKET = r"(?:it|(?:the\s+)?ticket)"
_THE_TICKET = r"(?:the\s+|this\s+)?ticket"  # "hold it" may be the load or the parcel: only the ticket's status
_STATES = (
    (re.compile(rf"(?:hold|pause)\s+{_THE_TICKET}\b", re.I), "hold"),
    (re.compile(rf"(?:keep|leave)\s+{_THE_TICKET}\s+(?:as\s+|in\s+)?open\b", re.I), "open"),
    (re.compile(rf"(?:keep|leave)\s+{_THE_TICKET}\s+(?:as\s+|in\s+)?pending\b", re.I), "pending"),
    (re.compile(rf"(?:keep|leave)\s+{_THE_TICKET}\s+on[- ]hold\b", re.I), "hold"),
    (re.compile(rf"(?:take|move|get)\s+{_THE_TICKET}\s+off\s+hold\b|re-?open\s+{_THE_TICKET}\b", re.I), "open"),
    # "set it to pending while the analyst finishes the check": a ticket status whatever the reason after it
    (re.compile(r"(?:set|mark)\s+it\s+(?:to|as)\s+pending\b(?!\s+(?:for|until|till)\b)", re.I), "pending"),
)
_GROUP_FIRST = re.compile(
    rf"(?:assign|move|route|transfer|reassign|send|escalate)\s+(?:{_TICKET}\s+)?to\s+(?:the\s+)?(?:zendesk\s+)?(?:group|queue)\s+"
    r"[\"“]?([A-Z0-9][\w&'-]*(?:\s+(?:[A-Z0-9][\w&'-]*|&))*)[\"”]?\s*$"
)
_ROUTED = re.compile(
    r"^(?:the\s+)?(?:ticket|case)\s+(?:then\s+)?(?:goes|moves|is\s+(?:assigned|moved|routed|sent|escalated|handed|passed))"
    r"\s+(?:over\s+)?to\b(.*)$",
    re.I,
)
_DESCRIBES = re.compile(r"\b(?:automatically|already|usually|normally|by default|itself)\b", re.I)


# "+ priority urgent" in rough notes: Zendesk's own words in lower case ("priority High;" under a Jira step is Jira's)
_BARE_PRIORITY = re.compile(r"(?i:priority|prio)\s+(low|normal|high|urgent)[.!]?")


# "set the ticket to high", "mark it urgent": a value only the ticket's priority takes names the priority ("urgent"
# is no Jira priority, so "it" is the ticket; "high" needs the ticket named: "set it to High" may be a Jira issue)
_PRIORITY_BY_VALUE = re.compile(
    r"(?:set|mark|make|put|change|bump|raise|move)\s+(?:(?:the\s+|this\s+)?ticket\s+(?:to\s+|as\s+|up\s+to\s+)?"
    r"(low|normal|high|urgent)|it\s+(?:to\s+|as\s+|up\s+to\s+)?(urgent))(?:\s+(?:instead|too|as well|now))?",
    re.I,
)


def status_said(text: str) -> Act | None:
    """ "Hold the ticket while you wait" → status hold; "keep the ticket open while the dispute runs" → open;
    "priority urgent" as a clause of its own in rough notes ("tag it x + priority urgent")."""
    if m := _BARE_PRIORITY.fullmatch(text.strip()):
        return Act("zendesk.update_ticket", {"ticket_id": TICKET, "priority": m.group(1).lower()}, text[:120])
    if m := _PRIORITY_BY_VALUE.fullmatch(text.strip(" .")):
        return Act(
            "zendesk.update_ticket", {"ticket_id": TICKET, "priority": (m.group(1) or m.group(2)).lower()}, text[:120]
        )
    for pattern, status in _STATES:
        if pattern.match(text):
            return Act("zendesk.update_ticket", {"ticket_id": TICKET, "status": status}, text[:120])
    return None


def group_named_first(text: str) -> Act | None:
    """ "assign to group "Institutional Desk"", "move the ticket to group Central Baggage"."""
    m = _GROUP_FIRST.match(text)
    if not m:
        return None
    group = m.group(1).strip()
    return Act("zendesk.update_ticket", {"ticket_id": TICKET, "group": group}, f"Route to {group}")


_TO_ADDRESS = re.compile(
    rf"(?:assign|reassign|hand|pass|give|route|transfer|move)\s+{_TICKET}\s+(?:over\s+)?to\s+"
    r"(?:[\w' -]{1,40}?\s+at\s+)?([\w.+-]+@[\w-]+(?:\.[\w-]+)+)\s*$",
    re.I,
)


def assigned_to_address(text: str) -> Act | None:
    """ "assign the ticket to shift.lead@example.com": the address the text writes is the ticket's assignee."""
    m = _TO_ADDRESS.match(text.strip(" .;,"))
    if not m:
        return None
    return Act("zendesk.update_ticket", {"ticket_id": TICKET, "assignee_email": m.group(1)}, f"Assign to {m.group(1)}")


def routed_as_instruction(text: str) -> str:
    """ "the ticket goes to the Safety group" (an instruction said of the ticket) → "assign the ticket to the
    Safety group"; a description of what happens by itself ("… goes to the queue automatically") is left alone."""
    m = _ROUTED.match(text)
    if not m or _DESCRIBES.search(text):
        return text
    return "assign the ticket to" + m.group(1)


_PRIORITY_TOO = re.compile(
    r"\b(?:with|at|on)\s+(low|normal|high|urgent)\s+priority\b|\bpriority\s+(low|normal|high|urgent)\b"
)


def priority_too(text: str) -> str | None:
    """ "… to the Safety group with urgent priority": the priority the same update sets."""
    m = _PRIORITY_TOO.search(text.lower())
    return (m.group(1) or m.group(2)) if m else None


_ENSURED_TAG = re.compile(
    r"(?:make sure|ensure|check)\s+(?:that\s+)?(?:the\s+)?ticket\s+(?:has|carries|gets)\s+(?:a|an|the)\s+"
    r"`?([a-z][a-z0-9]*(?:[-_][a-z0-9]+)+|[a-z][a-z0-9]{2,})`?\s+tag\b"
    r"|(?:make sure|ensure)\s+(?:that\s+)?(?:the\s+)?ticket\s+is\s+tagged\s+`?([a-z][a-z0-9]*(?:[-_][a-z0-9]+)+)`?",
    re.I,
)


def tag_ensured(text: str) -> Act | None:
    """ "make sure the ticket has a `dispute-desk` tag": adding a tag the ticket has already changes nothing."""
    m = _ENSURED_TAG.match(text)
    if not m:
        return None
    tag = (m.group(1) or m.group(2)).lower()
    return Act("zendesk.add_tags", {"ticket_id": TICKET, "tags": cel_list([lit(tag)])}, f"Tag the ticket {tag}")
