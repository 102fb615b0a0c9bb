"""Does an action's or approval's sentence say exactly what the step does? Each check returns why not, or None.

The action-side half of the precision checks (`certainty` holds the facts and conditions): parameters the
sentence writes or names, the approver it names, and words that leave the step to a person — a hedge
("if appropriate", "consider", "may"), a negation of the step's own verb ("never email the customer"),
or style guidance ("keep it short", "use a calm tone") that describes how to write, not what to do.
"""

from __future__ import annotations

import re

from procedures.compiler.rules.certainty import LITERAL, Sure, said, unknown_fact
from procedures.compiler.rules.exact_names import NAME_LIKE as _NAME_LIKE
from procedures.compiler.rules.exact_names import not_as_written

# Words that start another instruction: one read as a tag means the clause held more than the tag.
_INSTRUCTION_WORDS = frozenset(
    [
        "and",
        "then",
        "also",
        "reply",
        "respond",
        "email",
        "mail",
        "send",
        "close",
        "solve",
        "notify",
        "page",
        "assign",
        "escalate",
        "wait",
        "open",
        "create",
        "call",
        "forward",
        "ask",
    ]
)
# "tag the ticket with the device model": the tag is what a fact holds, not a word the SOP writes
_TAGGED_WITH_WHAT = re.compile(
    r"\b(?:tag|label)\w*\s+(?:the\s+ticket\s+|the\s+issue\s+|it\s+)?with\s+((?:the|its|their|his|her)\s+"
    r"(?!tags?\b|labels?\b)[a-z][\w-]*(?:\s+(?!tags?\b|labels?\b)[a-z][\w-]*)?)",
    re.I,
)
_LOOKED_UP_WORDS = frozenset(
    ["that", "this", "these", "those", "the", "a", "an", "for", "from", "its", "their", "in", "of", "row", "rows"]
    + ["column", "band", "table", "ladder", "tier", "level", "tag", "tags", "label", "labels", "matching", "same"]
    + ["right", "correct", "relevant", "appropriate", "above", "below", "listed", "each", "every", "it", "them"]
)
_TEMPLATE = re.compile(r"\{\{(.*?)\}\}", re.S)
_LISTED = ("tags", "labels")
_NAMED_PARAMS = {  # a parameter whose value must be written in the sentence when the sentence names the parameter
    "priority": r"\b(?:priority|prio|pri)\b|\bp[0-4]\b",
    "issue_type": r"\b(?:issue\s+)?type\b|\bas an?\s+\w+\b",
    "status": r"\bstatus\b",
}


def unsure_params(
    operation: str, params: dict[str, str], instruction: str, sure: Sure, taken: frozenset[str] = frozenset()
) -> str | None:
    """Why an action's parameters are not sure: a fact no system gives, a tag or label, project or group the
    sentence does not write (or writes longer), or a priority/type/status the sentence names but the step did
    not take (`taken`: the parameters set by steps of the same operation from the same sentence)."""
    text = sure.text(instruction)
    if missing := _named_not_taken(operation, params, instruction, taken):
        return missing
    for name, value in params.items():
        for expression in _TEMPLATE.findall(value) if not name.endswith("_id") else ():  # a missing id fails safe
            if fact := unknown_fact(expression, sure):
                words = fact.rsplit(".", 1)[-1].replace("_", " ")
                return f"its {name} reads `{fact}`, which no system gives: which system tells us the {words}?"
        if name in _LISTED:
            if described := _TAGGED_WITH_WHAT.search(instruction):
                return f"the sentence tags it with {described.group(1)!r}, a value to look up, not a tag it writes"
            for item in LITERAL.findall(value):
                if not said(item, text):
                    return f"the {name[:-1]} {item!r} is not written in the sentence"
                if why := not_as_written(name[:-1], item, instruction):
                    return why
                if item.lower() in _LOOKED_UP_WORDS:  # "tag it with the tag in that row": looked up in a table
                    return f"the {name[:-1]} is looked up ({item!r} is a word of the sentence, not a {name[:-1]})"
                if item.lower() in _INSTRUCTION_WORDS or HEDGES.fullmatch(item):
                    return f"the {name[:-1]} {item!r} is a word of another instruction, not a {name[:-1]}"
            continue
        if "{{" in value:
            quoted = re.search(rf"\b{name}\b\s*(?:line\s*)?[:=]?\s*[\"“']([^\"”']{{3,120}})[\"”']", instruction, re.I)
            if name in ("subject", "summary") and quoted and quoted.group(1) not in value:
                return f"the sentence gives the {name} {quoted.group(1)!r}, which the step does not use"
            continue
        if name in ("project", "group") and not said(value, text):
            return f"the {name} {value!r} is not written in the sentence"
        if name in _NAME_LIKE and (why := not_as_written(name, value, instruction)):
            return why
        if name == "group" and (cut := _cut_name(value, instruction)):
            return cut
        named = _NAMED_PARAMS.get(name)
        if named and re.search(named, text) and not said(value, text):
            return f"the sentence names a {name.replace('_', ' ')} but not {value!r}: which {name} did it mean?"
    return None


