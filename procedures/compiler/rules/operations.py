"""Builders of connector calls for the rules compiler: parameters for each registry operation.

Operation names and their parameters come from `connectors.registry`; these
functions fill the parameters from the clause's words and the facts gathered
so far (`Known`), always as `{{ CEL }}` templates over the documented facts.
"""

from __future__ import annotations

import re

from connectors import registry
from connectors.jira.sandbox import PRIORITIES as JIRA_PRIORITIES
from connectors.jira.sandbox import STANDARD_ISSUE_TYPES as JIRA_ISSUE_TYPES
from procedures.compiler.rules import http_bodies, replies, vocabulary
from procedures.compiler.rules.candidates import TICKET, Act, cel_list, lit
from procedures.compiler.rules.conditions import condition
from procedures.compiler.rules.vocabulary import Known

# A double quotation first ("We're sorry …" keeps its apostrophe); single quotes only when they are not apostrophes.
_QUOTED = re.compile(r"\"([^\"]{3,})\"|“([^”]{3,})”|(?<!\w)['‘]([^'’]{3,})['’](?!\w)")


_AFTER_COLON = re.compile(r"(?:reply|respond|write back)\b[^:]{0,40}:\s*([A-Z].{2,})$", re.I)


def quoted_or_after(text: str, words: str) -> str | None:
    quoted = _QUOTED.search(text)
    if quoted:
        return re.sub(r"\s+", " ", next(g for g in quoted.groups() if g))
    match = re.search(rf"\b(?:{words})\s+(.+)$", text, re.IGNORECASE)
    if match:
        body = match.group(1).strip(" .")
        return body[0].upper() + body[1:] + "."
    return None


# "tag the ticket with the tag in that row / for the band": the tag is named elsewhere (a table), not here
_TAG_ELSEWHERE = re.compile(
    r"\bthe\s+(?:right\s+|matching\s+|correct\s+)?tags?\s+(?:in|from|for|of|on|listed|shown|given|that)\b"
    r"|\b(?:that|its|the same|this|each|the matching|the right)\s+(?:row|band|line|column|rung|tier)\b",
    re.I,
)
_NOT_TAGS = frozenset(
    ("for", "from", "its", "that", "this", "row", "band", "line", "column", "same", "right", "matching", "their")
    + ("relevant", "appropriate", "accordingly", "correct", "below", "above", "each", "one", "all", "any")
)


def tags(text: str) -> list[str]:
    if _TAG_ELSEWHERE.search(text):
        return []
    match = re.search(
        r"\btag(?:s|ged)?\b(?:\s+(?:all\s+)?(?:the\s+)?(?:linked\s+)?tickets?)?\s+(?:with\s+)?(?:the\s+)?(?:tags?\s+)?(.+)",
        text,
        re.I,
    )
    words = match.group(1) if match else text
    words = re.split(
        r",?\s+\b(?:because|since|so|as|which|who|if|when|unless|until|for|to|from|so that|before|after|once|while)(?![\w-])|^(?:from|in|for|on)\s+(?:the|that|this|its|their|each)\b",
        words,
    )[0]
    words = re.split(r"\s+\+\s+|\.\s|,?\s+\b(?:priority|prio)\b", words)[0]  # "tag x + priority urgent"
    # "tag it customs-hold (reporting wants it) and work out what customs wants": an aside or a clause of its own
    # after the tag is no tag; "… x and y" (one word after "and") lists a second tag
    words = re.split(r"\s*\(|,?\s+and\s+(?=\S+\s+\S)", words)[0]
    # "port-8A": a hyphenated tag keeps its capitals' part (Zendesk stores tags in lower case), never cut short
    found = re.findall(r"`?([a-z][a-z0-9]*(?:[-_][A-Za-z0-9]+)+|[a-z][a-z0-9]{2,})`?(?![\w-])", words.split(" on ")[0])
    found = [t.lower() for t in found]
    skip = ("and", "the", "ticket", "tickets", "as", "with", "too", "also", "tag", "tags")  # "tag" alone names none
    return [t for t in found if t not in skip and t not in _NOT_TAGS][:4]


