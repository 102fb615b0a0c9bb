"""Recognise what one clause asks for: a connector operation, a wait, an approval or an end.

`recognise(text, context)` returns a spec (or None when the clause is not
understood; the caller turns that into a judgement step). Operation names come
from the connector registry; which one a clause means is decided by the verb,
the system named (Salesforce, Jira, Zendesk, email, carrier, a webhook / status
page / portal → http.request) and the registry's `keywords`.
"""

from __future__ import annotations

import re

from connectors import registry
from procedures.compiler.rules import (
    declared,
    http_bodies,
    jira_followups,
    means,
    operations,
    quantities,
    remarks,
    synonyms,
    ticket_states,
    vocabulary,
    waits,
)
from procedures.compiler.rules.candidates import TICKET, Act, Approve, End, Spec, Wait, cel_list, lit
from procedures.compiler.rules.clauses import VERBS
from procedures.compiler.rules.vocabulary import Known

__all__ = ["TICKET", "Act", "Approve", "End", "Spec", "Wait", "cel_list", "lit", "recognise"]


def _end(text: str) -> End | None:
    lowered = text.lower().strip(" .")
    handoff = re.search(
        r"\b(?:hand|pass|give|escalate|route|send|goes)\b.*?\b(?:to|over to)\s+(?:a|an|the|their|its)?\s*(.+)$", lowered
    )
    if handoff and re.search(r"^(?:hand|pass)", lowered) and vocabulary.role_for(handoff.group(1)):
        role = vocabulary.role_for(handoff.group(1))
        return End(f"Hand off to {role.lower()}", "handed_off", handoff_role=role)
    if re.fullmatch(r"(?:and\s+|then\s+)?(?:close|close it|resolve it|solve it)", lowered):
        return End("Close", "closed", "closed")
    if re.fullmatch(
        r"(?:and\s+|then\s+)?(?:close|mark|set)\s+(?:it\s+|(?:the\s+)?(?:ticket|case|request)\s+|(?:the\s+)?(?:ticket\s+)?status\s+)?"
        r"(?:as\s+|to\s+)?(?:solved|resolved)",
        lowered,
    ) or re.fullmatch(r"(?:and\s+|then\s+)?(?:solve|resolve)(?:\s+it)?", lowered):
        return End("Close as solved", "resolved", "resolved")
    if re.fullmatch(
        r"(?:and\s+)?(?:stop|end)(?:\s+(?:here|there|now|the (?:procedure|process|run|workflow)))?"
        # "nothing else", "nothing, the on-call handles it" — not "Nothing in this document is legal advice"
        r"|(?:and\s+)?(?:nothing(?:\s+(?:else|more|further))?(?:\s+(?:to do|happens|is needed|needed|is required))?"
        r"|done|no further action(?:\s+\w+)?)(?:\s*[,;:.(—–-].*)?",
        lowered,
    ):
        return End("Stop", "stopped")
    if re.fullmatch(
        r"(?:and\s+)?(?:close|solve|resolve)\s+(?:the\s+)?(?:ticket|claim|request|case)(?:\s+as\s+(\w+))?.*", lowered
    ):
        abandoned = "abandon" in lowered
        return End(
            "Close the " + re.search(r"ticket|claim|request|case", lowered).group(0),
            "abandoned" if abandoned else "closed",
            "closed",
        )
    return None


def solve_ticket() -> Act:
    return Act("zendesk.update_ticket", {"ticket_id": TICKET, "status": "solved"}, "Solve the ticket")


_SIGN_OFF = re.compile(
    r"\b(?:sign(?:s|ed)?[- ]?off|sign-off|ok from|okay from|go-ahead from|green light from|needs? (?:an? )?ok)\b", re.I
)


_OWNED_OK = re.compile(
    r"\b(?:the|a|an|your|their) ((?:[a-z&/-]+ ){0,3}?[a-z&/-]+)(?:'s|’s) (?:ok|okay|go-ahead|green light|sign-off|signoff)\b",
    re.I,
)
_TO_BE_APPROVED = re.compile(r"\b(?:must|needs? to|has to|have to|should|is to|are to) be approved by\b", re.I)
_OKS_IT = re.compile(
    r"\b(must|needs? to|has to|have to|should|will)\s+(?:ok|okay|sign off(?: on)?|green-?light)\b", re.I
)


