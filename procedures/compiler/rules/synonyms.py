"""Other words for the same instruction, said the way the recognisers read it.

Teams write "drop a note on the ticket", "kick off a Jira bug", "shoot an email to …", "apply the tag …",
"escalate to the Billing queue". Each line below turns one such wording into the usual one ("add an internal
note", "open a Jira bug", "email …", "tag the ticket …", "… the Billing group"), keeping every word the step
takes its parameters from. Only the opening verb of an instruction is rewritten, so a sentence that describes
("the agent drops a note …") or forbids ("do not drop a note …") is left as it was; and the rewritten clause still
has to name its operation and parameters to become a step.
"""

from __future__ import annotations

import re

# the ticket itself routed: "escalate to …", "move the ticket to …" — not "assign it to the IT queue" after a Jira
# task was opened, where "it" may be the task
_ROUTING = (
    r"(?:escalate|assign|reassign|route|move|send|transfer|pass|hand)\s+(?:(?:the|this)\s+(?:ticket|case)\s+)?"
    r"(?:over\s+|on\s+)?to\b"
)

# (wording, the usual wording): applied in order, each to the start of the clause
SYNONYMS = (
    # policy wording: the person working the case "shall"/"must" do it is the instruction itself ("the agent shall
    # tag the ticket X"); anyone else's duty ("the carrier shall refund …", "the system will …") is not ours
    (
        r"^(?:the\s+)?(?:(?:assigned|handling|support|service)\s+)?(?:agent|advisor|adviser|representative|rep|you|we)\s+"
        r"(?:shall|must|should|is\s+to|are\s+to|needs?\s+to|has\s+to|have\s+to)\s+(?:then\s+|also\s+|promptly\s+)?",
        "",
    ),
    # a note whose place is the ticket is the ticket's internal note
    (
        r"^(?:add|put|leave|drop|write|post|pop)\s+(?:a\s+|an\s+)?(?:quick\s+|short\s+)?note\s+(?:on|to|in|into)\s+"
        r"(?:the\s+|this\s+)?(?:zendesk\s+)?(?:ticket|tkt)\b",
        "add an internal note",
    ),
    (r"^note\s+(?:on|to|in)\s+(?:the\s+)?(?:ticket|tkt)\b", "internal note"),
    (r"^(?:drop|pop|leave|jot)\s+(an?\s+)?(?:quick\s+|short\s+)?internal\s+note\b", "add an internal note"),
    # a Jira issue started with another verb
    (
        r"^(?:kick\s+off|spin\s+up|start|cut|make)\s+(?=(?:a|an|the)\s+(?:new\s+)?(?:jira\b|bug\b|incident\b|task\b))",
        "open ",
    ),
    # a mail said with another verb
    (r"^(?:shoot|fire\s+off|drop|send)\s+(?:an?\s+)?(?:quick\s+|short\s+)?e-?mail\s+(?:over\s+)?to\b", "email"),
    (r"^(?:drop|shoot|send)\s+(\S+(?:\s+\S+){0,3}?)\s+an?\s+(?:quick\s+|short\s+)?e-?mail\b", r"email \1"),
    # a step whose way is a mail to an address the sentence writes: "escalate to the coordinator by email at x@…"
    (
        r"^(?:escalate|flag|raise|report|refer|pass|hand|send)\b(?:\s+(?:it|this|the\s+ticket|the\s+case))?\s*(?:to|with)?"
        r"(?=[^@]*?\bby\s+e-?mail\b[^@]*@)",
        "email ",
    ),
    # a tag said with another verb, or named before the word tag
    (r"^(?:apply|put|stick|set)\s+(?:the\s+|a\s+)?tags?\b", "tag the ticket"),
    (
        r"^(?:add|apply|put|stick|set)\s+(?:the\s+|a\s+)?(`?[a-z][a-z0-9]*(?:[-_][a-z0-9]+)+`?)\s+tag\b",
        r"tag the ticket \1",
    ),
    (r"^label\s+the\s+ticket\b", "tag the ticket"),
)
_COMPILED = tuple((re.compile(pattern, re.I), usual) for pattern, usual in SYNONYMS)
# "escalate to the Billing queue": a named queue is the Zendesk group of that name
_NAMED_QUEUE = re.compile(r"\b((?:[A-Z0-9][\w&'-]*)(?:\s+(?:[A-Z0-9][\w&'-]*|&))*)\s+queue\b")


def usual_wording(text: str) -> str:
    """The clause in the usual wording of its instruction (unchanged when it has none of the other wordings)."""
    for pattern, usual in _COMPILED:
        text = pattern.sub(usual, text, count=1)
    text = re.sub(r"\s{2,}", " ", text)
    if re.match(_ROUTING, text, re.I):
        text = _NAMED_QUEUE.sub(r"\1 group", text, count=1)
    return text