def _named_not_taken(operation: str, params: dict[str, str], instruction: str, taken: frozenset[str]) -> str | None:
    """The sentence sets a priority or names an issue type the step leaves out ("at normal priority")."""
    if operation in ("zendesk.update_ticket", "jira.create_issue") and "priority" not in set(params) | taken:
        found = re.search(r"\b(?:priority|prio)\b", instruction, re.I)
        if found and not re.search(
            r"\bpriority\s+(?:is|was|of the)\b|\b(?:current|existing|its) priority\b", instruction, re.I
        ):
            return "the sentence sets a priority the step does not take"
    if operation == "jira.create_issue":
        named = re.search(r"\b(?:an?|the)\s+([A-Z][a-z]+(?: [A-Z][a-z]+)?)\s+(?:issue|ticket)\b", instruction)
        if named and named.group(1) not in ("Jira", "New", "Zendesk", params.get("issue_type")):
            return f"the sentence asks for a {named.group(1)!r} issue, not a {params.get('issue_type')!r}"
    return None


def _cut_name(value: str, instruction: str) -> str | None:
    """A group read as part of its name ("Tier 2" of "EDU Tier 2") or as a whole clause."""
    if len(value.split()) > 4 or re.match(r"(?:assign|route|move|escalate|send|set|put)\b", value, re.I):
        return f"the group {value!r} is not a group name"
    where = re.search(rf"(\S+)\s+{re.escape(value)}(?:\s+(\S+))?", instruction)
    if where:
        before, after = where.group(1), where.group(2) or ""
        if re.fullmatch(r"[A-Z][A-Za-z0-9&]*", before) and before.lower() not in ("to", "the", "assign", "route"):
            return f"the sentence names the group “{before} {value}”, not {value!r}"
        if re.fullmatch(r"[A-Z][A-Za-z0-9&]*[,.;]?", after) and not after.rstrip(",.;").isupper():
            return f"the sentence names the group “{value} {after.rstrip(',.;')}”, not {value!r}"
    return None


_ROLE_NOUNS = r"director|officer|counsel|lead|head|manager|approver|supervisor|owner|partner|admin|administrator"


def unsure_role(role: str, instruction: str, sure: Sure) -> str | None:
    """Why an approver role is not sure: the sentence does not name it, or names a longer one ("finance
    director" for "Finance")."""
    text = sure.text(instruction)
    words = [w.rstrip("s") if len(w) > 3 else w for w in re.findall(r"[a-z0-9]+", role.lower()) if w != "and"]
    if not words or not all(re.search(rf"\b{re.escape(w)}", text) for w in words):
        return f"the sentence does not name {role!r} as the approver: who approves?"
    if set(words) & _NOT_ROLE_WORDS or words[0] in ("from", "by", "of", "with", "to"):  # "sign-off from Managers"
        return f"{role!r} is not a role: who approves?"
    denied = re.search(
        rf"\b{re.escape(words[-1])}\w*(?:'s)?(?:\s+\w+){{0,3}}\s+(?:is|are)\s+not\s+(?:enough|sufficient|needed|required)\b",
        text,
    )
    if denied:
        return f"the sentence says {denied.group(0)!r}: who approves?"
    for subject in _APPROVER.finditer(instruction):  # "Finance reviews the invoice and Billing approves the credit"
        said_by = sure.text(subject.group(1))
        if set(said_by.split()) & _NOT_SUBJECT or re.search(r"\b[A-Z]{2,5}\b", subject.group(1)):
            continue  # "do not approve"; "the IC signs off" (shorthand the SOP spells out elsewhere)
        if not any(re.search(rf"\b{re.escape(w)}", said_by) for w in words):
            return f"the sentence says {subject.group(0).strip()!r}, not {role!r}: who approves?"
    longer = re.search(rf"\b{re.escape(words[-1])}\w*\s+({_ROLE_NOUNS})s?\b", text)
    if longer and longer.group(1) not in words:
        return f"the sentence names a {words[-1]} {longer.group(1)}, not {role!r}: who approves?"
    return None


