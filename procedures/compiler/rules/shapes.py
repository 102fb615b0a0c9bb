"""Sentence shapes about decisions, checks, constraints and parameters (timing lives in `timing`).

Each shape is a function `(walker, sentence) -> bool`: it recognises its
shape and emits steps through the walker, or returns False to let the next
shape try.
"""

from __future__ import annotations

import re

from procedures.compiler.rules import clauses, conditions, declared, field_numbers, quantities, vocabulary
from procedures.compiler.rules.candidates import End
from procedures.compiler.rules.document import Segment, sub
from procedures.compiler.rules.state import Check, Pending, Walk, on_approval_only

_NO_THOUSANDS = r",(?!\d{3})"
OTHERWISE = re.compile(
    r"^(?:otherwise|else|if not|in all other cases|in any other case|everyone else|(?:for\s+)?(?:any|all) other [a-z]+"
    r"|for everyone else|for (?:anything|everything|everybody|anyone) else|(?:for\s+)?(?:the\s+)?rest"
    r"|if (?:they|the customer|he|she|the requester)\s+(?:declines?|refuses?|don't|do not|doesn't|does not|never)[^,]*)"
    r"\b[,:]?\s*",
    re.I,
)
CHECK = re.compile(
    r"^(?:check that\s+)?(?:the\s+)?(.+?)\s+(?:must|should)\s+(match|be present|be filled in|name|include|contain|have|be given|come from)\b\s*(.*)$",
    re.I,
)
CHECK_THAT = re.compile(r"^(?:check|verify|confirm|make sure)\s+(?:that\s+)?(.+)$", re.I)
CHECK_FAIL = re.compile(
    r"^if\s+(?:anything|something|either|any of (?:them|these)|one of (?:them|these)|it|they|that|this)\b[^,]*"
    r"\b(?:not|missing|wrong|differ|incorrect|mismatch)[^,]*[,:]\s*(.+)$",
    re.I,
)
CONDITIONAL = re.compile(rf"^(?:if|when|for|once|in case|where)\s+(.+?)(?:{_NO_THOUSANDS}|:|\s+then\s+)\s*(.+)$", re.I)
_PRONOUNS = {"it", "this", "that", "they", "he", "she", "there", "these", "those", "we", "you"}
SCOPE = re.compile(r"^(?:if|where|in case(?: of)?|for|when(?:ever)?|once)\s+(.+)$", re.I)
ARROW = re.compile(r"^(.+?)\s*(?:->|→|=>)\s*(.*)$")
_PERSON_CALL = re.compile(
    r"\bjudg(?:e)?ment call\b|\byour call\b|\bdon'?t auto|\bdo not automate\b|\bnever automate\b|\ba human (?:decides|picks|judges)\b",
    re.I,
)
COLON = re.compile(r"^([^:()]{2,60}):\s*(.+)$")
SUBJECT = re.compile(r"^(.+?)\s+(needs?|requires?|gets?|are|is|go(?:es)?)\s+(.+)$", re.I)


def otherwise(w: Walk, seg: Segment, *, offset: int = 0, more: list[Segment] | None = None) -> bool:
    """ "Otherwise …": the else branch of the last decision. `offset`: a synthetic "otherwise " prefix to skip."""
    m = OTHERWISE.match(seg.text)
    if not m:
        return False
    rest = (
        Segment(seg.text[m.end() :], seg.start + m.end() - offset, seg.end)
        if offset
        else sub(seg, m.end(), len(seg.text))
    )
    aside = re.match(r"(?:including|incl\.?|such as|e\.g\.|like)\b[^,]*,\s*", rest.text, re.I)
    if aside:
        rest = sub(rest, aside.end(), len(rest.text))
    pending, w.pending = w.pending, None
    body = [rest] if rest.text else ([] if more else [seg])
    if pending is None:  # no decision read to be the else of: whether it applies is a person's question
        key = w.b.judgement(f"Does this apply: {seg.text.strip()}?", seg, [("yes", "Yes"), ("no", "No")], "otherwise")
        w.b.exits = [(key, ("judgement", "outcomes", 0, "next"))]
        before = dict(w.b.known.results)
        _run_body(w, body, more)
        w.b.known.results = before
        w.b.exits = w.b.exits + [(key, ("judgement", "outcomes", 1, "next"))]
        return True
    main = [e for e in w.b.exits if e not in pending.else_exits]
    w.b.exits = list(pending.else_exits)
    then_known = dict(w.b.known.results)
    w.b.known.results = dict(pending.known_before)
    _run_body(w, body, more)
    if main:  # both paths continue: only what both know is known
        w.b.known.results = {k: v for k, v in then_known.items() if k in w.b.known.results}
    w.b.exits = main + w.b.exits
    return True


