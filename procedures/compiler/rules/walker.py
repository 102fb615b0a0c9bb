"""Walk the SOP's items and sentences and turn each statement shape into steps.

Shapes, tried in this order for every sentence (see `shapes` and `timing`):
  "Otherwise …" / "Everyone else …"      → the else branch of the last decision
  "The summary is …", "Priority … follows the plan: A is X, B is Y"
                                         → parameters of the previous action
  "All replies are private", "… must be acknowledged within 1 hour"
                                         → constraints and deadlines on actions
  "The A, B and C … must match"          → a check whose failure path comes next
  "If anything does not match, …"        → that check's failure path (a reply+wait loops back)
  "… 7 days after filing, …", "At 14 days, …", "Do it again at 14 and 30 days",
  "If they accept within 7 days, …"      → waits anchored to a step, watching an event
  "When the carrier settles, …"          → what happens when a watched event arrives
  "If …, …", "For Enterprise accounts, …", "X -> …", "X: …", "Claims over $5,000 need …",
  "… unless the customer is Enterprise"  → a decision (CEL, or a judgement question)
  anything else                          → actions, one per clause
A clause nothing recognises becomes a judgement step (proceed / stop) plus a
warning quoting it: nothing is dropped silently.
"""

from __future__ import annotations

import re

from procedures.compiler.rules import (
    actions,
    amendments,
    answers,
    approvals,
    case_paragraphs,
    case_stops,
    clauses,
    conditions,
    criteria,
    declared,
    delays,
    lead_ins,
    operations,
    optional_step,
    run_in,
    same_request,
    sections,
    sentences,
    shapes,
    tables,
    timing,
    vocabulary,
)
from procedures.compiler.rules.builder import Builder, Exit
from procedures.compiler.rules.candidates import Act, Approve, End, Wait
from procedures.compiler.rules.document import Code, Heading, Item, Section, Segment, Table, section_kind, sub
from procedures.compiler.rules.state import Check, Pending, Schedule

_TEXT = re.compile(r"\S")
_THEN_IF = re.compile(r";\s*(?=(?:if|when)\s+[^,;]+,\s*\w)", re.I)
_GUARD = re.compile(r"\bfor [\w ,&-]+ only\b|\bonly (?:if|when|for)\b", re.I)
_JUMP = re.compile(
    r"^(?:then\s+)?(?:go|skip|jump|continue|proceed|move on|return)\s+(?:straight\s+|directly\s+|back\s+)?(?:to|with)\s+"
    r"(?:step\s+(\d+[a-z]?)|(?:the\s+)?[\"“']?([A-Z][\w -]{1,40}?)[\"”']?(?:\s+section|\s+below|\s+above)?)$",
)
_PERSON_DECIDES = re.compile(
    r"\byour (?:own )?(?:call|judg(?:e)?ment|discretion)\b|\bjudg(?:e)?ment call\b|\buse (?:your )?(?:best )?judg(?:e)?ment\b"
    r"|\bat (?:your|the agent's|their) discretion\b|\bdoes not decide it for you\b",
    re.I,
)
_LABELLED = re.compile(r"^([^:()]{2,40}):\s+\S")
_SLA_TARGET = re.compile(r"\bfirst response\b.*\bwithin\b|\bwithin\b.*\bfirst response\b|\bresolution time\b", re.I)


_REPLY_SAID = re.compile(
    r"\bif (?:the|they|he|she)\b[\w ]{0,20}\b(?:replies|reply|responds|respond|writes back)\b", re.I
)