_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_REQUESTER = re.compile(
    r"(?<!of )(?<!their )(?<!his )(?<!her )\b(?:customer|requester|claimant|reporter|them|employee|user|him|her|caller"
    r"|patient|rider|guest|fan|player|traveller|traveler|cardholder|tenant|donor|passenger|subscriber|applicant)"
    r"\b(?!'s|’s)",
)


def recipients(text: str, known: Known) -> tuple[list[str], list[str]]:
    """(CEL items for `to`, names of roles that need an address configured). Nobody named → ([], [])."""
    lowered = text.lower()
    to = [lit(a) for a in _ADDRESS.findall(text)]
    roles: list[str] = []
    if re.search(r"account (?:manager|owner)", lowered):
        to.append("account.owner_email")
    if re.search(r"\bassignee\b", lowered):
        to.append("case.assignee_email")
    without_roles = re.sub(
        r"(?:the\s+)?(?:customer|requester|employee|user|caller|reporter)(?:'s|’s)\s+\w+", "", lowered
    )
    to += [
        f"case.fields.{f}"
        for f in re.findall(r"\b([a-z][a-z0-9]*(?:_[a-z0-9]+)*_email)\b", text)
        if f != "requester_email"
    ]
    if _REQUESTER.search(without_roles) and not to:
        to.append("case.requester_email")
    for pattern, role in vocabulary.ROLES:
        if re.search(pattern, lowered) and role != "Account managers" and not (to and role == "Managers"):
            roles.append(role)
    for role in re.findall(r"\b(?:the\s+)?(vp of [a-z]+(?: [a-z]+)?|it queue|legal|billing team|dpo)\b", lowered):
        roles.append(role.strip().title())
    if _ADDRESS.search(text):
        return to, []  # "let finance know at finance-ops@example.com": the address, not the role's name
    return to, roles  # a role is not an address: never a recipient, the caller asks for its address


def email_body(text: str, known: Known, *, to_requester: bool) -> str:
    """A mail composed from the case (what the SOP says to tell, subject, link, facts), not the SOP sentence."""
    cue = re.search(r"\b(?:asking|telling|saying|explaining|confirming|thanking)\b.*$", text, re.I)
    composed = replies.body_from("reply " + cue.group(0)) if cue and not re.search(r"[\"“]", text) else None
    what = composed[0] if composed else quoted_or_after(text, "saying|that|to say|about|asking") or ""
    lines = [what] if what else []
    if to_requester:
        lines.append("Regarding your request: {{ case.subject }}")
    else:
        lines += ["Ticket: {{ case.subject }}", "Link: {{ case.url }}", "Requester: {{ case.requester_email }}"]
        if known.has("account"):
            lines.append("Account: {{ account.name }}")
    if known.has("jira") and re.search(r"jira|issue|link", text, re.I):
        lines.append(
            "Jira issue: {{ jira.key }} ({{ jira.url }})"
            if re.search(r"\bkey\b", text, re.I)
            else "Jira issue: {{ jira.url }}"
        )
    return "\n".join(lines)


def project(text: str) -> str | None:
    match = (
        re.search(r"\bproject\s+([A-Z][A-Z0-9]{1,9})\b", text)
        or re.search(r"\b([A-Z][A-Z0-9]{1,9})\s+(?:Jira\s+)?project\b", text)
        or re.search(r"\b(?!ID\b|URL\b|API\b|SLA\b)([A-Z][A-Z0-9]{1,9})\s+Jira\s+(?:ticket|issue|task|bug)\b", text)
        or re.search(
            r"\b[Jj]ira\s+(?!ID\b|URL\b|API\b|SLA\b)([A-Z][A-Z0-9]{1,9})\b", text
        )  # rough notes: "open Jira FAC (type Task)"
    )
    if match:
        return match.group(1)
    match = re.search(r"\binto\s+([A-Z]{2,10})\b|\bin\s+([A-Z]{2,10})\b", text)
    return (match.group(1) or match.group(2)) if match else None


def issue_type(text: str) -> str | None:
    """The Jira issue type the text names (one the Jira project has), else None."""
    for name in sorted(JIRA_ISSUE_TYPES, key=len, reverse=True):
        pattern = rf"\b{re.escape(name)}s?\b" if name != "Change" else r"\bChange\b(?! the| to| it| its)"
        if re.search(pattern, text, 0 if name == "Change" else re.I):
            return name
    return None