ALWAYS = re.compile(
    r"^(?:in every case|in all cases|in any case|in both cases|always|regardless|either way|whatever the outcome|no matter what)\b[,:]?\s*",
    re.I,
)
INTRO = re.compile(r"^(?:when|whenever|once)\b[^.]*:$", re.I)


def always(w: Walk, seg: Segment) -> bool:
    """ "In every case tag the ticket …" → steps every path goes through; "When a customer asks to cancel:" → trigger."""
    if INTRO.match(seg.text.strip()):
        w.b.warn("Read as what starts the procedure: set the procedure's trigger to match", seg, code="trigger")
        w.understood += 1
        return True
    m = ALWAYS.match(seg.text)
    if not m:
        return False
    w.pending = None
    w.body([sub(seg, m.end(), len(seg.text))])
    return True


def check(w: Walk, seg: Segment) -> bool:
    """ "The carrier, ship date and declared value … must match." → a decide whose failure path comes next."""
    text = seg.text.strip(" .")
    m = CHECK.match(text)
    that = CHECK_THAT.match(text)
    w.recheck_hint = None
    if m:
        cel = _requirement(w, m)
        label = text
    elif that and re.search(
        r"\b(?:is|are|was|were|has|have|had|matches|match|exists?|includes?|contains?|not|no|any|all|within)\b",
        that.group(1),
        re.I,
    ):
        found = conditions.condition(that.group(1), w.b.known)
        cel, label = (found.cel if found else None), that.group(1)
    else:
        return False
    w.pending = None
    if cel:
        key = w.b.decide(cel, label, seg)
        else_exit = (key, ("otherwise",))
    else:
        key = w.b.judgement(f"Is it true that {label}?", seg, [("yes", "Yes"), ("no", "No")], base="check")
        w.b.exits = [(key, ("judgement", "outcomes", 0, "next"))]
        else_exit = (key, ("judgement", "outcomes", 1, "next"))
        w.b.warn(
            f"Check not understood by the rules compiler: a person answers {label!r} at run time",
            seg,
            code="condition_not_understood",
            step_key=key,
        )
    w.check = Check(key, w.recheck_hint or key, else_exit)
    w.understood += 1
    return True


def _requirement(w: Walk, m: re.Match) -> str | None:
    verb = m.group(2).lower()
    if verb == "come from":
        return None
    source = m.group(3) if verb in ("name", "include", "contain", "have", "be given") and m.group(3) else m.group(1)
    nouns = [n for n in re.split(r",\s*(?:and\s+)?|\s+and\s+", source.strip(" .")) if n.strip()]
    parts = []
    for noun in nouns:
        attr = vocabulary.snake(re.sub(r"\s+on\s+.*$", "", noun))
        owner = next((s for s in reversed(w.b.known.results) if attr in w.b.known.returns(s)), None)
        if owner and verb == "match":
            parts.append(f"{owner}.{attr} == case.fields.{attr}")
            w.recheck_hint = next(k for k, s in w.b.steps.items() if s.get("save_as") == owner)
        else:
            parts.append(f"has(case.fields.{attr})")
    return " && ".join(parts) or None


RULE = re.compile(r"^(?:never|do not|don't|must not|we never|we do not|no more than|not more than|at most)\b", re.I)


def rule(w: Walk, seg: Segment) -> bool:
    """ "Never refund the same account more than twice in 90 days": a rule no fact here can check → a question."""
    if not RULE.match(seg.text.strip()):
        return False
    w.pending = None
    key = w.b.judgement(
        f"Does this case break the rule “{seg.text.strip(' .')}”?",
        seg,
        [("no", "No: carry on"), ("yes", "Yes: stop, a person takes over")],
        base="rule",
    )
    w.b.exits = [(key, ("judgement", "outcomes", 1, "next"))]
    w.b.end(End("Breaks a rule of the SOP: a person takes over", "handed_off"), seg)
    w.b.exits = [(key, ("judgement", "outcomes", 0, "next"))]
    w.b.warn(
        "A rule the rules compiler cannot check from the facts it knows: a person confirms it at run time "
        "(which system tells us this?)",
        seg,
        code="question",
        step_key=key,
    )
    w.understood += 1
    return True