def _approve(text: str) -> Approve | None:
    # "needs the ops manager's OK" / "must be approved by a supervisor": approval from that role
    text = _OWNED_OK.sub(lambda m: f"approval from the {m.group(1)}", text)
    text = _TO_BE_APPROVED.sub("needs approval from", text)
    text = _OKS_IT.sub(lambda m: f"{m.group(1)} approve", text)  # "the FO lead has to OK it"
    lowered = text.lower()
    if _SIGN_OFF.search(lowered) and not re.search(r"\bapprov", lowered):
        lowered = re.sub(r"\b(?:ok|okay|go-ahead|green light) from\b", "approval from", lowered)
        lowered = _SIGN_OFF.sub("approval", lowered)
        text = lowered
    if re.search(
        r"\bwithout (?:an? |any |the |further |prior )?(?:\w+ )?(?:approval|sign)|\bno (?:approval|sign-off)\b"
        r"|\b(?:not|never) (?:need|require)",
        lowered,
    ):
        return None  # "lower priorities close without sign-off" says no approval is needed
    if not re.search(r"\bapprov(?:al|e|es|ing)\b", lowered) or re.search(
        r"\b(?:is|are|was|were|been|be) approved\b", lowered
    ):
        return None
    if re.match(r"(?:reply|respond|tell|e-?mail|notify|confirm|send|let|inform)\b", lowered):
        return None
    lowered = re.sub(r"\b(?:instead of|rather than|on top of|in addition to)\b.*$", "", lowered)  # not the approver
    roles = []
    for part in re.split(r"\band\b|,", lowered):
        role = vocabulary.role_for(part)
        if role and role not in roles:
            roles.append(role)
    specific = re.search(
        r"\bapproval (?:from|by|of) (?:the |a |an )?([a-z][a-z&/ -]+?)(?:'s)?(?:\s+(?:is|are|and|before|then|with|via|once|if|so|because|first|beforehand)\b|,|$|\.)",
        lowered,
    )
    if specific and len(roles) == 1 and len(specific.group(1)) > len(roles[0].rstrip("s")) + 2:
        roles = [_role_name(specific.group(1))]  # "the Head of Finance", not "Finance"
    titled = re.search(
        r"\bapproval (?:from|by|of) (?:the |a |an )?([A-Z][\w/-]*(?:\s+(?:and|of|&)\s+[A-Z][\w/-]*|\s+[A-Z][\w/-]*)+)",
        text,
    )
    if titled and len(roles) <= 1 and " and " in titled.group(1):
        roles = [titled.group(1)]  # "a Trust and Safety Lead", "the Head of Trust and Safety": one title, not two
    evidence = []
    photo = re.search(r"(?:at least\s+)?(\w+)\s+photos?(?:\s+of\s+(?:the\s+)?([a-z ]+?))?(?=\s+and\b|$|,)", lowered)
    if photo:
        count = int(quantities.number(photo.group(1))) if re.fullmatch(quantities.NUMBER, photo.group(1)) else 1
        evidence.append(("photo", max(count, 1), f"photo of the {photo.group(2)}" if photo.group(2) else "photo"))
    qualified = re.search(r"\b([a-z]+ (?:manager|lead|director|officer))s?(?:'s)?\b", lowered)
    if (
        roles == ["Managers"]
        and qualified
        and not re.match(r"(?:requester|employee|their|his|her|the)\b", qualified.group(1))
    ):
        roles = [qualified.group(1).capitalize() + "s"]
    named = re.search(
        r"\b(?:approval|approve|sign-off)\s+(?:from|by|of)\s+(?:the\s+|a\s+|an\s+)?([a-z][a-z&/ -]+?)(?:'s)?(?:\s+(?:and|before|then|with|via|once|if|so|because)\b|,|$|\.)",
        lowered,
    )
    if not roles and named:
        roles = [named.group(1).strip().capitalize()]
    owner = re.search(r"\b(?:an?|the)\s+([a-z][a-z ]+?)'s\s+approval", lowered)
    if not roles and owner:
        roles = [owner.group(1).strip().capitalize()]
    subject = re.match(
        r"^(?:and\s+)?(?:the\s+|a\s+|an\s+|their\s+)?([a-z][a-z -]{2,30}?)\s+(?:has to |have to |must |needs? to |should |will |then )?(?:approval|approves?)\b",
        lowered,
    )
    before = re.search(r"\b(?:the|a|an)\s+([a-z][\w&/ -]{1,30}?)(?:'s)?\s+(?:approval|approves?)\b", lowered)
    if (
        not roles
        and before
        and not re.match(r"(?:it|this|that|manager)\b", before.group(1))
        and not re.search(r"\b(?:needs?|requires?|gets?|must|has|have|is|are)\b", before.group(1))
        and not subject
    ):
        roles = [_role_name(before.group(1))]
    if (
        not roles
        and subject
        and subject.group(1).split()[0] not in VERBS  # "ask for the approval": who approves is not said here
        and not re.match(r"(?:it|this|that|they|which|needs?|requires?|gets?|get)\b", subject.group(1))
        and not re.search(r"\b(?:needs?|requires?|gets?|must|has|have|is|are|goes|go)$", subject.group(1).strip())
    ):
        name = subject.group(1).strip()
        roles = [name[0].upper() + name[1:] + ("" if name.endswith("s") else "s")]
    if re.search(
        r"\b(?:the |an? )?(?:agent|support agent|you|we)\s+(?:(?:can|may|is allowed to|should|must|will|have to|need to)\s+)?"
        r"approves?\b|approved (?:automatically|straight away)",
        lowered,
    ):
        return None  # the person working the case approves: no approval gate
    if not roles:
        return None  # the text names no approver: who approves is a question, never a default role
    roles = [_fuller(role, lowered) for role in roles]
    if (
        not evidence
        and "photo" not in lowered
        and re.search(r"\bas evidence\b|\bwith (?:the |a |an |their )?[\w -]{2,40} attached\b", lowered)
    ):
        return None  # "with the lab report attached as evidence": evidence not read here; a person sets the gate
    if any(_WORKS_THE_CASE.search(role) for role in roles):
        return None  # "approval from the claims agent": the person working the case approves nothing
    return Approve(text.strip(" ."), roles, evidence, named=True)