# "issue type Broker Request," — a type the clause closes (a comma, "with", the end of the sentence); one at the
# end of a clause cut short ("issue type Service" before a line break) may be longer than what is left
_TYPE_SAID = re.compile(
    r"\b(?:issue\s+)?type\s*[:=]?\s*[\"“]?([A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,2})[\"”]?(?=\s*[,;.)]|\s+(?:with|and|in)\b)"
)
_TYPE_NAMED = re.compile(
    r"\b(?:an?|the)\s+(?:\w+-priority\s+)?([A-Z][a-z]+(?: [A-Z][a-z]+)?)\s+"
    r"(?:issue|ticket|in\s+(?:the\s+)?(?:[Jj]ira\s+)?project)\b"
)


def stated_issue_type(text: str) -> str | None:
    """The issue type the sentence writes, as written ("issue type Broker Request", "a Complaint issue"): a
    project's own types are as real as the standard ones; the last one said wins ("type Bug?? no -> type Task")."""
    said = [m.group(1) for m in _TYPE_SAID.finditer(text)]
    said = [t for t in said if t.split()[0] not in ("Jira", "Zendesk", "Priority")]
    if said:
        return re.sub(r"\s+(?:Priority|Summary|In|With|For)\b.*$", "", said[-1])
    named = _TYPE_NAMED.search(text)
    if named and named.group(1) not in ("Jira", "New", "Zendesk"):
        return named.group(1)
    return None


def jira(text: str, known: Known) -> Act | None:
    """ "open a Bug in the Jira project ENG, priority Highest", "raise an Incident in OPS": project, type, priority."""
    named_type = stated_issue_type(text) or issue_type(text)
    key = project(text)
    if key is None:
        return None  # the SOP names no project: a question, never a default project
    summary, notes = "{{ case.subject }}", []
    if re.search(r"named after the account|account name", text, re.I) and known.has("account"):
        summary = "{{ account.name }}"
    if said := _summary_said(text, known):
        summary, notes = said
    elif told := _SUMMARY_TOLD.search(text):
        part = _summary_part(told.group(1) or told.group(2), known)
        if part is None:
            return None  # "with the BOL in the summary", a part no fact holds: a person writes the issue
        summary = f"{{{{ case.subject }}}} {part}"
    params = {"project": key, "issue_type": named_type or "Task", "summary": summary}
    params["description"] = "{{ case.description }}\n\nTicket: {{ case.url }}"
    levels = "|".join(JIRA_PRIORITIES)
    per_case = re.findall(rf"\b({levels})\s+for\s+(\w+)", text, re.I)
    priority = re.search(rf"\bpriority\s+(?:of\s+|is\s+|=\s*)?({levels})\b", text, re.I) or re.search(
        rf"\b({levels})[- ]priority\b", text, re.I
    )
    if len(per_case) > 1 and (condition := priority_condition(per_case[0][1], known)):
        first, rest = per_case[0][0].capitalize(), per_case[-1][0].capitalize()
        params["priority"] = f'{{{{ {condition} ? "{first}" : "{rest}" }}}}'
    elif priority:
        params["priority"] = priority.group(1).capitalize()
    labels = re.search(r"\blabels?\s+[\"“`']?([\w-]+(?:[\"”`']?\s*(?:,|and)\s*[\"“`']?[\w-]+)*)", text)
    if labels:
        names = [n for n in re.findall(r"[\w-]+", labels.group(1)) if n != "and"]
        params["labels"] = cel_list([lit(n) for n in names])
    label = (named_type or "task").lower()
    return Act("jira.create_issue", params, f"Open a Jira {label} in {key}", save_as="jira", notes=notes)


_SUMMARY = re.compile(
    r"\b(?:summary|titled|title|called|named)\s*(?:[:=]\s*)?[\"“]([^\"”]{2,120})[\"”]"
    r"(?:\s+(?:plus|and|with|followed by|\+)\s+(?:the\s+|their\s+|its\s+)?([\w' ]{2,40}?))?(?=\s*(?:[,.;)]|$|\s+and\b))",
    re.I,
)