# "<subject> approves": the one word or two before the verb, after a clause boundary
_APPROVER = re.compile(
    r"(?:^|[,;:.(]\s*|\b(?:and|then|but|while)\s+)((?:the\s+|a\s+|an\s+|their\s+|our\s+)?[A-Za-z][\w&-]*(?:\s+[A-Za-z][\w&-]*){0,2})"
    r"\s+(?:must\s+|should\s+|will\s+|then\s+|also\s+)?(?:approves?|signs?\s+off|authori[sz]es?)\b",
)
_NOT_SUBJECT = {"do", "does", "not", "never", "cannot", "can", "may", "who", "which", "that", "to", "it", "they", "we"}
_NOT_ROLE_WORDS = {"may", "can", "must", "should", "will", "shall", "need", "needs", "to", "if", "not", "same", "this"}
_NOT_ROLE_WORDS |= {"that", "any", "their", "its", "it", "which", "who"}


HEDGES = re.compile(
    r"\b(?:if appropriate|as appropriate|where appropriate|if needed|as needed|if necessary|where necessary|if possible"
    r"|where possible|if relevant|if applicable|consider(?:ing)?|may|might|maybe|perhaps|possibly|optionally|at (?:your|their) discretion"
    r"|if you (?:think|feel|judge|decide))\b",
    re.I,
)


def hedged(instruction: str) -> str | None:
    """A qualifier that leaves the action to someone's judgement ("if appropriate", "consider", "may")."""
    found = HEDGES.search(instruction)
    return f"the sentence says {found.group(0)!r}: a person decides whether" if found else None


# The verbs that ask for each operation (a negated one means the sentence says not to do it).
_VERBS = {
    "zendesk.reply": r"reply|respond|answer|tell|write (?:back )?to|message|contact|promise",
    "email.send": r"e-?mail|mail|send",
    "zendesk.add_tags": r"tag",
    "zendesk.add_note": r"note|comment",
    "zendesk.update_ticket": r"close|solve|assign|escalate|set|change|reopen|route|move",
    "jira.create_issue": r"open|create|raise|file|log|escalate",
    "http.request": r"page|post|call|notify|update",
    "salesforce.update_record": r"update|set|mark|flag|change",
}
_NEGATION = r"\b(?:never|do not|don't|dont|must not|mustn't|should not|shouldn't|no need to|not necessary to|without)\b"


# What a sentence must name for each operation (after its shorthand is spelled out): an email without
# "mail", a Jira issue without Jira or an issue word, a carrier call without a shipment word is a guess.
SYSTEM_WORDS = {
    "email.send": r"e-?mail|mail",
    "jira.create_issue": r"jira|issue|bug|task|incident|story|epic|problem|project|ticket|change|request",
    "carrier.": r"carrier|courier|shipment|parcel|package|tracking|claim|freight|delivery|shipping",
    "salesforce.": r"salesforce|sf\b|crm|account|opportunit|record|contact|invoice|subscription",
}


def system_unnamed(operation: str, params: dict[str, str], instruction: str, sure: Sure) -> str | None:
    """The sentence does not name what the operation acts on (an email with no mail in it); a Jira project
    the sentence writes names Jira ("goes into SEC")."""
    text = sure.text(instruction)
    if params.get("project") and said(params["project"], text):
        return None
    for prefix, words in SYSTEM_WORDS.items():
        if operation.startswith(prefix) and not re.search(rf"\b(?:{words})", text):
            return f"the sentence does not say to use {operation.split('.')[0]} ({operation})"
    return None