def check_failed(w: Walk, seg: Segment) -> bool:
    m = CHECK_FAIL.match(seg.text.strip())
    if not m or w.check is None:
        return False
    chk, w.check = w.check, None
    main = w.b.exits
    w.b.exits = [chk.else_exit]
    w.loop_target = chk.recheck
    w.body([sub(seg, m.start(1), len(seg.text))])
    w.loop_target = None
    w.b.exits = main + w.b.exits
    return True


def unless(w: Walk, seg: Segment) -> bool:
    """ "X, unless the customer is Enterprise" / "Unless the customer is Enterprise, X" → when the customer is
    Enterprise nothing, otherwise X: the condition as written (positive), the step on the otherwise branch."""
    m = re.match(r"^(.+?),?\s+unless\s+(.+?)[.]?$", seg.text.strip())
    leading = re.match(r"^unless\s+([^,]+?),\s*(\S.*?)[.]?$", seg.text.strip(), re.I)
    if not (m or leading) or (leading and re.search(r"\bunless\b", leading.group(2), re.I)):
        return False
    said, action = (leading.group(1), (leading.start(2), leading.end(2))) if leading else (m.group(2), (0, m.end(1)))
    which = None if leading else re.search(r",\s*in which case\s+(?=\S)", said, re.I)
    if which and (
        re.match(r"(?:if|when|whenever|for|once|where|in case)\b", m.group(1).strip(), re.I)
        or not conditions.condition(said[: which.start()], w.b.known)
    ):
        which = None  # "When A, X, unless B, in which case Z": A is not read here; the sentence is read as before
    if which:  # "X, unless Y, in which case Z": when Y, Z; otherwise X
        said, which = said[: which.start()], (m.start(2) + which.end(), m.end(2))
    found = conditions.condition(said, w.b.known)
    if found is None:
        return False
    for need in found.needs:
        w.ensure(need, seg)
    w.pending = None
    key = w.b.decide(found.cel, said.strip(), seg)  # X unless Y: when Y, nothing; otherwise X
    before = dict(w.b.known.results)
    if which:
        w.body([sub(seg, *which)])
        w.b.known.results = dict(before)
    exempt = w.b.exits
    w.b.exits = [(key, ("otherwise",))]
    w.body([sub(seg, *action)])
    w.b.known.results = before
    w.b.exits = exempt + w.b.exits
    w.understood += 1
    return True


def conditional(w: Walk, seg: Segment, more: list[Segment] | None = None, *, scoped: bool = False) -> bool:
    """A decision; `more` are the item's further sentences, which belong to the branch ("In transit: … . …")."""
    more = more or []
    text = seg.text
    if more and not (scoped or _scopes_item(w, text)):
        return False
    for pattern in (CONDITIONAL, ARROW, COLON):
        m = pattern.match(text)
        if m and m.group(2).strip():
            head = m.group(1)
            if re.fullmatch(r"(?:once |if |when |after )?(?:it is |it's )?approved\??", head.strip(), re.I):
                w.pending = None  # the approval step already gates what follows
                then = [sub(seg, m.start(2), len(text))]
                on_approval_only(w, lambda then=then: _run_body(w, then, more))
                return True
            if pattern is COLON and head.split()[0].lower() in clauses.VERBS:
                continue
            if _unconditional_head(head) or (
                re.match(r"(?:before|after|at|during|on arrival|upon)\b", head.strip(), re.I)
                and not conditions.condition(head, w.b.known)
            ):  # "Before the truck is at the door: …" says when, not whether
                w.pending = None
                _run_body(w, [sub(seg, m.start(2), len(text))], more)
                return True
            body = [sub(seg, m.start(2), len(text))]
            conditional_text(w, seg, head, body, headed=pattern is not CONDITIONAL, more=more)
            return True
    m = SUBJECT.match(text)
    if m and (conditions.condition(m.group(1), w.b.known) or conditions.question(m.group(1), w.b.known)):
        rest = m.group(3)  # a subject on a fact nobody named is still the case the sentence is about
        colon = rest.find(":")
        start = m.start(3) + colon + 1 if colon >= 0 else m.start(2)
        conditional_text(w, seg, m.group(1), [sub(seg, start, len(text))], more=more)
        return True
    return _subject_then_verb(w, seg, more)