_SUMMARY_TOLD = re.compile(
    r"\bwith\s+(?:the\s+|its\s+|their\s+|our\s+)?([\w' -]{2,40}?)\s+in\s+(?:the|its)\s+(?:summary|title)\b"
    r"|\b(?:summary|title)\s+(?:w/|with|containing|including|giving|that (?:gives|has|includes))\s+(?:the\s+)?"
    r"([\w' -]{2,40}?)(?=\s*(?:[,.;)]|$|\s+and\b))",
    re.I,
)


def _summary_part(phrase: str, known: Known) -> str | None:
    """What the sentence asks the summary to give ("the ticket ID", "the refund amount") as a fact, or None."""
    if re.fullmatch(r"(?:zendesk\s+)?ticket(?:'s)?\s*(?:id|number|no\.?|#|ref(?:erence)?)?", phrase.strip(), re.I):
        return "{{ case.ticket_id }}"
    fact = vocabulary.fact(phrase, known)
    return f"{{{{ {fact} }}}}" if fact else None


def _summary_said(text: str, known: Known) -> tuple[str, list[str]] | None:
    """'summary "Lost parcel" and the tracking number' → "Lost parcel {{ case.fields.tracking_number }}"; a part
    no fact gives is left to a person (a note), never made up."""
    m = _SUMMARY.search(text)
    if not m:
        return None
    summary, more = m.group(1).strip(), m.group(2)
    if not more or re.match(r"(?:priority|prio|issue type|type|labels?|assignee|description)\b", more, re.I):
        return summary, []
    fact = vocabulary.fact(more, known)
    if fact:
        return f"{summary} {{{{ {fact} }}}}", []
    return summary, [f"The summary should also give {more.strip()}, which no known fact holds: add it by hand."]


def priority_condition(word: str, known: Known) -> str | None:
    found = condition(f"{word} severity" if word.lower() in ("critical", "high", "medium", "low") else word, known)
    return found.cel if found else None


SALESFORCE_OBJECTS = ("opportunity", "contact", "invoice", "contract", "subscription", "lead", "order", "account")


def salesforce_update(text: str, known: Known) -> Act | None:
    """ "mark the invoice as disputed-accepted", "flag the account for finance review", "suspend auto-renewal",
    "update the account record (KYB status = Verified)". None (a question) when the text names no field to set."""
    lowered = text.lower()
    objects = "|".join(SALESFORCE_OBJECTS)
    # "the Admin Contact field on the Salesforce account": the record is the one the field is on
    on = re.search(rf"\b(?:on|in|of)\s+(?:the\s+)?(?:[\w']+'s?\s+)?(?:salesforce\s+)?({objects})\b", lowered)
    obj = on.group(1) if on else next((o for o in SALESFORCE_OBJECTS if re.search(rf"\b{o}", lowered)), "account")
    record = {"opportunity": "{{ opportunity.id }}", "account": "{{ account.id }}"}.get(
        obj, f"{{{{ case.fields.{obj}_id }}}}"
    )
    stated = _STATED_FIELD.search(text)
    if stated:
        name, value = vocabulary.snake(stated.group(1))[:40], lit(stated.group(2).strip())
    else:
        name, value = _field_and_value(lowered, obj, known)
    if not name or name in SALESFORCE_OBJECTS or len(name.split("_")) > 3 or set(name.split("_")) & _NOT_A_FIELD:
        return None  # "update the Salesforce account record …" names the record, not a field: ask which field
    label = "_".join(w.capitalize() for w in name.split("_")) + "__c"
    return Act(
        "salesforce.update_record",
        {"object": obj.capitalize(), "record_id": record, "fields": "{{ {" + lit(label) + ": " + value + "} }}"},
        f"Update the {obj} in Salesforce",
    )


_STATED_FIELD = re.compile(r"\(\s*([A-Za-z][\w ]{0,30}?)\s*(?:=|:)\s*([\w-]+(?: [\w-]+)?)\s*\)")
_NOT_A_FIELD = {"salesforce", "record", "records"}