_EXCEPTION = re.compile(
    r"\b(?:but not|except(?: for| when| if)?|unless|other than|excluding|apart from|not for|not if|not when)\b", re.I
)


_WHENEVER = re.compile(
    r"\b(?:for|on|in case of|in the event of|upon)\s+(?:any|every|each)\s+(?!(?:other|remaining|such|one)\b)(?!(?:of\s+)?(?:them|these|those|ticket|case|"
    r"request|customer|claim|order)s?\b)[a-z][\w-]*(?:\s+[a-z][\w-]*)?",
    re.I,
)


def whenever(instruction: str, checked: str) -> str | None:
    """ "Raise a Jira issue in LOY for any platform error": the clause runs only when something happens, which
    no condition before the step checks."""
    found = _WHENEVER.search(instruction)
    if not found or found.group(0).split()[-1].lower() in checked.lower():
        return None
    return f"the clause says {found.group(0)!r}, which no condition before this step checks"


def excepted(title: str) -> str | None:
    """The action's own clause carries an exception the step does not apply ("email finance, but not for
    Enterprise accounts")."""
    found = _EXCEPTION.search(title)
    return f"the clause says {found.group(0)!r}, which the step does not check" if found else None


_NUM = r"[$€£]?\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\s*([kK]\b)?"
_THRESHOLD = re.compile(  # "over $500", "between 1,000 and 5,000 points", "5,000 points or more"
    rf"\b(?:over|above|more than|greater than|exceeding|at least|under|below|less than|fewer than)\s+{_NUM}"
    rf"|\b(?:between|from)\s+{_NUM}(?=\s*(?:[a-z]+\s+)?(?:and|to|–|-)\s*[$€£]?\d)"
    rf"|{_NUM}\s*(?:[a-z]+\s+)?or (?:more|above|over|less|fewer|under)\b",
    re.I,
)
_ANY_NUMBER = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\s*([kK]\b)?")


def _values(text: str) -> set[float]:
    return {float(m.group(1).replace(",", "")) * (1000 if m.group(2) else 1) for m in _ANY_NUMBER.finditer(text)}


def unchecked_threshold(instruction: str, checked: str) -> str | None:
    """The sentence puts a threshold on the step ("must approve any pause over 1 month") that no condition
    leading to it checks (`checked`: the labels and conditions of the branches before it in this sentence)."""
    known = _values(checked)
    for found in _THRESHOLD.finditer(instruction):
        number, thousands = next((found.group(n), found.group(n + 1)) for n in (1, 3, 5) if found.group(n))
        if float(number.replace(",", "")) * (1000 if thousands else 1) not in known:
            return f"the sentence says {found.group(0).strip()!r}, which no condition before this step checks"
    return None


_OTHER_CHANNEL = re.compile(
    r"\b(?:let|tell|notify|inform|contact|reach|update)\b[^.;:]{0,60}?\bby (?:e-?mail|phone|sms|text(?: message)?|letter)\b"
    r"|\b(?:phone|ring|call) (?:them|the customer|the requester|the member)\b",
    re.I,
)
_BARE_VERB = re.compile(r"(?:confirm|tell|notify|inform|let|reply|respond|say|explain|update)\b", re.I)
_EMERGENCY = re.compile(
    r"\b(?:911|999|112|emergency (?:services|line|number)|in (?:immediate )?danger|life[- ]threatening"
    r"|leave the (?:house|building|property|premises|area))\b",
    re.I,
)


def unsure_reply(operation: str, params: dict[str, str], instruction: str) -> str | None:
    """A ticket reply the sentence does not ask for as one: another channel ("let them know by email at the
    address on file"), or a body that is no message ("Confirm.")."""
    if operation != "zendesk.reply":
        return None
    if found := _OTHER_CHANNEL.search(instruction):
        return f"the sentence asks to reach them {found.group(0)!r}, not by a reply on the ticket"
    # "tell them to leave the house and call …": said to them now, by a person; "reply … telling them" is a reply
    if (found := _EMERGENCY.search(instruction)) and (
        re.search(r"\b(?:if|when|where)\b[^,;]{0,60}\b(?:says?|tells?|writes?|reports?|mentions?)\b", instruction, re.I)
        or not re.search(r"\b(?:repl|respond|macro|message)", instruction, re.I)
    ):  # "if the reporter says they are in danger, tell them in your reply …": what they said is read by a person
        return f"it is safety advice in an emergency ({found.group(0)!r}): a person gives it, in person"
    body = _TEMPLATE.sub("", params.get("body", "")).strip(" .")
    if body and len(body.split()) <= 2 and _BARE_VERB.match(body):
        return f"the reply would say only {params['body']!r}: what should it tell them?"
    return None


