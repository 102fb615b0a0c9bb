"""An instruction with its delay written after it: "email billing@example.com after 2 days", "chase the customer
after 3 days", "close the ticket after 7 days without a reply", "nudge them if there is no reply after 48 hours".

The delay belongs to the instruction it ends, so the step waits first and acts when the time is up — never at
once. When the instruction chases the requester, or the sentence says "without a reply", a reply ends the wait
and the chase is skipped. Only an instruction is read this way (the sentence opens with its verb): "the system
emails them after 2 days" describes, "do not close it after 7 days" forbids.
"""

from __future__ import annotations

import re

from procedures.compiler.rules import clauses, quantities, vocabulary
from procedures.compiler.rules.candidates import TICKET, Act, Wait
from procedures.compiler.rules.document import Segment, sub
from procedures.compiler.rules.state import Walk

_UNITS = r"(?:business\s+|working\s+)?(?:minutes?|mins?|hours?|hrs?|days?|weeks?)"
_NO_REPLY = r"(?:no|without\s+(?:a|any))\s+(?:reply|answer|response)(?:\s+from\s+(?:them|the\s+\w+))?"
_TRAILING = re.compile(
    rf"^(?P<body>.+?)(?P<tail>,?\s+(?:if\s+(?:there\s+is\s+|there's\s+)?(?P<if_none>{_NO_REPLY})\s+)?"
    rf"after\s+(?P<delay>{quantities.NUMBER}\s+{_UNITS})(?:\s+(?P<without>{_NO_REPLY}))?)\s*[.!]?\s*$",
    re.I,
)
_CHASE = {"chase", "nudge", "ping", "remind", "follow"}
_REQUESTER = re.compile(r"\b(?:customer|requester|them|him|her|user|caller|client|member|guest|player)\b", re.I)


def delayed(w: Walk, seg: Segment) -> bool:
    """Steps for "<instruction> after <delay>": the instruction's earlier clauses, a wait, then its last clause."""
    m = _TRAILING.match(seg.text.strip())
    if not m:
        return False
    first = re.match(r"[A-Za-z]+", m.group("body"))
    verb = first.group(0).lower() if first else ""
    if verb not in clauses.VERBS and verb not in _CHASE:
        return False  # "the system emails them after 2 days", "do not close it after 7 days"
    if re.search(r"\b(?:if|unless|when|once|until|before|while)\b", m.group("body"), re.I):
        return False  # a condition inside: the conditional shapes read it
    delay = quantities.duration(m.group("delay"))
    if delay is None:
        return False
    body = sub(seg, seg.text.find(m.group("body")), seg.text.find(m.group("body")) + len(m.group("body")))
    parts = clauses.split(body)
    last = parts[-1]
    chases = verb in _CHASE and bool(_REQUESTER.search(last.text))
    event = "customer.replied" if m.group("if_none") or m.group("without") or chases else None
    if parts[:-1]:
        w.body(parts[:-1])  # "reply to the customer and close the ticket after 7 days": only the close waits
    key = w.b.wait(Wait(f"Wait {delay.describe()}", delay, event), seg)
    w.understood += 1
    w.b.exits = [(key, ("next",))]
    w.body([last])
    if event:
        w.b.exits.append((key, ("on_event",)))  # they answered: nothing to chase
    return True


_HELD_UNTIL = re.compile(
    r"^(?:then\s+)?(?:put|place|set|keep|leave)\s+(?:the\s+|this\s+)?(?:ticket|tkt|it)\s+"
    r"(?:on[- ]hold|to\s+on[- ]hold|to\s+pending|as\s+pending|pending)\s+until\s+(?P<event>[^,;]+?)\s*[.!]?$",
    re.I,
)


def held_until(w: Walk, seg: Segment) -> bool:
    """ "Put the ticket on hold until the SEC issue is done": the status, then a wait for that event — only for an
    event sopdesk hears of (an issue done, a reply, a payment…); "until the manager is back" stays a question."""
    m = _HELD_UNTIL.match(seg.text.strip())
    if not m:
        return False
    event = vocabulary.event_for(m.group("event"))
    if event is None:
        return False
    status = "pending" if "pending" in seg.text[: m.start("event")].lower() else "hold"
    w.b.act(Act("zendesk.update_ticket", {"ticket_id": TICKET, "status": status}, f"Set the ticket to {status}"), seg)
    key = w.b.wait(Wait(f"Wait until {m.group('event')}", None, event), seg)
    w.b.exits = [(key, ("on_event",))]
    w.understood += 1
    return True