_WORKS_THE_CASE = re.compile(r"(?:^|\s)(?:the\s+)?(?:[\w-]+\s+)?(?:agent|rep|representative|you|yourself)s?$", re.I)
_NOT_ROLE_WORDS = frozenset(
    ("the", "a", "an", "their", "our", "its", "any", "each", "from", "by", "of", "and", "or", "must", "needs")
    + ("need", "only", "then", "also", "is", "are", "be", "to", "with", "approval", "approve", "approves")
    + ("sign", "off", "ok", "signs")
)
_ROLE_HEAD = (
    r"(?:manager|lead|director|officer|head|counsel|supervisor|moderator|engineer|commander|controller|owner)s?"
)


def _fuller(role: str, lowered: str) -> str:
    """ "Team leads" when the text says "a Billing team lead", "Finance" for "the Finance Director": the role as
    the text names it (up to two words before the role's head word)."""
    core = role.lower().rstrip("s")
    m = re.search(rf"\b((?:[a-z&]+\s+){{1,2}}){re.escape(core)}s?\b", lowered)
    before = m.group(1).split() if m else []
    words: list[str] = []
    for word in reversed(before):  # the words right before the role that name it ("billing" team lead)
        if word in _NOT_ROLE_WORDS or word.endswith("'s"):
            break
        words.insert(0, word)
    if m and words:
        return _role_name(" ".join(words) + " " + core)
    after = re.search(rf"\b{re.escape(core)}\s+({_ROLE_HEAD})\b", lowered)
    if after:
        return _role_name(f"{core} {after.group(1)}")
    return role