def _field_and_value(lowered: str, obj: str, known: Known) -> tuple[str, str]:
    where = r"(?:\s+(?:on|in|of|for)\s+(?:the\s+)?(?:customer'?s?\s+)?(?:salesforce\s+)?(?:account|opportunity|record|salesforce)\b.*)?"
    to = re.search(rf"\b(?:set|update|change)\s+(?:the\s+)?(.+?){where}\s+to\s+(?:the\s+)?(.+)$", lowered)
    if to:
        target = to.group(2).strip(" .")
        named = vocabulary.fact(target, known) if re.search(r"'s\b|\bof the\b", target) else None
        value = (
            f"case.fields.{vocabulary.snake(target)}"
            if re.match(r"(?:requested|new|chosen)\b", target)
            else named or lit(target)  # "to the requester's email": that fact, never the words as a value
        )
        return re.sub(r"_field$", "", vocabulary.snake(to.group(1)))[:40], value  # "the Admin Contact field"
    state = re.search(r"\bas\s+([\w-]+(?:\s+(?!in\b|on\b)[\w-]+)*)", lowered)
    if state:
        return "status", lit(state.group(1).strip())
    reason = re.search(r"\bflag\s+(?:the\s+)?\w+\s+for\s+(.+)$", lowered)
    if reason:
        return vocabulary.snake(reason.group(1).strip(" ."))[:40], "true"
    off = re.search(r"\b(?:suspend|disable|stop|turn off)\s+(?:the\s+)?(.+?)(?:\s+on\s+.*)?$", lowered)
    if off:
        return vocabulary.snake(off.group(1).strip(" ."))[:40], "false"
    named = re.search(rf"\b(?:set|mark|flag|apply|update)\s+(?:the\s+)?(.+?){where}$", lowered)
    field = vocabulary.snake(named.group(1)) if named else "status"
    field = re.sub(rf"^{obj}_", "", field) or "status"
    return field[:40], "true"


def bump(text: str) -> Act | None:
    match = re.search(
        r"\b(raise|increase|lower|decrease)\s+(?:the\s+)?(.+?)\s+of\s+(?:the\s+)?(.+?)\s+by\s+(\d+)(?:.*?\b(?:above|below|over|under)\s+(\d+))?",
        text,
        re.I,
    )
    if not match:
        return None
    verb, what, of, by, cap = match.groups()
    obj = "opportunity" if "opportunit" in of.lower() else "account"
    attr = vocabulary.snake(what)
    current = f"int({obj}.{attr})"
    up = verb.lower() in ("raise", "increase")
    value = f"{current} {'+' if up else '-'} {by}"
    if cap:
        value = f"{value} {'>' if up else '<'} {cap} ? {cap} : {value}"
    label = "_".join(w.capitalize() for w in attr.split("_")) + "__c"
    return Act(
        "salesforce.update_record",
        {
            "object": obj.capitalize(),
            "record_id": f"{{{{ {obj}.id }}}}",
            "fields": "{{ {" + lit(label) + ": " + value + "} }}",
        },
        f"{verb.capitalize()} the {what} by {by}" + (f" (at most {cap})" if cap else ""),
    )


def carrier(known: Known) -> str:
    return "{{ shipment.carrier }}" if known.has("shipment") else "{{ case.fields.carrier }}"


def file_claim(text: str, known: Known) -> Act:
    tracking = "{{ shipment.tracking_number }}" if known.has("shipment") else "{{ case.fields.tracking_number }}"
    params = {
        "carrier": carrier(known),
        "tracking_number": tracking,
        "amount": "{{ case.fields.declared_value }}" if re.search(r"\bdeclared\b", text, re.I) else "{{ case.amount }}",
        "description": "{{ case.description }}",
    }
    if "photo" in text.lower():
        params["photos"] = "{{ " + vocabulary.CASE_PHRASES["photos"] + " }}"
    return Act("carrier.file_claim", params, "File the claim with the carrier", save_as="claim")


