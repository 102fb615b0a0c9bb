"""A wait's timeout said again as its own sentence: one wait with two ways out, not two waits in a row.

"Wait 3 business days for the customer to reply. When they reply, tag the ticket order-received. If they have
not replied after 3 business days, solve the ticket." The walker reads three waits: 3 days, then "when they
reply" (no time), then 3 days again. Run as read, a customer who never answers holds the case on the second wait
forever, and one who answers waits 3 more days before anything happens. The last sentence restates the first
wait's timeout: the first wait goes on to its steps when the time runs out, the "when they reply" wait (the
event has come) and the restated wait are dropped.
"""

from __future__ import annotations

import re

from procedures.compiler.rules.links import parents, redirect, targets

_RESTATED = re.compile(
    r"\b(?:not|no|never|still|(?:has|have|is|are|was|were|did|does|do)n[’']t)\b[^.;:]{0,60}?"
    r"\b(?:after|within|in|by|for)\s+(?:the\s+|those\s+|these\s+)?(\d+)\s+(?:business\s+|working\s+|calendar\s+)?"
    r"(day|hour|minute|week)s?\b",
    re.I,
)


def _restates(step: dict, delay: dict) -> bool:
    """The wait's sentence is "if … not … after N days" for the wait's own delay."""
    for found in _RESTATED.finditer(step.get("instruction", "")):
        number, unit = int(found.group(1)), found.group(2).lower()
        if unit == "week":
            number, unit = number * 7, "day"
        if delay.get(unit + "s") == number and sum(1 for v in ("days", "hours", "minutes") if delay.get(v)) == 1:
            return True
    return False


def _same_wait(first: dict, later: dict) -> bool:
    return (
        later["kind"] == "wait"
        and later.get("for_event") == first.get("for_event")
        and later.get("delay") == first.get("delay")
        and bool(later.get("on_event"))
        and bool(later.get("next"))
    )


def _drop_restated_pauses(steps: dict[str, dict]) -> None:
    """ "Wait 2 hours for the status page to update. If it still shows the incident after 2 hours, page …": a
    timed wait straight after the same timed wait, its sentence restating the time, is the same 2 hours."""
    for key in list(steps):
        first = steps.get(key)
        if not first or first["kind"] != "wait" or first.get("for_event") or not first.get("delay"):
            continue
        later = steps.get(first.get("next") or "")
        if not later or later.get("for_event") or not _same_wait(first, later | {"on_event": "-"}):
            continue
        if _restates(later, first["delay"]):
            del steps[later["key"]]
            redirect(steps, later["key"], later["next"])


def merge(steps: dict[str, dict]) -> None:
    """Each timed wait for an event whose two ways out are the same and whose timeout a later sentence
    restates (the same wait again, "if … not … after N days", no other timed wait between) takes that later
    wait's way out as its timeout; the later wait, and an untimed wait for the same event right after the
    first, are dropped. A timed wait restated straight after itself is dropped too."""
    _drop_restated_pauses(steps)
    for key in list(steps):
        first = steps.get(key)
        if not first or first["kind"] != "wait" or not first.get("delay") or not first.get("for_event"):
            continue
        if not first.get("on_event") or first.get("on_event") != first.get("next"):
            continue
        later = _restated_after(steps, key)
        if later is None:
            continue
        echo = steps.get(first["on_event"])
        first["next"] = steps[later]["next"]
        dropped = steps.pop(later)
        redirect(steps, later, dropped["on_event"])
        if _echoes(echo, first) and len(parents(steps).get(echo["key"], [])) == 1:
            del steps[echo["key"]]
            first["on_event"] = echo["on_event"]
            if first["next"] == echo["key"]:
                first["next"] = echo["on_event"]


def _echoes(echo: dict | None, first: dict) -> bool:
    """An untimed wait for the event the first wait has just seen ("When they reply, …")."""
    return bool(
        echo
        and echo["kind"] == "wait"
        and not echo.get("delay")
        and echo.get("for_event") == first["for_event"]
        and echo.get("on_event")
    )


def _restated_after(steps: dict[str, dict], key: str) -> str | None:
    """The first wait after `key` (no timed wait between) that is the same wait with its timeout restated."""
    first = steps[key]
    seen, todo = {key}, list(targets(first))
    while todo:
        current = todo.pop(0)
        if current in seen or current not in steps:
            continue
        seen.add(current)
        step = steps[current]
        if step["kind"] == "wait" and step.get("delay"):
            if _same_wait(first, step) and _restates(step, first["delay"]):
                return current
            continue
        todo += targets(step)
    return None