def _role_name(words: str) -> str:
    """ "ciso" → "CISO", "trust & safety lead" → "Trust & safety leads"."""
    words = words.strip()
    if len(words) <= 5 and " " not in words:
        return words.upper()
    return words[0].upper() + words[1:] + ("" if words.endswith("s") else "s")


_LEGAL_NUMBER = re.compile(
    r"\b[a-z]+(?:-[a-z]+)?\s+\((\d+)\)(?=\s+(?:business\s+|working\s+|calendar\s+)?(?:days?|hours?|weeks?|minutes?)\b)",
    re.I,
)


def recognise(text: str, known: Known, *, context: str = "") -> Spec | None:
    """The spec for one clause. `context` is the whole sentence (for systems named elsewhere in it)."""
    text = _active(known.expand(re.sub(r"\s+", " ", text).strip(" .;,")))  # hard-wrapped lines read as one
    text = _LEGAL_NUMBER.sub(r"\1", text)  # "wait ten (10) business days": the figure
    if remark := remarks.split_remark(text):  # "set tkt solved. not worth chasing"
        if remarks.restricts(remark[1]):
            return None  # "tag it vip-hold. not for Enterprise": a restriction no condition checks
        said = _recognise(remark[1], known, "")
        if said is None or (isinstance(said, End) and isinstance(_recognise(remark[0], known, ""), End)):
            text = remark[0]  # a comment that asks for nothing ("solve. done.": the solve ends it anyway)
    spec = _recognise(text, known, known.expand(context))
    limit = re.search(rf"\bwithin\s+({quantities.NUMBER}\s*(?:business\s+)?(?:min(?:ute)?s?|hours?|days?))", text, re.I)
    if isinstance(spec, Act) and not spec.gather and limit:
        spec.deadline = quantities.duration(limit.group(1))
    return spec


def _active(text: str) -> str:
    """ "is cancelled at the end of …" → "cancel at the end of …"; "gets a retention offer …" → "offer …"."""
    text = ticket_states.routed_as_instruction(text)
    offer = re.match(r"^(?:gets?|receives?|is offered|are offered)\s+(.+)$", text, re.I)
    if offer and re.search(r"\boffer|\bdiscount", offer.group(1), re.I):
        return f"reply offering {offer.group(1)}"
    passive = re.match(r"^(?:is|are|gets?|will be)\s+(?:then\s+)?([a-z]+?)(led|ed|d)\b(.*)$", text, re.I)
    if passive:
        stem = passive.group(1).lower()
        for verb in (stem, stem + "l", stem + "e", stem[:-1] if stem.endswith(stem[-1] * 2) else stem):
            if verb in VERBS:
                return verb + passive.group(3)
    return text


_INLINE_CONDITION = re.compile(
    r"(?:^|,\s*|\s)(?:for [\w ,&-]+ only|only (?:if|when|for)\b|if\b|unless\b|except\b|when\b)", re.I
)
_DESCRIPTIVE_SUBJECT = re.compile(
    r"^(?:each|every|all|any|the|a|an|this|these|those|our|their|its|we|they|it|only the|only)\s+", re.I
)


_BY_HAND = re.compile(
    r"\bby hand\b|\bmanually\b|\(manual\)|\bmanual!|\bcan(?:not|'t| not) (?:reach|access)\b|\bis(?:n't| not) (?:hooked up|connected)\b"
    r"|\boutside (?:of )?sopdesk\b|\bsopdesk (?:cannot|can't|can not|does not|doesn't)\b",
    re.I,
)


# "change the status to on-hold" with no other system named: the status words are the ticket's (Zendesk's)
_TICKET_STATUS = re.compile(
    r"(?:set|change|switch|update|move|put|mark)\s+(?:the\s+|its\s+)?status\s+(?:to|as)\s+(?:pending|on-?hold|open|solved)\b"
    r"(?!.*\b(?:jira|salesforce|account|opportunit|order|invoice|issue|record)\b)"
)


