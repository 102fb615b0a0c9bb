"""Sentence shapes about time: follow-up schedules, "if not … within", and what happens when an event arrives."""

from __future__ import annotations

import re

from procedures.compiler.rules import conditions, delays, quantities, vocabulary
from procedures.compiler.rules.candidates import Wait
from procedures.compiler.rules.clauses import VERBS
from procedures.compiler.rules.document import Segment, sub
from procedures.compiler.rules.state import Pending, Schedule, Walk, on_approval_only
from procedures.steps import Duration

_UNITS = r"(?:business\s+|working\s+)?(?:minutes?|hours?|days?|weeks?|months?)"
TIME_LEAD = re.compile(rf"^(?:at|after|on)\s+(?:day\s+)?{quantities.NUMBER}\b[^,]*,\s*(.+)$", re.I)
AFTER = re.compile(rf"\b{quantities.NUMBER}\s+{_UNITS}\s+(after|later|from|since)\b\s*(.*?)(?:,|$)", re.I)
NOT_WITHIN = re.compile(
    r"^if\b.*\b(?:not|no|isn't|hasn't|haven't|still|cannot|can't)\b.*\b(?:within|after|in)\s+" + quantities.NUMBER, re.I
)
WITHIN = re.compile(rf"^if\s+(.+?)\s+within\s+({quantities.NUMBER}\s+{_UNITS})\s*,\s*(.+)$", re.I)
LOOP = re.compile(rf"\bevery\s+{quantities.NUMBER}?\s*(?:minutes?|hours?|days?)\b", re.I)
DURATION_CONDITION = re.compile(rf"\b(?:more|less|fewer|longer|shorter) than\s+{quantities.NUMBER}\s+{_UNITS}", re.I)
WHEN_EVENT = re.compile(r"^(?:when|once|as soon as|after)\s+(.+?),(?!\d{3})\s*(.+)$", re.I)
_NEGATIVE = re.compile(r"\b(?:not|no|still|cannot|can't|hasn't|haven't|isn't)\b", re.I)


def _bound_wait(w: Walk, seg: Segment) -> bool:
    """ "Wait for the Jira issue to be done. If it is not done within 20 days, chase it.": the open wait gets the
    delay, its timeout takes the chase, and the event stays watched for a later "Once the issue is done, …"."""
    m = NOT_WITHIN.match(seg.text)
    if not m or len(w.b.exits) != 1 or w.b.exits[0][1] != ("on_event",):
        return False
    wait = w.b.steps[w.b.exits[0][0]]
    delay = quantities.duration(seg.text)
    comma = seg.text.find(",", m.end())
    if wait["kind"] != "wait" or wait.get("delay") or delay is None or comma < 0:
        return False
    wait["delay"] = delay.model_dump(exclude_defaults=True)
    w.b.watching.setdefault(wait["for_event"], []).append(wait["key"])
    w.b.exits = [(wait["key"], ("next",))]
    w.pending = None
    w.body([sub(seg, comma + 1, len(seg.text))])
    w.understood += 1
    return True


def _restated_wait(w: Walk, seg: Segment) -> bool:
    """ "Wait up to 4 hours for the scan. If no scan has arrived after 4 hours, email the lead.": the second
    sentence is the timeout of the wait just made, not a second wait. Only for the same delay, with nothing but
    a person's check in between, and an event that is the one awaited (or names one when the wait had none)."""
    m = NOT_WITHIN.match(seg.text)
    delay = quantities.duration(seg.text)
    comma = seg.text.find(",", m.end()) if m else -1
    if not m or delay is None or comma < 0:
        return False
    waits = [k for k, s in w.b.steps.items() if s["kind"] == "wait"]
    if not waits:
        return False
    wait = w.b.steps[waits[-1]]
    if wait.get("delay") != delay.model_dump(exclude_defaults=True):
        return False
    first = quantities.DURATION.search(seg.text)
    before_time = seg.text[: first.start()] if first else seg.text
    event = vocabulary.event_for(before_time) if _NEGATIVE.search(before_time) else None
    if wait.get("for_event") and event in (None, wait["for_event"]) and wait.get("next") == wait.get("on_event"):
        # "… then wait 5 days for them to reply. <what a reply leads to>. If no photos come back in 5 days, …":
        # the wait's timeout, which so far went the way a reply goes, takes these steps; the main path goes on
        main, w.b.exits = w.b.exits, [(wait["key"], ("next",))]
        w.pending = None
        w.body([sub(seg, comma + 1, len(seg.text))])
        w.b.exits = main + w.b.exits
        w.understood += 1
        return True
    after = list(w.b.steps)[list(w.b.steps).index(waits[-1]) + 1 :]
    if any(not (w.b.steps[k]["kind"] == "decide" and "judgement" in w.b.steps[k]) for k in after):
        return False
    if wait.get("for_event"):
        if event not in (None, wait["for_event"]):
            return False
    elif event is None or w.b.exits != [(wait["key"], ("next",))]:
        return False
    else:
        wait["for_event"] = event
        w.b.watching.setdefault(event, []).append(wait["key"])
    w.pending = None
    w.body([sub(seg, comma + 1, len(seg.text))])
    w.understood += 1
    return True