class Walker:
    def __init__(self, builder: Builder):
        self.b = builder
        self.pending: Pending | None = None
        self.check: Check | None = None
        self.schedule: Schedule | None = None
        self.loop_target: str | None = None
        self.private_replies = False
        self.recheck_hint: str | None = None
        self.decides: dict[str, str] = {}  # fact → the first decide on it, for later "X: …" cases
        self.titles: set[str] = set()  # labels of step groups reached by a jump ("SEV1" in "4. SEV1: open …")
        self.understood = 0

    # -- items ----------------------------------------------------------------------------
    def item(self, item: Item | Table | Section | Heading | Code) -> None:
        if isinstance(item, Table):
            tables.decision_table(self, item)
            return
        if isinstance(item, Section):
            sections.section(self, item)
            return
        if isinstance(item, Heading | Code):
            self.b.mark(item.segment, "code" if isinstance(item, Code) else "heading")
            return
        if self.b.section_kind:
            self.b.mark(item.segment, self.b.section_kind)
            self._children(item)
            return
        title, item = run_in.split(item, self.b.known)
        if title is not None:
            self.b.mark(title, "heading")  # "**2. Analyse.** Open the file …": the bold words name the step
        before = len(self.b.steps)
        self._item(item)
        if item.number and item.number not in "-*•+":
            self.b.anchor(item.number.lower(), before)

    def _item(self, item: Item) -> None:
        if item.children and self._title_of_children(item):
            return
        if item.children and _PERSON_DECIDES.search(item.segment.text) and not self.b.known.judged:
            self.b.known.judged = True  # "Decide the severity … This is your call": each case below is a question
            try:
                self._item(item)
            finally:
                self.b.known.judged = False
            return
        if item.children and criteria.criteria(self, item):
            return
        if item.children and item.segment.text.endswith(":"):
            *before, last = sentences.split(item.segment)
            if before:  # "Red flags come first. If red_flag is true:" — the last sentence leads in
                led = Item(last, item.indent, item.marked, item.number, item.children)
                for n, sentence in enumerate(before):
                    if n == len(before) - 1 and shapes.explained_condition(self, sentence, [led]):
                        return  # "If X, <what it means>. Do not refund:" and what it leads in, all under X
                    if not self._classified(sentence):
                        self.sentence(sentence)
                item = led
            if self._lead_in(item):
                return
        whole = sentences.block_kind(item.segment.text)  # "Tone: …" is the kind of the whole paragraph
        sents = [s for s in sentences.split(item.segment) if not self._classified(s, whole)]
        if not sents:
            self._children(item)
            return
        if _SLA_TARGET.search(sents[0].text):
            for sentence in sents:
                self.b.warn(
                    "SLA target: response and resolution times are SLA policies, configured on the queue and "
                    "kept by sopdesk's SLA clocks; this procedure reacts to their warnings and breaches",
                    sentence,
                    code="sla_policy",
                )
            self.understood += 1
            return
        if self._labelled_case(item, sents):
            return
        label = re.match(r"^(?!Otherwise\b)([A-Z][A-Za-z -]{1,25}):\s+(?=\S)", sents[0].text)  # not the else
        if label and not conditions.condition(label.group(1), self.b.known) and self._step_after(sents[0], label.end()):
            if shapes.case_label(self, sents, label.group(1), label.end()):  # "No photo: reply …": a case to answer
                return self._children(item)
            sents[0] = sub(sents[0], label.end(), len(sents[0].text))  # "Damage: if the ticket is tagged …"
        head = shapes.ARROW.match(sents[0].text)
        if head and item.children:
            body = [sub(sents[0], head.start(2), len(sents[0].text))] + sents[1:]
            shapes.conditional_text(self, sents[0], head.group(1), body, headed=True)
            self._children(item)
            return
        if case_paragraphs.case_paragraph(self, item, sents):  # "For a legal hold, … . Once approved, …"
            return self._children(item)
        cut = next((i for i, s in enumerate(sents[1:], 1) if shapes.OTHERWISE.match(s.text)), len(sents))
        ends = all(
            case_stops.TERSE_END.match(s.text) for s in sents[1:cut]
        )  # "If …, close the ticket. Stop." — the stop is the branch's
        if (
            (item.marked or shapes.ARROW.match(sents[0].text))  # "€20 – €50 -> hold … . Reply …": one rung
            and cut > 1
            and shapes.conditional(
                self, sents[0], more=sents[1:cut], scoped=ends and bool(shapes.SCOPE.match(sents[0].text))
            )
        ):
            for sentence in sents[cut:]:  # "If …, X. Otherwise Y." — the otherwise is the decision's else
                self.sentence(sentence)
            self._children(item)
            return
        more_after = bool(_TEXT.search(self.b.source, item.segment.end))  # steps follow this item
        i = 0
        while i < len(sents):  # "If none comes, close it as solved. Stop here." — the stop ends that branch only
            then = sents[i + 1] if i + 1 < len(sents) else None
            stop = case_stops.branch_stop(sents, i, cut, more_after=more_after)
            if stop and shapes.conditional(self, sents[i], more=sents[i + 1 : stop + 1], scoped=True):
                i = stop + 1
                continue
            if (
                then is not None
                and case_stops.TERSE_END.match(then.text)
                and shapes.SCOPE.match(sents[i].text)
                and (
                    timing.no_reply(self, sents[i], more=[then])
                    or shapes.conditional(self, sents[i], more=[then], scoped=True)
                )
            ):
                i += 2
                continue
            if shapes.explained_condition(self, sents[i], sents[i + 1 : cut] if i < cut else []):
                i = cut
                continue
            self.sentence(sents[i])
            i += 1
        self._children(item)

    def _title_of_children(self, item: Item) -> bool:
        """ "4. SEV1: open the incident." over lettered sub-steps, reached by "go to step 4" (or labelled like a
        group that is), and "1. Take ownership." over sub-steps: the line names the group, it is not a condition
        or a step of its own (the jump already chose the path)."""
        text = item.segment.text.strip()
        if sum(1 for c in item.children if isinstance(c, Item) and c.marked) < 2 or text.endswith(":"):
            return False
        if (
            len(sentences.split(item.segment)) != 1
            or len(text.split()) > 8
            or re.match(r"(?:if|when|unless|for)\b", text, re.I)
        ):
            return False
        label = _LABELLED.match(text)
        targeted = item.number.lower() in {reference for _, reference, _ in self.b.jumps}
        if label and not (targeted or label.group(1).lower() in self.titles):
            return False
        if label:
            self.titles.add(label.group(1).lower())
        elif actions.recognise(text, self.b.known) is not None:
            return False  # "1. Open a Bug in ENG." over its sub-steps is a step of its own
        self.b.mark(item.segment, "heading")
        self._children(item)
        return True

    @staticmethod
    def _step_after(seg: Segment, at: int) -> bool:
        """Whether what follows a "Label:" is a step or a rule of its own ("if …", "tag the ticket …")."""
        rest = seg.text[at:]
        word = re.match(r"[A-Za-z]+", rest)
        return bool(word) and (
            word.group(0).lower() in ("if", "when", "unless") or word.group(0).lower() in clauses.VERBS
        )

    def _labelled_case(self, item: Item, sents: list[Segment]) -> bool:
        """ "- **1 to 2 prior strikes** - a 24-hour suspension. Tag the ticket suspend-24h.": the bold label is the
        case, a description after the dash is what it means, the sentences after it are its steps."""
        label = re.match(r"^\*\*([^*]{2,80})\*\*\s*(?:-|–|—|:)\s*", sents[0].text)
        if not label or not conditions.condition(label.group(1), self.b.known):
            return False
        rest = sub(sents[0], label.end(), len(sents[0].text))
        word = re.match(r"[A-Za-z]+", rest.text)
        body = [rest] if word and word.group(0).lower() in clauses.VERBS else []
        shapes.conditional_text(self, sents[0], label.group(1), body, headed=True, more=sents[1:])
        self._children(item)
        return True

    def _classified(self, seg: Segment, whole: str = "") -> bool:
        kind = whole or sentences.kind_of(seg.text)
        if kind:
            self.b.mark(seg, kind)
        return bool(kind)

    def _lead_in(self, item: Item) -> bool:
        """ "If the customer is on Enterprise:" / "For refunds over $500:" / "Otherwise:" scope the items under them."""
        seg = sub(item.segment, 0, len(item.segment.text) - 1)
        kind = section_kind(seg.text)
        if kind:
            self.b.mark(item.segment, "heading")
            with self.b.section(kind):
                self._children(item)
            return True
        if shapes.OTHERWISE.match(seg.text + " "):
            shapes.otherwise(self, seg, more=list(item.children))
            return True
        scoped = shapes.SCOPE.match(seg.text)
        if (
            scoped
            and re.match(r"(?:when|once)", seg.text, re.I)
            and not conditions.condition(scoped.group(1), self.b.known)
        ):
            self.b.warn("Read as what starts the procedure: set the procedure's trigger to match", seg, code="trigger")
            self._children(item)
            return True
        if scoped or conditions.condition(seg.text, self.b.known):
            head = scoped.group(1) if scoped else seg.text
            shapes.conditional_text(self, seg, head, [], headed=True, more=list(item.children))
            return True
        if sentences.is_title(seg.text) or re.match(r"(?:steps|procedure|process|what to do|how to)\b", seg.text, re.I):
            self.b.mark(item.segment, "heading")
            self._children(item)
            return True
        return False

    def _children(self, item: Item) -> None:
        if item.children and answers.answers(self, list(item.children)):
            return
        for child in item.children:
            self.item(child)

    # -- sentences ------------------------------------------------------------------------
    def sentence(self, seg: Segment) -> None:
        for shape in (
            shapes.always,
            shapes.otherwise,
            amendments.modifier,
            amendments.constraint,
            amendments.deadline,
            shapes.check_failed,
            shapes.check,
            delays.held_until,
            timing.no_reply,
            timing.timed,
            timing.awaited,
            timing.event_handler,
            tables.ladder,
            shapes.rule,
            shapes.unless,
            optional_step.optional,
            shapes.conditional,
        ):
            if shape(self, seg):
                return
        self.pending = None
        self.body([seg])

    # -- bodies: clauses → steps ----------------------------------------------------------
    def body(self, segments: list[Segment]) -> None:
        if lead_ins.colon_lead_in(self, segments):
            return
        for i, segment in enumerate(segments):  # "check X; if Y, do Z": X, then a conditional sentence of its own
            then_if = _THEN_IF.search(segment.text)
            if then_if and i == len(segments) - 1 and then_if.start() > 0:
                self.body(segments[:i] + [sub(segment, 0, then_if.start())])
                self.sentence(sub(segment, then_if.end(), len(segment.text)))
                return
        parts = clauses.stop_last([c for s in segments for c in clauses.split(s)])
        context = " ".join(s.text for s in segments)
        guarded = next((i for i, c in enumerate(parts) if _GUARD.search(c.text)), None)
        for i, clause in enumerate(parts):
            if guarded is not None and i >= guarded:
                self.emit(None, clause)  # "…, for SEV1 and SEV2 only, open a Task": never unconditionally
                continue
            jump = _JUMP.match(clauses.clean(clause.text))
            if jump:
                self.b.jump((jump.group(1) or jump.group(2)).lower().strip(), clause)
                self.understood += 1
                return
            said = clauses.clean(clause.text)
            spec = actions.recognise(said, self.b.known, context=context) or same_request.again(self.b, said)
            if spec is None and not self.b.exits and self.b.start is not None:
                continue
            if isinstance(spec, Wait):
                if spec.for_event is None and (
                    self._just_asked() or _REPLY_SAID.search(self.b.sentence_of(clause).text)
                ):
                    spec.for_event = "customer.replied"  # "ask … and wait up to 3 days": wait for the answer
                self.wait_clause(spec, clause, parts[i + 1 :])
                self.understood += 1
                return
            if self._merge_reply(spec, clause):
                continue
            self.emit(spec, clause)
            if isinstance(spec, End):
                return

    def _merge_reply(self, spec, clause: Segment) -> bool:
        """ "Reply that … and ask them to …" is one reply, not two; "set the priority … and assign it to …" one update."""
        last = next(reversed(self.b.steps.values()), None)
        if (
            isinstance(spec, Act)
            and spec.operation == "zendesk.update_ticket"
            and last
            and last.get("operation") == "zendesk.update_ticket"
            and (last["key"], ("next",)) in self.b.exits
            and last["span"]["start"] <= clause.start < last["span"]["end"]
            and not set(spec.params) - {"ticket_id"} & set(last["params"])
        ):
            last["params"].update(spec.params)
            self.understood += 1
            return True
        if not (isinstance(spec, Act) and spec.operation == "zendesk.reply" and last):
            return False
        if last.get("operation") != "zendesk.reply" or (last["key"], ("next",)) not in self.b.exits:
            return False
        if not last["span"]["start"] <= clause.start < last["span"]["end"]:  # only within one sentence
            return False
        last["params"]["body"] = last["params"]["body"].rstrip(".") + ". " + spec.params["body"]
        self.understood += 1
        return True

    def _just_asked(self) -> bool:
        """The step before the wait asked the requester (a ticket set to pending/hold in between changes nothing)."""
        steps = list(reversed(self.b.steps.values()))
        last = steps[0] if steps else None
        held = last and last.get("operation") == "zendesk.update_ticket" and len(steps) > 1
        if held and last["params"].get("status") in ("pending", "hold") and (last["key"], ("next",)) in self.b.exits:
            return steps[1].get("operation") == "zendesk.reply" and steps[1].get("next") == last["key"]
        return bool(last and last.get("operation") == "zendesk.reply" and (last["key"], ("next",)) in self.b.exits)

    def emit(self, spec, clause: Segment) -> None:
        if spec is None:
            self._not_understood(clause)
            return
        self.understood += 1
        if isinstance(spec, End):
            if spec.case_status in ("closed", "resolved") and re.search(r"\bsolv(?:e|ed|ing)\b", clause.text, re.I):
                self.b.act(actions.solve_ticket(), clause)  # the Zendesk ticket itself, not only sopdesk's case
                if clauses.status_change_only(self.b.source, self.b.sentence_of(clause).start, clause):
                    return
            self.b.end(spec, clause)
        elif isinstance(spec, Approve):
            self._approve(spec, clause)
        elif isinstance(spec, Act):
            if spec.gather and spec.save_as and self.b.known.has(spec.save_as):
                self._extend_gather(spec, clause)
                return
            self._ensure_for(spec.params.values(), clause)
            key = self.b.act(spec, clause)
            for note in spec.notes:
                self.b.warn(note, clause, code="check_step", step_key=key)

    def _extend_gather(self, spec: Act, clause: Segment) -> None:
        """A second clause about facts already gathered ("… and read the account's plan") adds to that step."""
        step = next(s for s in reversed(self.b.steps.values()) if s.get("save_as") == spec.save_as)
        required = step.setdefault("required", [])
        required += [r for r in spec.required if r not in required]
        if step["span"]["end"] <= clause.start:
            step["span"]["end"] = clause.end
            step["instruction"] = self.b.source[step["span"]["start"] : clause.end]

    def _not_understood(self, clause: Segment) -> None:
        key = self.b.judgement(
            clause.text.strip(), clause, [("proceed", "Done, carry on"), ("stop", "Stop here")], base="judge"
        )
        self.b.exits = [(key, ("judgement", "outcomes", 1, "next"))]
        self.b.end(End("Stop", "stopped"), clause)
        self.b.exits = [(key, ("judgement", "outcomes", 0, "next"))]
        self.b.warn(
            "Not understood by the rules compiler: a person decides this step at run time "
            "(rewrite it as an action, or correct the step)",
            clause,
            code="not_understood",
            step_key=key,
        )
        if re.match(
            r"(?:e-?mail|mail|notify|warn|tell|inform|alert|message|let|loop in|goes|go|escalate)\b",
            clause.text.strip(),
            re.I,
        ):
            _, roles = operations.recipients(clause.text, self.b.known)
            if roles:
                self.b.warn(
                    f"Who receives this? {', '.join(repr(r.lower()) for r in roles)} is a role, not an address: "
                    'write the address in the SOP ("… by email at team-leads@example.com")',
                    clause,
                    code="question",
                    step_key=key,
                )
        if system := vocabulary.named_system(clause.text):
            self.b.warn(
                f"Which endpoint is this? The text names a system ({system!r}) that is not a configured endpoint: "
                "configure it (SOPDESK_HTTP_ENDPOINTS) or declare the operation, then compile again",
                clause,
                code="unknown_system",
                step_key=key,
            )
        elif missing := declared.missing_inputs(clause.text, self.b.known):
            self.b.warn(
                f"Which fact gives {', '.join(missing[1])} for {missing[0]}? Nothing gathered before this step has it: "
                "look it up in an earlier step, or set the parameter in the step",
                clause,
                code="unknown_fact",
                step_key=key,
            )
        elif (system := declared.unknown_system(clause.text, self.b.known)) and declared.still_open(system):
            picks = ", ".join(declared.candidates(clause.text, self.b.known))
            self.b.warn(
                f"Which system is “{system}”? No declared operation matches it: pick one ({picks}) "
                "or declare it, then compile again",
                clause,
                code="unknown_system",
                step_key=key,
            )

    def _ensure_for(self, templates, clause: Segment) -> None:
        text = " ".join(templates)
        for name in ("account", "opportunity", "shipment"):
            if re.search(rf"(?<![\w.]){name}\.", text):
                self.ensure(name, clause)

    def ensure(self, name: str, clause: Segment) -> None:
        """Gather `name` (account, opportunity, shipment) first when nothing has yet."""
        if self.b.known.has(name):
            return
        if name == "opportunity":
            self.ensure("account", clause)
            spec = actions.recognise("find the open opportunity", self.b.known)
        elif name == "account":
            spec = actions.recognise("look up the customer's account in Salesforce", self.b.known)
        else:  # an operation a person named for a fact ("the customer's segment"), else the shipment
            spec = declared.gather_for(name, self.b.known) or actions.recognise(
                "look the shipment up with the carrier", self.b.known
            )
        self.b.act(spec, clause)

    def wait_clause(self, spec: Wait, clause: Segment, rest: list[Segment]) -> None:
        """A wait, then what follows in the sentence: on timeout only ("up to 5 days, then close"), or on both."""
        key = self.b.wait(spec, clause)
        then = re.search(r"\bthen\s+(.+?)\)?\s*\.?$", clause.text)
        timeout = [sub(clause, then.start(1), then.end(1))] if then else []
        timeout += [r for r in rest if clauses.clean(r.text).lower() not in ("after that", "after which")]
        whole = clause.text + " ".join(r.text for r in rest)
        timeout_only = re.search(
            r"\bup to\b|\bat most\b|\bmax\b|\bno longer than\b|\bafter that\b|\bif not\b|\botherwise\b|\bif no\b|\bif nothing\b"
            r"|\bif (?:they|the \w+|he|she|nobody|no one)\b[^,;]*(?:\bnot\b|n't\b|\bnever\b)",
            whole,
            re.I,
        )
        if spec.delay and timeout and not timeout_only and not self.loop_target:
            self.b.exits = [(key, ("next",))] + ([(key, ("on_event",))] if spec.for_event else [])
            self._emit_all(timeout)
            return
        if spec.delay and timeout:
            self.b.exits = [(key, ("next",))]
            self._emit_all(timeout)
        if spec.for_event and self.loop_target:
            self.b.steps[key]["on_event"] = self.loop_target
        elif spec.for_event:
            self.b.exits.append((key, ("on_event",)))

    def _emit_all(self, parts: list[Segment]) -> None:
        for part in parts:
            text = re.sub(
                r"^(?:after that|after which|if not|otherwise|if (?:they|the \w+|he|she|nobody|no one)\b[^,;]*(?:\bnot\b|n't\b|\bnever\b)[^,;]*)[,\s]*",
                "",
                clauses.clean(part.text),
                flags=re.I,
            )
            found = actions.recognise(text, self.b.known)
            self.emit(found, part)
            if isinstance(found, End):
                break

    def _approve(self, spec: Approve, clause: Segment) -> None:
        if self._restated_approval(spec) or approvals.restated(self, spec, clause):
            self.understood += 1
            return
        rejected: list[Exit] = []
        for role in spec.roles:
            key = self.b.approve(spec, clause, role)
            if not spec.named:
                self.b.warn(
                    f"The SOP does not say who approves: the approver is set to {role!r}; name the role in the SOP",
                    clause,
                    code="question",
                    step_key=key,
                )
            rejected.append((key, ("on_rejected",)))
            if spec.evidence:
                keep = self.b.exits
                kinds = " and ".join(d for _, _, d in spec.evidence)
                self.b.exits = [(key, ("on_missing_evidence",))]
                ask = {"ticket_id": actions.TICKET, "body": f"Please send us a {kinds}."}
                self.b.act(Act("zendesk.reply", ask, f"Ask for the {kinds}"), clause)
                wait = self.b.wait(Wait(f"Wait for the {kinds}", None, "customer.replied"), clause)
                self.b.steps[wait]["on_event"] = key
                self.b.exits = keep
                spec = Approve(spec.title, spec.roles, [])
        keep = self.b.exits
        self.b.exits = rejected
        self.b.end(End("Rejected: stop", "stopped"), clause)
        self.b.exits = keep

    def _restated_approval(self, spec: Approve) -> bool:
        """ "… needs sign-off from the account manager. Ask for it; the account manager approves or declines.":
        the second sentence restates the approval the procedure is already waiting on, it asks nobody twice."""
        if len(spec.roles) != 1 or spec.evidence or len(self.b.exits) != 1:
            return False
        key, path = self.b.exits[0]
        step = self.b.steps[key]
        return (
            path == ("on_approved",)
            and step["kind"] == "approve"
            and step.get("role", "").lower() == spec.roles[0].lower()
        )

    def finish_constraints(self) -> None:
        """Constraints stated anywhere ("all replies are private") apply to every step they name."""
        if self.private_replies:
            for step in self.b.steps.values():
                if step.get("operation") == "zendesk.reply":
                    step["params"]["public"] = "{{ false }}"