def ticket_update(text: str) -> Act | None:
    """ "set the ticket priority to urgent", "mark the ticket as pending"."""
    lowered = text.lower()
    params = {"ticket_id": TICKET}
    priority = re.search(r"\bpriority\b.*?\b(low|normal|high|urgent)\b", lowered) or re.search(
        r"\b(?:on|to|at)\s+(low|normal|high|urgent)\s+priority\b",
        lowered,  # "put the ticket on high priority"
    )
    status = re.search(r"\b(?:status|as|to|on)\s+(?:the\s+)?(new|open|pending|on-?hold|hold|solved)\b", lowered)
    terse = re.fullmatch(
        r"(?:then\s+)?(?:set|mark|put)\s+(?:it\s+|(?:the\s+)?ticket\s+)?(?:to\s+|as\s+|on\s+)?(pending|on-?hold|hold|open)",
        lowered,
    )
    if priority:
        params["priority"] = priority.group(1)
    elif status and re.search(r"\bticket\b|\bstatus\b", lowered):
        params["status"] = "hold" if "hold" in status.group(1) else status.group(1)
    elif terse:  # rough notes: "set pending", "put on hold"
        params["status"] = "hold" if "hold" in terse.group(1) else terse.group(1)
    else:
        return None
    return Act("zendesk.update_ticket", params, text[:120])


def reply(text: str, known: Known | None = None) -> Act | None:
    offering = re.match(r"reply offering\s+(.+)$", text, re.I)
    if offering:
        return Act(
            "zendesk.reply",
            {"ticket_id": TICKET, "body": f"We would like to offer you {offering.group(1).strip(' .')}."},
            "Make the offer",
        )
    if re.match(
        r"ask\s+(?!(?:the\s+)?(?:customer|claimant|requester|reporter|them|him|her|user|patient|member|guardian|employee)\b|for\b)",
        text,
        re.I,
    ):
        return None  # "Ask IT to wipe the device": someone else, not a reply to the requester
    note = None
    ask = re.match(
        r"ask\s+(?:the\s+)?(?:customer|claimant|requester|reporter|them|user)\s+(?:to|for)\s+(.+)$", text, re.I
    )
    if ask:
        body = (
            "Please " + ask.group(1).strip(" .") + "."
            if " to " in text[: ask.start(1)]
            else f"Please send us {ask.group(1).strip(' .')}."
        )
    elif not _QUOTED.search(text) and (said := _AFTER_COLON.match(text)):
        body = said.group(1).strip()  # "reply to the customer: Thanks, we are on it."
    elif not _QUOTED.search(text) and (composed := replies.body_from(text)):
        body, note = composed  # what the SOP says to tell them, said to them
    else:
        body = quoted_or_after(text, "saying|that|asking|with") or text[0].upper() + text[1:] + "."
    with_fact = re.search(r"\bwith (?:the |their |its )?([\w ]+?)$", text.strip(" ."), re.I)
    if with_fact and re.search(
        r"\b(?:outcome|result|decision|answer|reason|explanation|details|update)\b", with_fact.group(1), re.I
    ):
        return None  # what the outcome is, only a person knows
    if with_fact and (fact := vocabulary.fact(with_fact.group(1), known or vocabulary.Known())):
        body, note = f"{with_fact.group(1).strip().capitalize()}: {{{{ {fact} }}}}", None
    params = {"ticket_id": TICKET, "body": body}
    if re.search(r"\b(?:private|internal)\b", text, re.I):
        params["public"] = "{{ false }}"
    return Act("zendesk.reply", params, "Reply to the requester", notes=[note] if note else [])


def email(text: str, known: Known) -> Act | None:
    """A mail to the addresses the text names; None (a question) when it names no address.

    A role ("the team lead", "the VP of Customer Success") has no address sopdesk knows: a mail only to
    roles is a question, and a mail to an address and a role goes to the address with a warning for the role.
    """
    to, roles = recipients(text, known)
    if not to:
        return None
    subject = re.search(r"\bsubject(?: line)?\s+[\"“']([^\"”']{2,120})[\"”']", text, re.I)
    if subject:
        text = text[: subject.start()] + text[subject.end() :]
    body = email_body(text, known, to_requester=to == ["case.requester_email"])
    said = http_bodies.parts_said(text, known)
    body += "".join(f"\n{name}: {{{{ {fact} }}}}" for name, fact in said if fact and fact not in body)
    unread = [
        f"The mail should also give the {name.lower()}, which no known fact holds: add it by hand."
        for name, fact in said
        if not fact
    ]
    params = {"to": cel_list(to), "subject": subject.group(1) if subject else "{{ case.subject }}", "body": body}
    return Act("email.send", params, text[:120], notes=role_notes(roles) + unread)