def timed(w: Walk, seg: Segment) -> bool:
    """Waits stated as times: "7 days after filing", "At 14 days", "again at 14 and 30 days", "if not … within"."""
    if _bound_wait(w, seg) or _restated_wait(w, seg):
        return True
    text = seg.text
    durs = quantities.durations(text)
    if not durs or DURATION_CONDITION.search(text) or (LOOP.search(text) and not re.search(r"\bagain\b", text, re.I)):
        return _loop(w, seg) if durs and LOOP.search(text) else False
    again = re.search(r"\bagain\b", text, re.I) and w.schedule
    after = AFTER.search(text)
    lead = TIME_LEAD.match(text)
    not_within = NOT_WITHIN.match(text)
    still = re.match(r"^if\s+there\s+is\s+still\s+no\b", text, re.I) and w.schedule
    if not (again or after or lead or not_within or still):
        return delays.delayed(w, seg)  # "chase the customer after 3 days": the wait, then the chase
    first = quantities.DURATION.search(text) or quantities.SCHEDULE.search(text)
    comma = text.find(",", first.start() if first else 0)
    body = [sub(seg, comma + 1, len(text))] if comma >= 0 and not again else []
    guard = None
    if comma < 0 and after:
        verb = re.search(r"\b(?:goes|go|is escalated|gets?|must|should|needs?)\b", text[after.start(2) :])
        if verb:
            body = [sub(seg, after.start(2) + verb.start(), len(text))]
        guard = conditions.condition(text[: after.start()], w.b.known)
    head = text[: comma if comma >= 0 else len(text)]
    before_time = text[: first.start()] if first else head
    event = vocabulary.event_for(before_time) if _NEGATIVE.search(before_time) else None
    schedule = w.schedule
    anchor = schedule.anchor if schedule else None
    if after and after.group(1).lower() in ("after", "from", "since"):
        anchor = _anchor(w, after.group(2)) or anchor
    elif after and after.group(1).lower() == "later":
        anchor = _last_act(w)
    if schedule and event is None and not not_within:
        event = schedule.event
    if again and schedule:
        for d in durs:
            _schedule_wait(w, d, seg, schedule.anchor, schedule.event)
            w.body(schedule.body)
        return True
    if not (still and schedule and durs[0].total_seconds() <= schedule.last):
        _schedule_wait(w, durs[0], seg, anchor, event)
    w.schedule = Schedule(anchor, event, durs[0].total_seconds(), body)
    if not_within and event is None and not still:
        guard = guard or conditions.condition(re.sub(r"^if\s+", "", head, flags=re.I), w.b.known)
        if guard is None:
            return _ask_then(
                w, seg, re.sub(r"^if\s+", "", head.split(" within ")[0].split(" after ")[0], flags=re.I), body
            )
    if guard:
        decide = w.b.decide(guard.cel, guard.label.strip(), seg)
        w.body(body)
        w.b.exits.append((decide, ("otherwise",)))
        return True
    w.body(body)
    return True