_LEFT_IN_PLACE = re.compile(
    r"\b(?:leave|keep)\s+(?:the\s+ticket|the\s+case|it|them)\s+(?:in|with|at|on)\b|\b(?:stays?|remains?)\s+(?:in|with)\b",
    re.I,
)


def left_in_place(operation: str, params: dict[str, str], instruction: str) -> str | None:
    """ "leave the ticket in the general queue" changes nothing: a group or status set from it is a guess."""
    if operation != "zendesk.update_ticket" or not {"group", "status"} & set(params):
        return None
    found = _LEFT_IN_PLACE.search(instruction)
    if found and not re.search(r"\b(?:assign|route|move|escalate|transfer|set)\w*\b", instruction, re.I):
        return f"the sentence says {found.group(0)!r}: nothing changes, or does a person move it?"
    return None


_GIVEN_VALUE = re.compile(
    r"\bwith\s+(?:the\s+|a\s+|an\s+)?(amount|value|total|fee|price|credit|quantity|count|number|sum)\s+"
    r"(?:of\s+)?[$€£]?\s?(\d[\d,]*(?:\.\d+)?)",
    re.I,
)


def value_not_sent(operation: str, params: dict[str, str], instruction: str, title: str = "") -> str | None:
    """ "POST to /fees with the amount 40", "add 500 bonus points by sending a POST to /bonus": the sentence
    gives a value the step does not send (for a request, any number of its own clause)."""
    if operation not in ("http.request", "salesforce.update_record", "carrier.file_claim"):
        return None
    sent = " ".join(str(v) for v in params.values()).replace(",", "")
    given = [(m.group(0), m.group(2)) for m in _GIVEN_VALUE.finditer(instruction)]
    if operation == "http.request":
        given += [(m.group(0), m.group(1)) for m in _CLAUSE_NUMBER.finditer(title)]
    for said_as, number in given:
        if not re.search(rf"(?<![\d.]){re.escape(number.replace(',', ''))}(?![\d])", sent):
            return f"the sentence gives {said_as.strip()!r}, which the step does not send"
    return None


_CLAUSE_NUMBER = re.compile(
    r"(?<![\w/.$€£-])(\d[\d,]*(?:\.\d+)?)\s+(?!(?:business\s+|working\s+)?(?:days?|hours?|minutes?|weeks?|months?)\b)[a-z]+",
    re.I,
)


def negated(operation: str, instruction: str) -> str | None:
    """The sentence tells us not to do what the step does ("never email the customer directly")."""
    verbs = _VERBS.get(operation)
    if not verbs:
        return None
    found = re.search(rf"{_NEGATION}(?:\s+\w+){{0,3}}?\s+(?:{verbs})\w*", instruction, re.I)
    return f"the sentence says {found.group(0)!r}" if found else None


_STYLE = re.compile(
    r"\b(?:keep (?:it|them|replies|the reply|messages?) (?:short|brief|simple|friendly)|(?:calm|friendly|warm|neutral|"
    r"professional|empathetic) tone|tone of voice|in a \w+ tone|speak (?:slowly|clearly)|use (?:the|their) \w+'s name"
    r"|plain language|avoid jargon|be (?:polite|kind|friendly|brief|concise|clear)|acknowledge (?:it|their|the) \w*)",
    re.I,
)


def style_guidance(operation: str, instruction: str) -> str | None:
    """A sentence about how to write to people, not a message to send."""
    if operation not in ("zendesk.reply", "email.send", "zendesk.add_note"):
        return None
    found = _STYLE.search(instruction)
    return f"the sentence is guidance on how to write ({found.group(0)!r}), not a message to send" if found else None
