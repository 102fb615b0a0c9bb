"""The words SOPs use for facts, events, people and systems, mapped to sopdesk names.

Everything here is a flat table or a small lookup function, so a new synonym
is one line. `Known` is what the compiler has gathered so far (save_as name →
operation), which decides whether "the plan" means `account.plan`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from connectors import registry

PLANS = (
    "Free",
    "Pro",
    "Enterprise",
    "Business",
    "Basic",
    "Premium",
    "Starter",
    "Team",
    "Standard",
    "Gold",
    "Silver",
    "Platinum",
    "Bronze",
)

# save_as names for the results of read operations (and writes whose result is used later).
SAVE_AS = {
    "salesforce.query_account": "account",
    "salesforce.query_open_opportunity": "opportunity",
    "carrier.lookup_shipment": "shipment",
    "carrier.claim_status": "settlement",
    "carrier.file_claim": "claim",
    "jira.create_issue": "jira",
    "jira.get_issue": "issue",
    "zendesk.get_ticket": "ticket",
}

# Events most systems never send, and the read that tells whether they happened anyway:
# event → (the write that created the thing waited on, the read, its params taken from that write's
# params or result, the CEL that means "it happened"). A timed wait for such an event re-checks
# the source of truth when its timer fires (issue: "if the carrier has not settled after 7 days").
RECHECKS = {
    "claim.settled": (
        "carrier.file_claim",
        "carrier.claim_status",
        {"carrier": "param:carrier", "claim_id": "result:claim_id"},
        "settled",
    ),
}

# The status values a read operation can return (a condition on any other value could never be true).
STATUS_VALUES = {
    "carrier.lookup_shipment": ("delivered", "in_transit", "picked_up", "pending", "exception", "lost", "returned"),
    "carrier.claim_status": ("filed", "open", "settled", "denied", "pending"),
    "jira.get_issue": ("to_do", "in_progress", "done"),
    "zendesk.get_ticket": ("new", "open", "pending", "hold", "solved", "closed"),
}

# Phrases naming a fact of the case itself (longest first wins).
CASE_PHRASES = {
    "ticket subject": "case.subject",
    "subject": "case.subject",
    "ticket description": "case.description",
    "description": "case.description",
    "link back to the zendesk ticket": "case.url",
    "link to the ticket": "case.url",
    "ticket url": "case.url",
    "ticket link": "case.url",
    "requester email": "case.requester_email",
    "requester": "case.requester_name",
    "claimant": "case.requester_name",
    "organization": "case.organization",
    "amount": "case.amount",
    "claim amount": "case.amount",
    "order value": "case.amount",
    "tracking number": "case.fields.tracking_number",
    "ship date": "case.fields.ship_date",
    "declared value": "case.fields.declared_value",
    "serial": "case.fields.serial_number",
    "serial number": "case.fields.serial_number",
    "reason": "case.fields.reason",
    "system": "case.fields.system",
    "severity": "case.fields.severity",
    "photos": 'case.attachments.filter(a, a.kind == "photo").map(a, a.url)',
    "priority": "case.priority",
    "tags": "case.tags",
    "group": "case.group",
}

# Phrases naming a result of an earlier step: (save_as, attribute).
RESULT_PHRASES = {
    "account name": ("account", "name"),
    "account manager": ("account", "owner_email"),
    "account owner": ("account", "owner_email"),
    "plan": ("account", "plan"),
    "jira key": ("jira", "key"),
    "issue key": ("jira", "key"),
    "jira link": ("jira", "url"),
    "jira url": ("jira", "url"),
    "issue link": ("jira", "url"),
    "shipment details": ("shipment", "tracking_number"),
    "settled amount": ("settlement", "settled_amount"),
    "claim id": ("claim", "claim_id"),
    "risk score": ("opportunity", "risk_score"),
}

# Verbs/nouns → the event that a wait listens for.
EVENTS = (
    (r"before (?:it is|it's|the response is|they are) due|due (?:soon|in \d+)", "sla.first_response_due"),
    (r"not resolved (?:inside|within) its sla|sla window|\bbreach", "sla.breached"),
    (r"\bsettle", "claim.settled"),
    (r"\b(?:repl(?:y|ies|ied)\b|answer|respond|accept|decline|confirm|yes/no|hear back)", "customer.replied"),
    (r"\bapprov", "approval.decided"),
    (r"\bscan(?:s|ned)?\b|\barrives? at the warehouse|\breturned\b", "warehouse.scanned"),
    (
        r"\b(?:kickoff|meeting|call)\b.*\bbook|\bbook.*\b(?:kickoff|meeting|call)|\bto book\b|\bbooks? (?:a|the|their) (?:visit|appointment|slot)",
        "meeting.booked",
    ),
    (r"\b(?:task|issue|ticket)\b.*\b(?:done|complete|closed|resolved)", "issue.done"),
    (r"\bresolved\b|\ball-clear\b", "incident.resolved"),
    (r"\bpaid\b|\bpayment\b", "payment.received"),
)

EVENTS_DOC = {
    "customer.replied": "the requester answered on the ticket",
    "claim.settled": "the carrier settled a filed claim",
    "approval.decided": "an approver decided an approval step",
    "warehouse.scanned": "a returned item was scanned at the warehouse",
    "meeting.booked": "a kickoff or call was booked",
    "issue.done": "a linked Jira issue was done",
    "incident.resolved": "the incident was resolved",
    "payment.received": "a payment arrived",
    "sla.first_response_due": "the SLA clock's first-response warning time was reached",
    "sla.breached": "the SLA clock's resolution window passed",
}

ROLES = (
    (r"claims? manager", "Claims managers"),
    (r"support lead", "Support leads"),
    (r"team lead", "Team leads"),
    (r"security team", "Security team"),
    (r"(?:requester's |their )?manager", "Managers"),
    (r"finance", "Finance"),
    (r"account manager", "Account managers"),
    (r"solutions engineer", "Solutions engineers"),
    (r"on-?call", "On-call"),
)

# Systems reached through http.request: phrase → endpoint name. Only the usual ones (USUAL_ENDPOINTS, the
# documented vocabulary) are taken without configuration; the others must be configured endpoints.
USUAL_ENDPOINTS = ("status-page", "paging-webhook", "billing")
ENDPOINTS = (
    (r"status page", "status-page"),
    (r"paging webhook|^page\b|\bpage (?:the |an? )?(?:on-?call|engineer|responder|team)", "paging-webhook"),
    (r"order system", "order-system"),
    (r"device registry|\bregistry\b", "device-registry"),
    (r"\bprocessor\b", "payment-processor"),
    (r"price list", "price-list"),
    (r"\bbilling (?:system|platform|tool)\b|\bthrough (?:the )?billing\b", "billing"),
)


# Shorthand common in rough notes (case-sensitive when written in capitals).
ABBREVIATIONS = {
    "SF": "Salesforce",
    "ZD": "Zendesk",
    "acct": "account",
    "accts": "accounts",
    "amt": "amount",
    "mgr": "manager",
    "cx": "customer",
    "pri": "priority",
    "proj": "Jira project",
    "int. note": "internal note",
    "w/in": "within",
    "w/": "with",
    "bd": "business days",
    "TL": "team lead",
    "AM": "account manager",
    "grp": "group",
    "tkt": "ticket",
    "tkts": "tickets",
    "subj": "subject",
    "oppty": "opportunity",
    "prio": "priority",
    "cust": "customer",
    "biz days": "business days",
}


def abbreviations(source: str) -> dict[str, str]:
    """The SOP's own abbreviations: lines such as "abbrevs: CB = chargeback, TL = team lead (the lead)"."""
    found: dict[str, str] = {}
    for long, short in re.findall(r"\b([A-Z][\w&]*(?:\s+[A-Z][\w&]*){1,4})\s+\(([A-Z]{2,6})\)", source):
        found[short] = long  # "Incident Commander (IC)": the IC later is the Incident Commander
    for line in re.findall(
        r"(?im)^\s*(?:abbrevs?|abbreviations|acronyms|key|legend)\s*[:\-–](.+(?:\n(?!\s*\n).+)*)", source
    ):
        for short, long in re.findall(
            r"([\w./]+(?: [\w.]+)?)\s*=\s*([^,;=()]+?)\s*(?:\([^)]*\))?\s*(?=,|;|$)", line, re.M
        ):
            if len(short) <= 12 and long.strip():
                found[short.strip()] = long.strip()
    return found