def _ask_then(w: Walk, seg: Segment, question: str, body: list[Segment]) -> bool:
    """After the wait, a person confirms the condition the rules cannot check ("the user still cannot log in")."""
    key = w.b.judgement(
        f"Is it still true that {question.strip()}?", seg, [("yes", "Yes"), ("no", "No")], base="confirm"
    )
    w.b.exits = [(key, ("judgement", "outcomes", 0, "next"))]
    w.body(body)
    w.b.exits.append((key, ("judgement", "outcomes", 1, "next")))
    return True


def _loop(w: Walk, seg: Segment) -> bool:
    """ "While a SEV1 is open, send an update every 30 minutes" → wait ↔ action, until the event that ends it."""
    text = seg.text
    every = LOOP.search(text)
    delay = quantities.duration(text[every.start() :]) or quantities.duration(text)
    event = vocabulary.event_for(text) or "incident.resolved"
    wait = w.b.wait(Wait(f"Every {delay.describe()}", delay, event), seg)
    w.b.watching.setdefault(event, []).append(wait)
    body = re.sub(r"^(?:while|as long as|until)\s+[^,]+,\s*", "", text, flags=re.I)
    start = text.find(body)
    w.b.exits = [(wait, ("next",))]
    w.body([sub(seg, start, len(text))])
    for exit_ in w.b.exits:
        w.b.set_target(exit_, wait)
    w.b.exits = []
    w.understood += 1
    return True


NO_REPLY = re.compile(
    r"^if\s+(?:none|nothing|no (?:reply|answer|response)(?: \w+)?|there is (?:still )?no (?:reply|answer|response)"
    r"|(?:they|the \w+|he|she) (?:do(?:es)?n't|do(?:es)? not|has not|hasn't|have not|haven't|never|did not|didn't)"
    r" (?:reply|replies|replied|answer|answered|respond|responded|come back|book)"
    # what the wait before watched for has not happened: "If no scan has arrived after 4 hours", "If it is still
    # not resolved after 30 minutes" — that wait's timeout, not a second wait
    r"|no \w+(?: \w+)? (?:has|have) (?:arrived|come(?: through| in)?|been \w+)"
    r"|(?:it|they|the \w+) (?:is|are|has|have) still not \w+)\b[^,]*,\s*(.+)$",
    re.I,
)


def no_reply(w: Walk, seg: Segment, more: list[Segment] | None = None) -> bool:
    """ "… and wait 7 days for a reply. If none comes, close it as solved.": the wait's timeout takes that path,
    a reply continues."""
    m = NO_REPLY.match(seg.text.strip())
    waits = [e for e in w.b.exits if w.b.steps[e[0]]["kind"] == "wait" and w.b.steps[e[0]].get("for_event")]
    timeouts = [e for e in waits if e[1] == ("next",)]
    if not m or len(timeouts) != 1:
        return False
    replied = [e for e in w.b.exits if e not in timeouts]
    w.pending = None
    w.b.exits = timeouts
    w.body([sub(seg, m.start(1), len(seg.text))])
    for sentence in more or []:
        w.sentence(sentence)
    w.b.exits = replied + w.b.exits
    w.understood += 1
    return True


def awaited(w: Walk, seg: Segment) -> bool:
    """ "If they accept within 7 days, apply the discount" → wait for the reply, a person reads it, then act."""
    m = WITHIN.match(seg.text.strip())
    if not m or _NEGATIVE.search(m.group(1)) or quantities.money(m.group(1)) is not None:
        return False
    event = vocabulary.event_for(m.group(1))
    if event is None:
        return False
    delay = quantities.duration(m.group(2))
    wait = w.b.wait(Wait(f"Wait up to {delay.describe()}: {m.group(1)}", delay, event), seg)
    w.b.exits = [(wait, ("on_event",))]
    outcome = vocabulary.snake(m.group(1).split()[-1])
    question = f"Did this happen: {m.group(1)}?"
    judge = w.b.judgement(
        question, seg, [(outcome if outcome[0].isalpha() else "yes", "Yes"), ("no", "No")], base="judge"
    )
    w.b.exits = [(judge, ("judgement", "outcomes", 0, "next"))]
    known_before = dict(w.b.known.results)
    w.body([sub(seg, m.start(3), len(seg.text))])
    then_exits = w.b.exits
    else_exits = [(wait, ("next",)), (judge, ("judgement", "outcomes", 1, "next"))]
    w.b.exits = then_exits + else_exits
    w.pending = Pending(judge, then_exits, else_exits, "", judgement=True, known_before=known_before)
    w.understood += 1
    return True