def _unconditional_head(head: str) -> bool:
    """ "step 0 -> pull the ticket", "Every return starts the same way: look up …": a label or an "always", not a
    condition."""
    return bool(
        re.fullmatch(r"(?:step|phase|stage|part)\s*\d+[a-z]?", head.strip(), re.I)
        or re.search(r"\b(?:starts? the same way|in (?:all|every) cases?|no matter what|regardless)\b", head, re.I)
    )


def _scopes_item(w: Walk, text: str) -> bool:
    """Whether a step's first sentence is a decision that covers the whole step: "In transit: …", "For Pro customers, …"."""
    if timing_like(text):
        return False
    for pattern in (COLON, ARROW):
        if (m := pattern.match(text)) and m.group(1).split()[0].lower() not in clauses.VERBS:
            return True
    m = CONDITIONAL.match(text) or SUBJECT.match(text)
    return bool(m and conditions.condition(m.group(1), w.b.known))


def timing_like(text: str) -> bool:
    return bool(quantities.durations(text)) and bool(re.search(r"\b(?:after|later|within|again|at \d)", text, re.I))


def _subject_then_verb(w: Walk, seg: Segment, more: list[Segment]) -> bool:
    """ "Critical and high severity reports page the on-call …": a condition as the subject of an action."""
    words = list(re.finditer(r"[A-Za-z][\w'-]*", seg.text))
    for i, word in enumerate(words[1:9], start=1):
        if word.group(0).lower() in clauses.VERBS:
            head = seg.text[: word.start()].strip(" ,")
            if conditions.condition(head, w.b.known) is None:
                return False
            conditional_text(w, seg, head, [sub(seg, word.start(), len(seg.text))], more=more)
            return True
        if i > 8:
            break
    return False