def identifiers(source: str) -> frozenset[str]:
    """Field names the SOP itself writes as field names: snake_case or `backticked` words, and the first cell of
    table rows that read like a field list ("| species | choice | dog, cat, … |")."""
    found = set(re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", source))
    found |= {w.lower() for w in re.findall(r"`([A-Za-z][\w]*)`", source)}
    found |= {w.lower() for w in re.findall(r"(?m)^\s*\|\s*([a-z][a-z0-9_]*)\s*\|", source)}
    found |= {
        w.lower() for w in re.findall(r"\b(?:ticket|custom|form|case)\s+field\s+[`\"']?([a-z][a-z0-9_]*)", source, re.I)
    }
    return frozenset(found)


_LISTED_FIELD = re.compile(r"`?\b([a-z][a-z0-9]*(?:_[a-z0-9]+)*)`?\s*\(([^()]{3,200})\)")


def field_values(source: str) -> dict[str, tuple[str, ...]]:
    """Values the SOP lists for its fields: "event_status (cancelled, postponed or on_sale)",
    "fault_type (tyre / battery / engine)" → {"event_status": ("cancelled", "postponed", "on_sale"), …}."""
    names = identifiers(source)
    found: dict[str, tuple[str, ...]] = {}
    for m in _LISTED_FIELD.finditer(source):
        values = [v.strip(" .'\"`") for v in re.split(r"\s*(?:,|/|\bor\b|\band\b)\s*", m.group(2))]
        values = [v for v in values if v]
        if m.group(1) not in names and not any("_" in v for v in values):
            continue  # a plain word is a field only when its values are written as values ("issue (no_heat, …)")
        if len(values) >= 2 and all(re.fullmatch(r"[A-Za-z][\w-]*", v) for v in values):
            found[m.group(1)] = tuple(values)
    return found


@dataclass
class Known:
    """Results saved so far on the main path: save_as → operation name."""

    results: dict[str, str] = field(default_factory=dict)
    abbreviations: dict[str, str] = field(default_factory=dict)  # the SOP's own "abbrevs: TL = team lead, …"
    identifiers: frozenset[str] = frozenset()  # field names the SOP writes as such (`prior_strikes`, "| species |")
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the values the SOP lists for a field
    judged: bool = False  # inside a step the text leaves to a person ("This is your call"): no automated condition
    subject: str = ""  # the field a ladder's heading names ("THE LADDER (repair_estimate)"): what bare rungs compare
    derived: tuple = ()  # labels the SOP assigns itself (derived_labels.Derived): never read as stored fields

    _shorthand: tuple | None = field(default=None, repr=False, compare=False)
    _operations: dict | None = field(default=None, repr=False, compare=False)

    def operations(self) -> dict[str, registry.Operation]:
        """The registry, read once per compile (each read of it costs a query for the declared operations)."""
        if self._operations is None:
            self._operations = registry.operations()
        return self._operations

    def expand(self, text: str) -> str:
        """Shorthand spelled out for recognition (spans are untouched): "pull acct in SF" → "pull account in Salesforce"."""
        if self._shorthand is None or self._shorthand[0] is not self.abbreviations:
            table = {**ABBREVIATIONS, **self.abbreviations}
            keys = sorted(table, key=len, reverse=True)
            pattern = re.compile(  # never inside an address or a link ("cx-orders@…" stays as written)
                r"(?<![\w.@/-])(" + "|".join(re.escape(k) for k in keys) + r")(?![\w@]|-[\w.-]*@)", re.I
            )
            self._shorthand = (self.abbreviations, pattern, table, {k.lower(): k for k in keys})
        _, pattern, table, lowered = self._shorthand

        def replace(m: re.Match) -> str:
            key = m.group(0) if m.group(0) in table else lowered.get(m.group(0).lower(), "")
            exact = key.isupper() or len(key) <= 2
            if key.islower() and m.group(0).isupper() and len(m.group(0)) > 2:
                return m.group(0)  # "project CUST" is a name, not the shorthand "cust"
            return table[key] if key and (m.group(0) == key or not exact) else m.group(0)

        return pattern.sub(replace, text)

    def has(self, save_as: str) -> bool:
        return save_as in self.results

    def returns(self, save_as: str) -> tuple[str, ...]:
        op = self.operations().get(self.results.get(save_as, ""))
        return op.returns if op else ()


def normalise(phrase: str) -> str:
    phrase = phrase.lower().replace("’", "'")
    phrase = re.sub(r"'s\b", "", phrase)
    phrase = re.sub(r"\b(?:the|a|an|its|their|his|her|our|this|that|on the claim|from the request)\b", " ", phrase)
    return re.sub(r"[^a-z0-9_/ -]+", " ", re.sub(r"\s+", " ", phrase)).strip()


def snake(phrase: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", normalise(phrase)).strip("_") or "value"


def result_fact(phrase: str, known: Known) -> tuple[str, str] | None:
    """(save_as, attribute) for a phrase naming an earlier result, e.g. "the Jira key" → (jira, key)."""
    text = normalise(phrase)
    for words, (save_as, attr) in sorted(RESULT_PHRASES.items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"\b{re.escape(normalise(words))}\b", text) and known.has(save_as):
            return save_as, attr
    for save_as in reversed(list(known.results)):
        for attr in known.returns(save_as):
            if re.search(rf"\b{re.escape(attr.replace('_', ' '))}\b", text) and attr not in ("id", "name", "status"):
                return save_as, attr
    return None


def fact(phrase: str, known: Known) -> str | None:
    """A CEL expression for the fact a noun phrase names, or None when it names none we know."""
    found = result_fact(phrase, known)
    if found:
        return f"{found[0]}.{found[1]}"
    text = normalise(phrase)
    for name in sorted(known.identifiers, key=lambda n: -len(n)):
        # a field the SOP names (`change_reason`) read in words ("the change reason"): that field, not a
        # usual phrase inside it ("reason")
        if "_" in name and re.search(rf"\b{re.escape(name.replace('_', ' '))}\b", text.replace("_", " ")):
            return f"case.fields.{name}"
    for words, expr in sorted(CASE_PHRASES.items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"\b{re.escape(normalise(words))}\b", text):
            return _own_field(expr, known)
    return None


def _own_field(expr: str, known: Known) -> str:
    """A documented field (`case.fields.reason`) where the SOP names one field of its own ending in that word
    (`dispute_reason`): the SOP's field."""
    if not expr.startswith("case.fields."):
        return expr
    word = expr.removeprefix("case.fields.")
    own = [name for name in known.identifiers if name.endswith("_" + word)]
    return f"case.fields.{own[0]}" if len(own) == 1 else expr


def event_for(text: str) -> str | None:
    for pattern, event in EVENTS:
        if re.search(pattern, text, re.IGNORECASE):
            return event
    return None


def role_for(text: str) -> str | None:
    for pattern, role in ROLES:
        if re.search(pattern, text, re.IGNORECASE):
            return role
    return None


def endpoint_for(text: str) -> str | None:
    """The HTTP endpoint a phrase names: one named as such ("the "pagerduty" endpoint", "the deletion
    webhook"), a configured one (`SOPDESK_HTTP_ENDPOINTS`, by its name or a usual phrase for it), or one of
    the usual three (status page, paging webhook, billing system). Any other system named in passing ("the
    order system") is no endpoint: calling a guessed one would act through a system nobody connected."""
    named = re.search(r"[\"“']([\w-]+)[\"”']\s+endpoint|\bendpoint\s+[\"“']([\w-]+)[\"”']", text, re.IGNORECASE)
    if named:
        return (named.group(1) or named.group(2)).lower()
    bare = re.search(  # "a POST to the pager endpoint", "POST to billing endpoint /wallet-credits"
        r"(?:\bthe\s+|\b(?:to|via|on)\s+)([a-z][\w-]*)\s+endpoint\b", text, re.IGNORECASE
    )
    if bare and bare.group(1).lower() not in ("http", "api", "same", "right", "correct", "configured"):
        return bare.group(1).lower()
    hook = re.search(r"\b(?:the\s+)?([a-z][\w-]*)\s+webhook\b", text, re.IGNORECASE)
    if hook and hook.group(1).lower() not in ("the", "a", "an", "our", "paging"):
        return hook.group(1).lower()
    if re.search(r"\bpaging webhook\b", text, re.IGNORECASE):
        return "paging-webhook"
    configured = configured_endpoints()
    for name in configured:
        if re.search(
            rf"\b{re.escape(name).replace('[-_]', ' ')}\b|\b{re.escape(name.replace('-', ' '))}\b", text, re.I
        ):
            return name
    for pattern, name in ENDPOINTS:
        if (name in configured or name in USUAL_ENDPOINTS) and re.search(pattern, text, re.IGNORECASE):
            return name
    return None


def named_system(text: str) -> str | None:
    """A system the phrase names that is not a configured endpoint ("the order system"), for the question."""
    for pattern, name in ENDPOINTS:
        if name not in configured_endpoints() and name not in USUAL_ENDPOINTS and re.search(pattern, text, re.I):
            return name
    return None


def configured_endpoints() -> list[str]:
    from django.conf import settings

    return sorted(settings.CONNECTORS.get("http", {}).get("endpoints", {}), key=len, reverse=True)


def plan_in(text: str) -> str | None:
    match = re.search(rf"\b({'|'.join(PLANS)})\b", text)
    return match.group(1) if match else None
