"""What a fired escalation rule does, through the connector registry's handlers.

Every outside call carries the idempotency key `sla-<fire id>` (plus a suffix
when one rule makes several writes), so a fire performed twice after a crash
sends one email and sets one flag. The returned dict is stored on the SlaFire
and is what the case timeline shows.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from cases.models import Case
from cases.sla.models import BREACH_RULE, EscalationRule, SlaClock, SlaContact, SlaFire
from connectors import registry
from connectors.base import PermanentError

ASSIGNEE = "assignee"
TEAM_LEAD = "team_lead"


class SlaActionError(PermanentError):
    """The rule cannot be performed until someone changes the configuration (e.g. no team lead address)."""

    code = "sla_action_invalid"


def contact_directory() -> dict[tuple[str, str], str]:
    """(role, queue) -> email for every configured contact; queue "" is the fallback for all queues."""
    return {(c.role, c.queue): c.email for c in SlaContact.objects.all()}


def contact_email(directory: dict[tuple[str, str], str], role: str, queue: str) -> str:
    return directory.get((role, queue)) or directory.get((role, "")) or ""


def _call(operation: str, params: dict[str, Any], key: str) -> dict[str, Any]:
    return registry.get(operation).load_handler()(params, idempotency_key=key)


def _case_label(case: Case) -> str:
    return f"case #{case.id}" + (f": {case.subject}" if case.subject else "")


def _message(fire: SlaFire, sla_clock: SlaClock, case: Case) -> tuple[str, str]:
    kind = sla_clock.get_kind_display().lower()
    due = f"{sla_clock.due_at:%Y-%m-%d %H:%M} UTC" if sla_clock.due_at else "paused"
    breached = fire.at >= sla_clock.target
    subject = f"SLA {'breached' if breached else 'warning'}: {kind} on {_case_label(case)}"
    lines = [
        f"{kind.capitalize()} for {_case_label(case)} {'was due' if breached else 'is due'} {due}.",
        f"Policy: {sla_clock.policy.name}. Queue: {case.queue or '-'}. Priority: {case.priority}.",
    ]
    if case.external_url:
        lines.append(f"Ticket: {case.external_url}")
    if fire.rule and fire.rule.instruction:
        lines.append(f"SOP: {fire.rule.instruction}")
    return subject, "\n".join(lines)


def _recipients(rule: EscalationRule, case: Case, directory: dict) -> tuple[list[str], list[str]]:
    found, missing = [], []
    for role in rule.roles:
        if role == ASSIGNEE:
            email = case.assignee.email if case.assignee_id and case.assignee else ""
        else:
            email = contact_email(directory, role, case.queue)
        if email:
            found.append(email)
        else:
            missing.append(role)
    found += [str(a) for a in rule.addresses]
    unique = list(dict.fromkeys(e.strip().lower() for e in found if e and "@" in e))
    return unique, missing


def _notify(fire: SlaFire, sla_clock: SlaClock, case: Case, directory: dict) -> dict[str, Any]:
    to, missing = _recipients(fire.rule, case, directory)
    if not to:
        raise SlaActionError(
            f"nobody to notify: no address for {', '.join(missing)} (queue {case.queue or '-'}); "
            "add an SLA contact in the admin"
        )
    subject, body = _message(fire, sla_clock, case)
    sent = _call("email.send", {"to": to, "subject": subject, "body": body}, f"sla-{fire.id}")
    return {"action": "notify", "to": to, "missing_roles": missing, "subject": subject, **sent}


def _reassign(fire: SlaFire, sla_clock: SlaClock, case: Case, directory: dict) -> dict[str, Any]:
    from cases.sla.clocks import sla_clock_stop

    lead = contact_email(directory, TEAM_LEAD, case.queue)
    if not lead:
        raise SlaActionError(f"no team lead for queue {case.queue or '-'}; add an SLA contact with role team_lead")
    result: dict[str, Any] = {"action": "reassign", "to": lead}
    ticket_id = str((case.facts or {}).get("ticket_id") or case.external_id or "")
    if case.source == "zendesk" and ticket_id:
        _call("zendesk.update_ticket", {"ticket_id": ticket_id, "assignee_email": lead}, f"sla-{fire.id}-assign")
        result["zendesk_ticket"] = ticket_id
    user = get_user_model().objects.filter(email__iexact=lead, is_active=True).order_by("id").first()
    if user is not None:
        case.assignee = user
        case.save(update_fields=["assignee", "updated_at"])
        sla_clock_stop(case=case, kind="assignment", now=fire.fired_at)
        result["assignee_id"] = user.id
    else:
        result["note"] = "no active sopdesk user has this email; the case's assignee is unchanged"
    subject, body = _message(fire, sla_clock, case)
    subject = f"Assigned to you: {_case_label(case)} (no assignee after {_minutes(fire.at)} minutes)"
    sent = _call("email.send", {"to": [lead], "subject": subject, "body": body}, f"sla-{fire.id}")
    return {**result, "subject": subject, **sent}


def _minutes(value) -> int:
    return int(value.total_seconds() // 60)


def _risk_flag(fire: SlaFire, sla_clock: SlaClock, case: Case, directory: dict) -> dict[str, Any]:
    facts = case.facts or {}
    account_id = str(facts.get("salesforce_account_id") or facts.get("account_id") or "")
    if not account_id:
        query = {"email": case.requester_email} if case.requester_email else {"organization": case.account_name}
        if not any(query.values()):
            raise SlaActionError("the case has no requester email or organization to find its Salesforce account")
        account_id = _call("salesforce.query_account", query, f"sla-{fire.id}-find")["id"]
    params = {"object": "Account", "record_id": account_id, "fields": {"Risk_Flag__c": True}}
    _call("salesforce.update_record", params, f"sla-{fire.id}")
    return {"action": "risk_flag", "account_id": account_id, "fields": params["fields"]}


ACTIONS = {
    EscalationRule.Action.NOTIFY: _notify,
    EscalationRule.Action.REASSIGN: _reassign,
    EscalationRule.Action.RISK_FLAG: _risk_flag,
}


def sla_fire_perform(*, fire: SlaFire, directory: dict[tuple[str, str], str]) -> dict[str, Any]:
    """Perform a claimed fire's action; raises ConnectorError (retryable or not) on failure.

    Precondition: the fire is claimed (fired_at set) and selected with
    clock, clock.policy, clock.case, clock.case.assignee and rule.
    """
    sla_clock = fire.clock
    if fire.rule_key == BREACH_RULE:
        raise ValueError("breach markers have no action; the sweep records them itself")
    if fire.rule is None:  # the rule was deleted and perhaps re-created under the same key
        fire.rule = EscalationRule.objects.filter(policy_id=sla_clock.policy_id, key=fire.rule_key).first()
    if fire.rule is None:
        raise SlaActionError(f"rule {fire.rule_key!r} was deleted from policy {sla_clock.policy.name!r}")
    return ACTIONS[fire.rule.action](fire, sla_clock, sla_clock.case, directory)