def conditional_text(
    w: Walk,
    seg: Segment,
    head: str,
    body: list[Segment],
    *,
    headed: bool = False,
    condition: conditions.Condition | None = None,
    more: list[Segment] | None = None,
) -> None:
    # "… and all other plans:" is the else; "this comes before everything else" ranks, it is no else
    if re.search(
        r"(?<!before )(?<!above )(?<!ahead of )(?<!over )\b(?:anything|everything|everyone|anyone|all) else\b"
        r"|\b(?:any|all) other\b",
        head,
        re.I,
    ):
        head = "otherwise"
    if re.match(r"otherwise\b", head.strip(), re.I):
        head = "otherwise"  # "Otherwise decline it: reply …" is the else, whatever it calls the outcome
    if head == "otherwise" or (w.pending and _opposite(head, w.b.steps[w.pending.decide])):
        said = body[0] if body else Segment("", seg.end, seg.end)  # "Anything else:" with its steps below
        otherwise(w, Segment("otherwise " + said.text, said.start, said.end), offset=len("otherwise "), more=more)
        return
    said = " ".join(b.text for b in body)
    if condition is None and _PERSON_CALL.search(said):
        cond = None  # "… -> CSM judgement call, don't auto-anything": whether it applies is the person's call too
    else:
        cond = condition or conditions.condition(head, w.b.known)
        on_amount = cond is not None and cond.cel.startswith("case.amount") and field_numbers.bare_rung(head)
        if (cond is None or on_amount) and (rung := _next_rung(w, head)):  # "$5 to $50" after "Overcharge under $5"
            cond, head = rung, rung.label  # "more than 24" under "outage_hours 12 or less" is about outage_hours too
    if cond is None and w.b.start is None and re.match(r"(?:when|whenever|once|as soon as)\b", seg.text.strip(), re.I):
        w.b.warn("Read as what starts the procedure: set the procedure's trigger to match", seg, code="trigger")
        _run_body(w, body, more)  # "When a user asks for a reset, …" at the top is the trigger, not a question
        w.understood += 1
        return
    for need in cond.needs if cond else ():
        w.ensure(need, seg)
    pending = w.pending
    fact_root = root(cond.cel) if cond else ""
    if pending and cond and not pending.judgement and pending.root == fact_root and _untouched(w, pending):
        w.b.exits = [w.b.add_branch(pending.decide, cond.cel, head.strip())]
        _branch_body(w, pending, body, more)
        return
    earlier = w.decides.get(fact_root) if cond and headed else None
    if earlier and any(_bare(b["when"]) == _bare(cond.cel) for b in w.b.steps[earlier]["branches"]):
        earlier = None  # the same condition again would never be taken: a new decision
    if earlier and earlier != (pending.decide if pending else None):
        keep = w.b.exits
        w.b.exits = [w.b.add_branch(earlier, cond.cel, head.strip())]
        snapshot = dict(w.b.known.results)
        _run_body(w, body, more)
        w.b.known.results = snapshot
        w.b.exits = keep + w.b.exits
        w.understood += 1
        return
    if pending and not cond and pending.judgement and headed and _untouched(w, pending):
        w.b.add_outcome(pending.decide, outcome_key(head), head.strip())
        outcomes = w.b.steps[pending.decide]["judgement"]["outcomes"]
        outcomes.append(outcomes.pop(-2))  # keep "none of these" last: the else exits point at index -1
        w.b.exits = [(pending.decide, ("judgement", "outcomes", len(outcomes) - 2, "next"))]
        _branch_body(w, pending, body, more)
        return
    if cond:
        key = w.b.decide(cond.cel, head.strip(), seg)
        else_exits = [(key, ("otherwise",))]
        w.decides.setdefault(fact_root, key)
    else:
        question = f"Does this apply: {head.strip()}?"
        outcomes = [(outcome_key(head), head.strip()), ("none", "No / none of these")]
        key = w.b.judgement(question, seg, outcomes, base="judge")
        else_exits = [(key, ("judgement", "outcomes", -1, "next"))]
        w.b.exits = [(key, ("judgement", "outcomes", 0, "next"))]
        w.b.warn(
            f"Condition not understood by the rules compiler: a person answers {head.strip()!r} at run time",
            seg,
            code="condition_not_understood",
            step_key=key,
        )
        unnamed = conditions.unnamed_fact(head.strip(), w.b.known)  # "when the order was placed"
        if (ask := conditions.question(head.strip(), w.b.known)) and not (unnamed and declared.declared(w.b.known)):
            w.b.warn(ask, seg, code="question", step_key=key)
        fact = re.match(r"(?:the\s+)?(.+?)\s+(?:is|are|was|were|has|have)\b", head.strip(), re.I)
        phrase = unnamed or (fact.group(1) if fact else "")
        if phrase.lower() in _PRONOUNS:
            phrase = ""  # "If it is spam:": "it" names no fact a system could hold; the person's question stays
        if declared.declared(w.b.known) and phrase and declared.still_open(phrase):
            picks = ", ".join(declared.candidates(phrase, w.b.known))
            w.b.warn(
                f"Which system tells us {phrase}? No declared operation returns it: pick one ({picks}) "
                "or declare it, then compile again",
                seg,
                code="unknown_fact",
                step_key=key,
            )
    snapshot = dict(w.b.known.results)
    _run_body(w, body, more)
    w.b.known.results = snapshot
    then_exits = w.b.exits
    w.b.exits = then_exits + else_exits
    w.pending = Pending(key, then_exits, else_exits, fact_root, judgement=cond is None, known_before=snapshot)
    w.understood += 1


def _next_rung(w: Walk, head: str) -> conditions.Condition | None:
    """ "- outage_hours 12 or less: … / - more than 24: …": a bare comparison is the next rung on the fact of
    the decision just made."""
    pending = w.pending
    if not pending or pending.judgement or not re.match(_BARE_COMPARISON, head.strip(), re.I):
        return None
    fact = pending.root.rsplit(".", 1)[-1]
    parts = re.split(r"\s+and\s+(?=up to|at most|under|below|less than)", head.strip(), maxsplit=1, flags=re.I)
    found = [conditions.condition(f"{fact} is {re.sub(r'^up to', 'at most', part)}", w.b.known) for part in parts]
    if not all(c and root(c.cel) == pending.root for c in found):
        return None
    return conditions.Condition(" && ".join(c.cel for c in found), f"{fact} {head.strip()}")


