"""Compile an SLA SOP's sentences into SlaPolicy rows: a small deterministic parser.

It understands, sentence by sentence (case-insensitive):

* "<Tier> customers get a first response within N [business] minutes|hours|days"
  and the follow-ups "<Tier> customers within N …", "Everyone else within N …"
* business hours: "(Monday to Friday, 9:00 to 17:00 in the queue's time zone)"
  or "… in Europe/Berlin)"
* "<Tier> customers are resolved within N …" / "resolution within N …"
* "no assignee N minutes after it was opened goes to the team lead [of its queue]"
* "When the first response is still missing N minutes before it is due, warn A and B"
* "not resolved inside its SLA window, notify A and set the risk flag on the
  customer's Salesforce account"

Anything else is returned in `not_understood`, sentence by sentence, so the
SOP editor can show what the parser skipped (short title lines without a full
stop are headings and skipped silently). Parsing is pure (`sla_parse`);
`sla_policies_from_sop` writes the rows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db import transaction

from cases.sla.models import BusinessCalendar, ClockKind, EscalationRule, SlaPolicy

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
UNITS = {"minute": 60, "hour": 3600, "day": 86400}
N = r"(?P<n>\d+(?:\.\d+)?)\s+(?P<business>business\s+)?(?P<unit>minute|hour|day)s?"
DEFAULT_RESOLUTION = dt.timedelta(hours=24)

FIRST = re.compile(rf"^(?P<tier>[\w-]+)\s+customers\s+get\s+a\s+first\s+response\s+within\s+{N}", re.I)
FOLLOW = re.compile(
    rf"^(?:(?P<tier>[\w-]+)\s+customers|(?P<rest>everyone\s+else|all\s+other\s+customers))\s+within\s+{N}", re.I
)
RESOLVE = re.compile(rf"^(?P<tier>[\w-]+)\s+customers\s+(?:are|get\s+cases)\s+resolved\s+within\s+{N}", re.I)
HOURS = re.compile(
    r"\((?P<d1>\w+day)\s+to\s+(?P<d2>\w+day),\s*(?P<open>\d{1,2}[:.]\d{2})\s+to\s+(?P<close>\d{1,2}[:.]\d{2})"
    r"(?:\s+in\s+(?:the\s+queue'?s\s+time\s*zone|(?P<zone>[A-Za-z_]+/[A-Za-z_/]+)))?\s*\)",
    re.I,
)
UNASSIGNED = re.compile(
    rf"no\s+assignee\s+{N}\s+after\s+it\s+(?:was|is)\s+opened\s+(?:goes|is\s+reassigned|is\s+escalated)\s+to\s+the\s+team\s+lead",
    re.I,
)
WARN = re.compile(
    rf"first\s+response\s+is\s+still\s+missing\s+{N}\s+before\s+it\s+is\s+due,\s*(?:warn|notify)\s+(?P<who>.+?)\.?$",
    re.I,
)
BREACH = re.compile(
    r"not\s+resolved\s+(?:inside|within)\s+its\s+SLA\s+window,\s*notify\s+(?P<who>.+?)"
    r"(?P<flag>\s+and\s+set\s+the\s+risk\s+flag\s+on\s+the\s+customer'?s\s+Salesforce\s+account)?\.?$",
    re.I,
)


@dataclass
class PolicySpec:
    name: str
    tiers: list[str]
    first_response: dt.timedelta | None = None
    first_response_business: bool = False
    resolution: dt.timedelta | None = None
    resolution_business: bool = False
    source_text: str = ""


@dataclass
class RuleSpec:
    key: str
    clock: str
    anchor: str
    offset: dt.timedelta
    action: str
    roles: list[str] = field(default_factory=list)
    instruction: str = ""


@dataclass
class SlaSpec:
    policies: list[PolicySpec] = field(default_factory=list)
    rules: list[RuleSpec] = field(default_factory=list)
    assignment: dt.timedelta | None = None
    weekly_hours: dict | None = None
    time_zone: str = ""
    warnings: list[str] = field(default_factory=list)
    not_understood: list[str] = field(default_factory=list)


def _duration(match: re.Match) -> tuple[dt.timedelta, bool]:
    seconds = float(match["n"]) * UNITS[match["unit"].lower()]
    return dt.timedelta(seconds=seconds), bool(match["business"])


def _roles(who: str) -> list[str]:
    parts = re.split(r",\s*|\s+and\s+", who.strip().rstrip("."))
    roles = []
    for part in parts:
        words = [w for w in re.sub(r"^(the|its|their)\s+", "", part.strip(), flags=re.I).lower().split() if w != "of"]
        if words:
            roles.append("_".join(re.sub(r"[^a-z0-9]", "", w) for w in words))
    return roles


def _sentences(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        bullet = line.strip().startswith(("-", "*", "•"))
        line = line.strip().lstrip("-*•").strip()
        heading = not bullet and not line.endswith((".", "!", "?", ")")) and len(line.split()) <= 6
        if not line or line.startswith("#") or heading:
            continue
        out += [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", line) if s.strip()]
    return out


def _time(text: str) -> str:
    hours, minutes = re.split(r"[:.]", text)
    return f"{int(hours):02d}:{minutes}"


def sla_parse(text: str) -> SlaSpec:
    """Parse SOP text into policies and rules; pure, no database."""
    spec = SlaSpec()
    for sentence in _sentences(text):
        understood = False
        if hours := HOURS.search(sentence):
            first, last = DAY_NAMES.index(hours["d1"].lower()), DAY_NAMES.index(hours["d2"].lower())
            interval = [[_time(hours["open"]), _time(hours["close"])]]
            spec.weekly_hours = {DAY_NAMES[i][:3]: interval for i in range(first, last + 1)}
            spec.time_zone = hours["zone"] or ""
        if match := FIRST.search(sentence) or FOLLOW.search(sentence):
            target, business = _duration(match)
            tier = (match["tier"] or "").lower() if "tier" in match.groupdict() else ""
            name = f"{tier.capitalize()} customers" if tier else "Everyone else"
            spec.policies.append(
                PolicySpec(
                    name=name,
                    tiers=[tier] if tier else [],
                    first_response=target,
                    first_response_business=business,
                    source_text=sentence,
                )
            )
            understood = True
        elif match := RESOLVE.search(sentence):
            target, business = _duration(match)
            for policy in spec.policies:
                if match["tier"].lower() in policy.tiers:
                    policy.resolution, policy.resolution_business = target, business
            understood = True
        elif match := UNASSIGNED.search(sentence):
            target, _ = _duration(match)
            spec.assignment = target
            spec.rules.append(
                RuleSpec(
                    key="unassigned-to-team-lead",
                    clock=ClockKind.ASSIGNMENT,
                    anchor=EscalationRule.Anchor.START,
                    offset=target,
                    action=EscalationRule.Action.REASSIGN,
                    roles=["team_lead"],
                    instruction=sentence,
                )
            )
            understood = True
        elif match := WARN.search(sentence):
            lead, _ = _duration(match)
            spec.rules.append(
                RuleSpec(
                    key=f"first-response-warn-{int(lead.total_seconds() // 60)}m",
                    clock=ClockKind.FIRST_RESPONSE,
                    anchor=EscalationRule.Anchor.DUE,
                    offset=-lead,
                    action=EscalationRule.Action.NOTIFY,
                    roles=_roles(match["who"]),
                    instruction=sentence,
                )
            )
            understood = True
        elif match := BREACH.search(sentence):
            spec.rules.append(
                RuleSpec(
                    key="resolution-breach-notify",
                    clock=ClockKind.RESOLUTION,
                    anchor=EscalationRule.Anchor.DUE,
                    offset=dt.timedelta(0),
                    action=EscalationRule.Action.NOTIFY,
                    roles=_roles(match["who"]),
                    instruction=sentence,
                )
            )
            if match["flag"]:
                spec.rules.append(
                    RuleSpec(
                        key="resolution-breach-risk-flag",
                        clock=ClockKind.RESOLUTION,
                        anchor=EscalationRule.Anchor.DUE,
                        offset=dt.timedelta(0),
                        action=EscalationRule.Action.RISK_FLAG,
                        instruction=sentence,
                    )
                )
            understood = True
        if not understood and not (hours and hours.group(0) == sentence):
            spec.not_understood.append(sentence)
    needs_resolution = any(r.clock == ClockKind.RESOLUTION for r in spec.rules)
    for policy in spec.policies:
        if policy.resolution is None and needs_resolution:
            policy.resolution, policy.resolution_business = DEFAULT_RESOLUTION, policy.first_response_business
            spec.warnings.append(
                f'{policy.name}: the SOP names no resolution target ("its SLA window"); set to 24 '
                f"{'business ' if policy.resolution_business else ''}hours — change it in the admin."
            )
    if any(p.first_response_business for p in spec.policies) and spec.weekly_hours is None:
        spec.warnings.append("business hours are used but not described; Monday to Friday 9:00-17:00 assumed.")
    if spec.weekly_hours is not None and not spec.time_zone:
        spec.warnings.append("business hours are in each queue's time zone: set it per queue under SLA queues.")
    return spec


@dataclass
class CompileResult:
    policies: list[SlaPolicy]
    warnings: list[str]
    not_understood: list[str]


def sla_policies_from_sop(*, text: str, prefix: str = "", time_zone: str = "UTC") -> CompileResult:
    """Create or update one SlaPolicy per tier named in the SOP, with the SOP's escalation rules.

    Policies are named "<prefix><Tier> customers" and updated on recompile;
    rules are matched by key (new ones added, vanished ones deleted). Clocks
    already running keep their due times. Specific tiers come before "Everyone else".
    """
    spec = sla_parse(text)
    calendar = None
    with transaction.atomic():
        if any(p.first_response_business or p.resolution_business for p in spec.policies):
            weekly = spec.weekly_hours or {d[:3]: [["09:00", "17:00"]] for d in DAY_NAMES[:5]}
            calendar, _ = BusinessCalendar.objects.update_or_create(
                name=f"{prefix}Business hours".strip(),
                defaults={"time_zone": spec.time_zone or time_zone, "weekly_hours": weekly},
            )
        policies = []
        for position, item in enumerate(spec.policies):
            policy, _ = SlaPolicy.objects.update_or_create(
                name=f"{prefix}{item.name}",
                defaults={
                    "enabled": True,
                    "position": 1000 if not item.tiers else 10 * (position + 1),
                    "match_tiers": item.tiers,
                    "first_response_target": item.first_response,
                    "first_response_business_hours": item.first_response_business,
                    "assignment_target": spec.assignment,
                    "resolution_target": item.resolution,
                    "resolution_business_hours": item.resolution_business,
                    "calendar": calendar,
                    "source_text": item.source_text,
                },
            )
            # Update rules in place by key, so pending fires of running clocks keep their rule.
            policy.rules.exclude(key__in=[rule.key for rule in spec.rules]).delete()
            for index, rule in enumerate(spec.rules):
                EscalationRule.objects.update_or_create(
                    policy=policy,
                    key=rule.key,
                    defaults={
                        "position": index,
                        "clock": rule.clock,
                        "anchor": rule.anchor,
                        "offset": rule.offset,
                        "action": rule.action,
                        "roles": rule.roles,
                        "instruction": rule.instruction,
                    },
                )
            policies.append(policy)
    return CompileResult(policies=policies, warnings=spec.warnings, not_understood=spec.not_understood)