def role_notes(roles: list[str]) -> list[str]:
    return [
        f"{r.lower()!r} is a role, not an address: the mail does not go to them; add their address to the SOP "
        "(or a step of its own)"
        for r in roles
    ]


def zendesk_group(text: str) -> str | None:
    """The configured Zendesk group a text names ("Tier 2", "the Claims group"), else None."""
    from django.conf import settings

    for group in sorted(settings.ZENDESK_GROUPS, key=len, reverse=True):
        if re.search(rf"\b{re.escape(group)}\b", text, re.I):
            return group
    return None


def gather(text: str, whole: str, known: Known) -> Act | None:
    lowered = text.lower()
    if re.search(r"\bfrom the (?:ticket|case)(?:'s)?\b", lowered) and not re.search(
        r"shipment|parcel|package|salesforce|jira|account|opportunit|\bwith the\b|\bin the\b", lowered
    ):
        return None  # "read the reference from the ticket's `port_order` field": the ticket has it, no system is asked
    if re.search(r"opportunit", lowered):
        return Act(
            "salesforce.query_open_opportunity",
            {"account_id": "{{ account.id }}"},
            "Find the open opportunity",
            save_as="opportunity",
            gather=True,
        )
    if re.search(r"salesforce|account|organi[sz]ation|customer", whole) and not re.search(
        r"shipment|tracking|serial|registry", lowered
    ):
        op = registry.get("salesforce.query_account")
        required = [r for r in op.returns if re.search(rf"\b{r.replace('_', ' ')}\b", lowered)]
        return Act(
            op.name,
            {"email": "{{ case.requester_email }}", "organization": "{{ case.organization }}"},
            "Find the customer's Salesforce account",
            save_as="account",
            gather=True,
            required=required,
        )
    if re.search(r"shipment|tracking|parcel|package", whole) or re.search(r"\bcarrier\b", lowered):
        # a carrier named only around the clause ("you will need it for the carrier") may be a phone carrier
        return Act(
            "carrier.lookup_shipment",
            {"carrier": "{{ case.fields.carrier }}", "tracking_number": "{{ case.fields.tracking_number }}"},
            "Look the shipment up with the carrier",
            save_as="shipment",
            gather=True,
        )
    if re.search(r"jira|task|issue", lowered) and known.has("jira"):
        return Act(
            "jira.get_issue", {"issue_key": "{{ jira.key }}"}, "Read the Jira issue", save_as="issue", gather=True
        )
    endpoint = vocabulary.endpoint_for(whole)
    if endpoint:
        save = endpoint.replace("-", "_").split("_")[-1]
        return Act("http.request", {"endpoint": endpoint, "method": "GET"}, text[:120], save_as=save, gather=True)
    return None


def record(text: str, known: Known | None = None) -> Act | None:
    """ "record the settled amount" → read it from the operation that returns it (kept under its save_as)."""
    wanted = vocabulary.snake(re.sub(r"^(?:record|note|log|capture)\s+", "", text, flags=re.I))
    for op in registry.operations().values():
        if not op.writes and wanted in op.returns:
            params = {name: default_param(name, known) for name, p in op.params.items() if p.required}
            save_as = vocabulary.SAVE_AS.get(op.name, op.name.split(".")[1])
            return Act(
                op.name,
                params,
                f"Record the {wanted.replace('_', ' ')}",
                save_as=save_as,
                gather=True,
                required=[wanted],
            )
    return None


def default_param(name: str, known: Known | None = None) -> str:
    """The usual value of a parameter: from an earlier result when there is one, else from the case."""
    from_results = {
        "carrier": ("shipment", "carrier"),
        "claim_id": ("claim", "claim_id"),
        "issue_key": ("jira", "key"),
        "account_id": ("account", "id"),
        "tracking_number": ("shipment", "tracking_number"),
    }
    if name == "ticket_id":
        return TICKET
    if name in from_results:
        save_as, attr = from_results[name]
        if known is None or known.has(save_as) or save_as == "account":
            return f"{{{{ {save_as}.{attr} }}}}"
    return "{{ case.fields." + name + " }}"