_BARE_COMPARISON = (
    r"(?:(?:(?:more|less|fewer|greater) than|over|under|above|below|at (?:least|most)|up to)\s+[$€£]?\d[\d,.]*"
    r"(?:\s+and\s+(?:up to|at most|under|below|less than)\s+[$€£]?\d[\d,.]*)?"
    r"|[$€£]\d[\d,.]*\s*(?:to|–|—|-)\s*[$€£]?\d[\d,.]*)\s*$"  # "$5 to $50"
)


def _opposite(head: str, decide: dict) -> bool:
    """ "out of warranty" after "in warranty (…)", "not X" after "X": the other branch of the same decision."""
    labels = [b.get("label", "") for b in decide.get("branches", [])[:1]]
    if not labels:
        return False
    plain = lambda text: re.sub(r"\s*\(.*?\)", "", text).strip().lower()  # noqa: E731
    mine, theirs = plain(head), plain(labels[0])
    return mine in (re.sub(r"^in ", "out of ", theirs), "not " + theirs, "no " + theirs) or theirs == "not " + mine


def _run_body(w: Walk, body: list[Segment], more: list | None) -> None:
    """The steps of a branch: its clauses, then further sentences or (for a scoping lead-in) items."""
    w.pending = None
    w.body(body)
    for part in more or []:
        if isinstance(part, Segment):
            w.sentence(part)
        else:
            w.item(part)


def _branch_body(w: Walk, pending: Pending, body: list[Segment], more: list[Segment] | None = None) -> None:
    snapshot = dict(w.b.known.results)
    _run_body(w, body, more)
    w.b.known.results = snapshot
    pending.then_exits += w.b.exits
    w.b.exits = pending.then_exits + pending.else_exits
    w.pending = pending  # still open: a later "Otherwise …" is the else of every branch, not their follow-on
    w.understood += 1


def _untouched(w: Walk, pending: Pending) -> bool:
    return w.b.exits == pending.then_exits + pending.else_exits


def _bare(cel: str) -> str:
    """ "(x in [a, b])" and "x in [a, b]" are one condition."""
    return cel[1:-1] if cel.startswith("(") and cel.endswith(")") and cel.count("(") == 1 else cel


def root(cel: str) -> str:
    match = re.search(r"[a-z_]+(?:\.[a-z_]+)+", cel)
    return match.group(0) if match else ""


def outcome_key(head: str) -> str:
    key = vocabulary.snake(head)[:40].strip("_")
    return key if key and key[0].isalpha() else "yes"


# "the customer has already asked their bank …": what the condition means, said as a fact, not a step
_EXPLANATION = re.compile(
    r"^(?:the|they|this|that|it|he|she|their|its)\b[\w' ]{0,40}?\b(?:has|have|had|is|are|was|were)\b", re.I
)
_MODAL = re.compile(r"\b(?:must|should|decides?|will|needs?|may|can)\b", re.I)


def explained_condition(w: Walk, sent: Segment, rest: list) -> bool:
    """ "If the ticket is tagged chargeback, the customer has already asked their bank. Do not refund: tag …, and
    stop.": a condition explained rather than acted on scopes the rest of its paragraph."""
    m = CONDITIONAL.match(sent.text)
    if not m or not rest or not re.match(r"if\b", sent.text, re.I):
        return False
    body = m.group(2).strip()
    if not _EXPLANATION.match(body) or _MODAL.search(body) or ":" in body:
        return False
    if conditions.condition(m.group(1), w.b.known) is None:
        return False
    conditional_text(w, sent, m.group(1), [], more=rest)
    return True


_CASE_LABEL = re.compile(
    r"(?:no|not|yes|none|without|missing|any|over|under|above|below|more|less|\d)\b"
    r"|.*\b(?:attached|found|missing|present|verified|approved|rejected|confirmed|matches|fails?|passe[sd]|ok)$",
    re.I,
)


def case_label(w: Walk, sents: list[Segment], label: str, end: int) -> bool:
    """ "No photo: reply asking for one" — a label that states a case (not a topic like "Damage:") scopes the
    steps after it; the compiler cannot read it, so a person answers it rather than the steps running always."""
    if not _CASE_LABEL.match(label.strip()):
        return False
    conditional_text(w, sents[0], label, [sub(sents[0], end, len(sents[0].text))] + sents[1:], headed=True)
    return True