def event_handler(w: Walk, seg: Segment) -> bool:
    """ "When the carrier settles, …": the steps for an event earlier waits watch, or a wait for it now."""
    m = WHEN_EVENT.match(seg.text) or _when_then_verb(seg.text)
    if not m:
        return False
    event = vocabulary.event_for(m.group(1))
    if event is None:
        return False
    rest = sub(seg, m.start(2), len(seg.text))
    if w.b.start is None or event == "approval.decided":
        if w.b.start is None:
            w.b.warn("Read as what starts the procedure: set the procedure's trigger to match", seg, code="trigger")
        on_approval_only(w, lambda: w.body([rest]))
        return True
    watchers = w.b.watching.pop(event, [])
    main = w.b.exits
    w.b.exits = []
    if main and _after_timeout(w, watchers, main):
        for exit_ in main:  # "chase it if not done in 20 days … once done, reply": after the chase, wait again
            w.b.set_target(exit_, watchers[0])
    elif main:
        w.b.exits = main
        wait = w.b.wait(Wait(f"Wait until {m.group(1)}", None, event), seg)
        w.b.exits = [(wait, ("on_event",))]
    w.b.exits += [(k, ("on_event",)) for k in watchers]
    w.understood += 1
    w.schedule = None
    w.pending = None
    w.body([rest])
    return True


def _after_timeout(w: Walk, watchers: list[str], main: list) -> bool:
    """The open path is what runs when a timed wait the text itself asked for ("wait for the issue to be done")
    gave up: it goes back to that wait. A timer only implied by "if not done within 24 hours" gets the wait the
    later "when it is done" states."""
    wait = w.b.steps[watchers[0]] if len(watchers) == 1 else {}
    if not wait.get("delay") or not re.search(r"\bwait", wait.get("instruction", ""), re.I):
        return False
    seen, todo = set(), [w.b.steps[watchers[0]].get("next")]
    while todo:
        key = todo.pop()
        if key and key not in seen and key in w.b.steps:
            seen.add(key)
            step = w.b.steps[key]
            todo += [step.get(n) for n in ("next", "otherwise", "on_approved", "on_rejected")]
            todo += [b.get("next") for b in step.get("branches", [])]
            todo += [o.get("next") for o in step.get("judgement", {}).get("outcomes", [])]
    return all(key in seen or key == w.b.steps[watchers[0]].get("next") for key, _ in main) and all(
        key != watchers[0] for key, _ in main
    )


def _when_then_verb(text: str) -> re.Match | None:
    """ "when it's resolved send the all-clear …" (no comma): the event ends where the first action verb starts."""
    if not re.match(r"(?:when|once|as soon as)\s", text, re.I):
        return None
    for word in list(re.finditer(r"[A-Za-z][\w'-]*", text))[2:10]:
        if word.group(0).lower() in VERBS:
            return re.match(
                rf"^(?:when|once|as soon as)\s+(.+?)\s+({re.escape(text[word.start() :])})$", text, re.I | re.S
            )
    return None


def _schedule_wait(w: Walk, d: Duration, seg: Segment, anchor: str | None, event: str | None) -> None:
    title = f"Wait until {d.describe()}" + (f" after {anchor}" if anchor else "")
    key = w.b.wait(Wait(title, d, event), seg, anchor=anchor)
    w.understood += 1
    if event:
        w.b.watching.setdefault(event, []).append(key)
    if w.schedule:
        w.schedule.last = d.total_seconds()


def _anchor(w: Walk, phrase: str) -> str | None:
    verb = re.match(r"([a-z]+?)(?:ing|ed)?\b", phrase.strip().lower())
    if not verb:
        return None
    stem = verb.group(1)[:4]
    for key, step in reversed(w.b.steps.items()):
        if step["kind"] in ("act", "gather") and stem in step["operation"]:
            return key
    return None


def _last_act(w: Walk) -> str | None:
    return next((k for k, s in reversed(w.b.steps.items()) if s["kind"] == "act"), None)