def _recognise(text: str, known: Known, context: str) -> Spec | None:
    text = re.sub(r"^(?:also|then|finally|and|just|simply)\s+", "", text, flags=re.I)
    if _BY_HAND.search(text) or _BY_HAND.search(context):
        return None  # the text says a person does this by hand, outside the systems sopdesk reaches
    text = re.sub(
        r",?\s+(?:so that|so|in order to|because)\s+(?!(?:the|that)\s+(?:ticket|case)\b).*$", "", text, flags=re.I
    )
    text = synonyms.usual_wording(text)  # "drop a note on the ticket" → "add an internal note"
    if (means_said := means.means_of(text)) is not None:
        return _recognise(means_said, known, context)  # "loop in Legal by adding the tag legal-review"
    lowered = text.lower()
    whole = f"{lowered} {context.lower()}"
    for recogniser in (_end, waits.wait, _approve):
        spec = recogniser(text)
        if spec:
            return spec
    if _INLINE_CONDITION.search(text[1:]):
        return None  # an action with a condition inside it is never run unconditionally
    if _DESCRIPTIVE_SUBJECT.match(text):
        return None  # "Each notice opens a ticket …" describes, it does not ask
    for phrased in (
        ticket_states.status_said,
        ticket_states.group_named_first,
        ticket_states.tag_ensured,
        ticket_states.assigned_to_address,
    ):
        if said := phrased(text):
            return said
    for followup in (jira_followups.comment, jira_followups.transition):
        if said := followup(text, known):
            return said
    if re.match(r"jira\b", lowered) and operations.project(text):
        return operations.jira(text, known)  # rough notes: "-> jira, proj CSX, type Task, prio High"
    if on_declared := declared.recognise(text, known):
        return on_declared
    if declared.looks_up(text) and declared.unknown_system(text, known):
        return None  # a look-up in a system the team has not declared: a question, never a built-in look-alike
    if bumped := operations.bump(text):
        return bumped
    verb = (re.match(r"([a-z]+)", lowered) or re.match("", "")).group(0)
    if verb in ("record", "note", "log", "capture") and (recorded := operations.record(text, known)):
        return recorded
    if (
        re.search(  # a look-up verb outside quoted words ('internal note "check again next week"' writes a note)
            r"(?<![\w-])(?:look|lookup|find|read|get|check|verify|fetch|pull|grab)(?![\w-])",
            re.sub(r"[\"“][^\"”]*[\"”]", "", lowered),
        )
        and not re.match(
            r"(?:reply|email|e-mail|(?:add|put|leave|write)\s+(?:an?\s+)?(?:internal\s+)?note|(?:an?\s+)?internal note)\b",
            lowered,
        )
        and not re.search(
            r"\bget\b[\w' ]{0,40}?\b(?:moving|going|started|fixed|sorted|done|back|on the road)\b", lowered
        )
    ):  # "get the parcels moving" is a goal, not a look-up
        return operations.gather(text, whole, known)
    if re.match(
        r"(?:add|put|leave|write|post|log|record|note|paste|attach|include|document|make)\b|(?:an? )?internal note\s*[:\"“(]",
        lowered,
    ) and ("internal note" in lowered or (re.search(r"\bnote\b", lowered) and "zendesk" in lowered)):
        if re.search(r"summar(?:i[sz]|y|ies)|describ|explain|your own words|what happened", lowered):
            return None  # a summary is written by a person
        with_fact = re.search(r"\bwith (?:the |their |its )?([\w ]+?)$", lowered)
        fact = vocabulary.fact(with_fact.group(1), known) if with_fact else None
        body = (
            "{{ jira.key }}"
            if "jira key" in lowered and known.has("jira")
            else f"{with_fact.group(1).capitalize()}: {{{{ {fact} }}}}"
            if fact
            else operations.quoted_or_after(text, "saying|that") or text
        )
        if body == "{{ jira.key }}":
            body = "Jira issue {{ jira.key }}: {{ jira.url }}"
        return Act("zendesk.add_note", {"ticket_id": TICKET, "body": body}, "Add an internal note")
    if re.search(
        r"\b(?:add|leave|write|post|put|log|make)\b[^.]*\bnote\b|\bnote (?:on|to) the\b", lowered
    ) and re.search(r"\baccount|salesforce\b", lowered):
        what = operations.quoted_or_after(text, "saying|that|with|stating|recording|noting")
        body = (what + "\n\n" if what else "") + "Ticket: {{ case.subject }}\n{{ case.url }}"
        return Act(
            "salesforce.add_note",
            {"account_id": "{{ account.id }}", "subject": "{{ case.subject }}", "body": body},
            "Note on the Salesforce account",
        )
    if re.match(r"tag\b|add (?:the )?tags?\b", lowered):
        tags = operations.tags(text)
        if re.search(r"[\w`-]\s+or\s+`?[a-z][\w-]*`?(?:\s+(?:accordingly|as appropriate|as needed))?", lowered):
            return None  # "tag it collection-fee or collection-fee-waived accordingly": which one is a question
        if tags:
            return Act(
                "zendesk.add_tags",
                {"ticket_id": TICKET, "tags": cel_list([lit(t) for t in tags])},
                f"Tag the ticket {', '.join(tags)}",
            )
    escalation = re.match(
        r"(?:goes|go|is escalated|escalate|route|move|send|assign|transfer|reassign|hand|pass|give)\s+(?:it\s+|the\s+(?:ticket|case)\s+|\w+\s+)?(?:over\s+)?to\b\s*(?:the\s+)?(.+)$",
        lowered,
    )
    kept = re.match(
        r"(?:leave|keep|put|place)\s+(?:it|the ticket)\s+in\s+(?:the\s+)?(.+?)\s+(?:queue|group)$", text, re.I
    )
    if kept:
        return Act("zendesk.update_ticket", {"ticket_id": TICKET, "group": kept.group(1)}, f"Route to {kept.group(1)}")
    explicit = re.search(  # the run of capitalised words right before "group": "… to the Payments On-call group"
        r"(?<![\w&'-])((?:[A-Z0-9][\w&'-]*|&)(?:\s+(?:[A-Z0-9][\w&'-]*|&))*)\s+(?:zendesk\s+)?group\b", text
    )
    if escalation and explicit:
        params = {"ticket_id": TICKET, "group": explicit.group(1)}
        if priority := ticket_states.priority_too(text):
            params["priority"] = priority  # "… to the Safety group with urgent priority": one update
        return Act("zendesk.update_ticket", params, f"Route to {explicit.group(1)}")
    if escalation and re.match(r"tier\s*\d|level\s*\d|l\d\b", escalation.group(1)):
        group = operations.zendesk_group(escalation.group(1))
        if group is None:
            return None  # a group sopdesk does not know: a question, never a guessed group
        return Act("zendesk.update_ticket", {"ticket_id": TICKET, "group": group}, f"Escalate to {group}")
    if escalation and (group := operations.zendesk_group(escalation.group(1))):
        return Act("zendesk.update_ticket", {"ticket_id": TICKET, "group": group}, f"Route the ticket to {group}")
    if re.match(
        r"(?:goes|go|is escalated|escalate|route it|send it)\s+(?:\w+\s+)?to\b", lowered
    ) and vocabulary.role_for(lowered):
        to, roles = operations.recipients(lowered, known)
        if not to:
            return None  # "goes to the team lead of its queue": who that is, and their address, is a question
        body = "Escalated to you: {{ case.subject }} ({{ case.url }})"
        params = {"to": cel_list(to), "subject": "Escalated: {{ case.subject }}", "body": body}
        return Act("email.send", params, f"Escalate: {text[:100]}", notes=operations.role_notes(roles))
    if verb in ("go", "goes", "put", "log", "file") and re.search(
        r"\b(?:into|in)\s+(?:the\s+)?(?:jira\s+)?(?:project\s+)?[A-Z]{2,10}\b", text
    ):
        return operations.jira(text, known)
    if verb in ("open", "create", "raise", "file", "log", "put", "submit") and (
        re.search(r"\b(?:jira|bug)\b", lowered)
        or operations.issue_type(text)
        or re.search(r"\b(?:ticket|issue)\b.*\bproject\b|\bproject\s+[A-Z]{2,10}\b", text)
    ):
        return operations.jira(text, known)
    if re.search(r"\b(?:file|submit)\b.*\bclaim\b", lowered) and re.search(r"carrier|portal", whole):
        return operations.file_claim(text, known)
    if re.search(r"follow[- ]?up|chase", lowered) and (known.has("claim") or "carrier" in whole):
        return Act(
            "carrier.send_follow_up",
            {
                "carrier": operations.carrier(known),
                "claim_id": "{{ claim.claim_id }}" if known.has("claim") else "{{ case.fields.claim_id }}",
            },
            "Send the carrier a follow-up",
        )
    if re.match(r"(?:assign|forward|route|transfer|reassign|move)\b", lowered) and re.search(
        r"group|queue|team", lowered
    ):
        named = re.search(r"\bto\s+(?:the\s+)?([\w&' -]+?)(?:'s)?\s+group\b", text, re.I)
        group = named.group(1).strip() if named else operations.zendesk_group(lowered)
        if group is None:
            return None  # a queue or team sopdesk does not know: a question, never a guessed group
        return Act("zendesk.update_ticket", {"ticket_id": TICKET, "group": group}, "Reassign the ticket")
    if (
        verb in ("set", "mark", "change", "raise", "make", "lower", "bump", "put", "place", "switch", "update", "move")
        and (
            "ticket" in lowered
            or re.search(r"\bpriority\b.*\b(?:low|normal|high|urgent)\b", lowered)
            or len(lowered.split()) <= 4  # rough notes: "set pending", "put on hold"
            or _TICKET_STATUS.match(lowered)  # "set the status to pending": Zendesk's own status words
        )
        and (updated := operations.ticket_update(text))
    ):
        return updated
    salesforce_object = re.search(r"\b(?:salesforce|account|opportunit)", lowered) or (
        (known.has("account") or "salesforce" in whole)
        and re.search(rf"\b(?:{'|'.join(operations.SALESFORCE_OBJECTS)}|auto-renewal|renewal|discount)", lowered)
    )
    if salesforce_object and verb in ("mark", "flag", "set", "update", "apply", "suspend", "change"):
        return operations.salesforce_update(text, known)
    endpoint = vocabulary.endpoint_for(lowered)
    posted = re.search(r"\bPOST\b(?:\s+request)?\s+to\b", text)  # "release it (POST to the ledger endpoint at …)"
    if endpoint and (
        posted
        or verb
        in (
            "unlock",
            "lock",
            "reset",
            "disable",
            "enable",
            "deactivate",
            "delete",
            "erase",
            "grant",
            "revoke",
            "provision",
            "cancel",
            "charge",
            "suspend",
            "page",
            "post",
            "call",
            "submit",
            "send",
            "update",
            "issue",
            "file",
            "notify",
            "give",
            "apply",
            "credit",
            "refund",
            "quote",
            "create",
            "trigger",
        )
    ):
        params = {"endpoint": endpoint, "method": "POST"}
        path = re.search(r"(?<![\w/])(/[a-z0-9][\w/.-]*[\w/])", text)  # "… to the billing endpoint at /invoices"
        if path:
            params["path"] = path.group(1)
        said = re.search(r"[\"“]([^\"”]{3,200})[\"”](?!\s+endpoint)", text)
        if said and said.group(1).lower() != endpoint:  # 'Post "Checkout degraded - investigating" to the status page'
            params["body"] = "{{ {" + lit("message") + ": " + lit(said.group(1)) + "} }}"
        elif body := http_bodies.body_said(text, known):
            params["body"] = body  # "… with the amount 40", "… with the order number"
        elif any(fact is None for _, fact in http_bodies.parts_said(text, known)):
            return None  # "with the site and the ticket link": what the request carries is said, not read
        return Act("http.request", params, text[:120])
    if re.match(r"(?:acknowledge|confirm)\s+(?:the\s+|this\s+)?(?:ticket|case|alert|page|incident|request)\b", lowered):
        return None  # "Acknowledge the ticket.": taking it on (its sub-steps say how), not a reply to anyone
    if re.match(
        r"confirm\s+(?:that\s+)?(?:it|they|this|the\s+[\w-]+(?:\s+[\w-]+)?)\s+(?:was|were|is|are|has|have|had|did|matches"
        r"|match|exists?|arrived)\b",
        lowered,
    ) and not re.search(r"\b(?:to|with|for|tell)\s+(?:the\s+)?(?:customer|requester|them)\b", lowered):
        return None  # "confirm it was delivered damaged": a check a person makes, not a reply to anyone
    if re.match(
        r"(?:post|send)\s+(?:(?:the\s+)?(?:customer|requester|reporter|user|them)\s+)?(?:a\s+)?(?:public\s+|private\s+)?"
        r"(?:reply|response|answer)|reply|respond|answer|ask|tell the (?:customer|requester|claimant|reporter|end user|user|caller)|confirm|thank|acknowledge|let the (?:customer|requester|reporter|end user|user)",
        lowered,
    ):
        return operations.reply(text, known)
    if re.match(  # "email come through as the requester", "email address is …": the noun, not the verb
        r"(?:e-?mail|mail|message)s?\s+(?:comes?|came|is|are|was|were|address(?:es)?|fields?|goes|arrives?|gets?"
        r"|has|have|will|should|must|can|may|needs?)\b",
        lowered,
    ):
        return None
    if re.match(r"(?:e-?mail|mail|notify|remind|warn|tell|inform|alert|send|message|ping|cc)\b", lowered) or re.match(
        r"(?:let|loop in|keep|give)\b.*\b(?:know|in the loop|posted|informed|heads[- ]up)\b|loop in\b", lowered
    ):
        mail = operations.email(text, known)
        told = re.match(r"(?:tell|inform|let|keep)\b", lowered) and not re.search(r"\be-?mail|\bmail\b", lowered)
        if mail and mail.params["to"] == "{{ [case.requester_email] }}" and _someone_else_meant(text, context, known):
            return None  # "loop in the account owner: let them know by email": "them" is not the requester
        if mail and mail.params["to"] == "{{ [case.requester_email] }}" and told:
            return operations.reply(text, known)  # "tell them it takes 5 days": the requester hears on the ticket
        return mail
    return _by_keywords(lowered, known)


def _someone_else_meant(text: str, context: str, known: Known) -> bool:
    """Whether the requester was read from a bare "them"/"him"/"her" while the sentence names someone else, whom
    the pronoun may as well mean."""
    if re.search(r"\b(?:customer|requester|claimant|reporter|caller|applicant|user)\b", text, re.I):
        return False
    if not re.search(r"\b(?:them|him|her)\b", text, re.I):
        return False
    rest = context.replace(text, " ") if text in context else context
    others, roles = operations.recipients(rest, known)
    return bool(roles) or any(o != "case.requester_email" for o in others)


def _by_keywords(lowered: str, known: Known) -> Act | None:
    """Last resort, data-driven from the registry (team-declared operations included): a clause that names an
    operation's system and starts with one of its verbs (its keywords or the first word of its summary), whose
    every required parameter comes from a fact already known. Anything less is a question, not a guess."""
    verb = (re.match(r"[a-z]+", lowered) or re.match("", "")).group(0)
    best, best_hits = None, 0
    for op in registry.operations().values():
        if not re.search(rf"\b{re.escape(op.system)}\b", lowered):
            continue
        verbs = {k for k in op.keywords if k != op.system} | {op.summary.split()[0].lower()} if op.summary else set()
        if verb not in verbs:
            continue
        hits = sum(bool(re.search(rf"\b{re.escape(k)}\b", lowered)) for k in op.keywords)
        if hits > best_hits:
            best, best_hits = op, hits
    if best is None:
        return None
    params = {name: operations.default_param(name, known) for name, p in best.params.items() if p.required}
    if any("case.fields." in value for value in params.values()):
        return None
    return Act(best.name, params, best.summary[:120], save_as=vocabulary.SAVE_AS.get(best.name))
