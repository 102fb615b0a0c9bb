"""Reads about cases: the timeline of a case, and how shadow runs agree with what people did."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from cases.casefacts import case_names, fact_at
from cases.models import Case, InboundEvent, Run, StepExecution
from procedures.steps import Graph, GraphError, parse

_PATH = re.compile(r"\b([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+)")


TIMELINE_KINDS = ("event", "step", "hold", "wait", "sla")  # "sla": clocks started, met, breached, fired


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str  # one of TIMELINE_KINDS
    title: str
    status: str = ""
    run_id: int | None = None
    mode: str = ""
    step_key: str = ""
    step_kind: str = ""
    instruction: str = ""  # the SOP sentence the step came from
    facts_used: dict[str, Any] = field(default_factory=dict)
    decision: Any = None
    request: Any = None
    result: Any = None
    error: str = ""
    attempt: int = 1
    idempotency_key: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)


def _graph(run: Run) -> Graph | None:
    try:
        return parse(run.version.graph)
    except GraphError:
        return None


def _expressions(step) -> list[str]:
    data = step.model_dump()
    texts = [b["when"] for b in data.get("branches", [])]
    texts += list((data.get("params") or {}).values()) + list((data.get("compute") or {}).values())
    return [t for t in texts if isinstance(t, str)]


def _links(case: Case, execution: StepExecution) -> list[tuple[str, str]]:
    links = []
    result = execution.result if isinstance(execution.result, dict) else {}
    for key, value in result.items():
        if isinstance(value, str) and value.startswith("http"):
            links.append((f"{execution.step_key}: {key}", value))
    if result.get("key") and not links:
        links.append((str(result["key"]), ""))
    request = execution.request or {}
    params = request.get("params") or {}
    if str(request.get("operation", "")).startswith("salesforce.") and (params.get("record_id") or result.get("id")):
        sobject = params.get("object") or ("Account" if "account" in request["operation"] else "Opportunity")
        record_id = params.get("record_id") or result.get("id")
        links.append((f"Salesforce {sobject} {record_id}", _salesforce_url(str(sobject), str(record_id))))
    if (
        execution.step_key
        and case.external_url
        and (execution.request or {}).get("operation", "").startswith(case.source)
    ):
        links.append((f"{case.source} ticket {case.external_id}", case.external_url))
    return links


def _salesforce_url(sobject: str, record_id: str) -> str:
    from connectors import config
    from connectors.base import NotConfigured

    try:
        base = config.account("salesforce")["url"]
    except NotConfigured:
        return ""
    return f"{base}/lightning/r/{sobject}/{record_id}/view"


def case_timeline(*, case: Case) -> list[TimelineEntry]:
    """The case's ordered trace: events received, each step run (with its SOP sentence), waits, holds."""
    entries: list[TimelineEntry] = []
    for event in case.events.order_by("received_at"):
        entries.append(
            TimelineEntry(
                at=event.received_at,
                kind="event",
                title=f"{event.source} {event.event_type}",
                status=event.status,
                result={"dedupe_key": event.dedupe_key},
            )
        )
    names = case_names(case)
    for run in case.runs.select_related("version__procedure").order_by("id"):
        graph = _graph(run)
        visible = {**(run.state or {}).get("facts", {}), "case": names}
        for execution in run.executions.order_by("sequence"):
            step = None
            if graph:
                try:
                    step = graph.step(execution.step_key)
                except KeyError:
                    step = None
            facts = {}
            if step is not None:
                for text in _expressions(step):
                    for path in _PATH.findall(text):
                        value = fact_at(path, visible)
                        if value is not None and not isinstance(value, (dict, list)):
                            facts[path] = value
            kind = {"held": "hold", "waiting": "wait"}.get(execution.status, "step")
            entries.append(
                TimelineEntry(
                    at=execution.started_at,
                    kind=kind,
                    title=step.title if step else execution.step_key,
                    status=execution.status,
                    run_id=run.id,
                    mode=run.mode,
                    step_key=execution.step_key,
                    step_kind=step.kind if step else "",
                    instruction=step.instruction if step else "",
                    facts_used=facts,
                    decision=execution.decision,
                    request=execution.request,
                    result=execution.result,
                    error=execution.error,
                    attempt=execution.attempt,
                    idempotency_key=execution.idempotency_key,
                    links=_links(case, execution),
                )
            )
    from cases.sla.selectors import sla_timeline_entries

    entries += sla_timeline_entries(case=case)
    entries.sort(key=lambda e: (e.at, e.run_id or 0))
    return entries


# --- Shadow mode ---------------------------------------------------------------------

COMPARED_OPERATIONS = {"zendesk.add_tags", "zendesk.reply", "zendesk.add_note", "jira.create_issue"}


def _ticket(payload: dict) -> dict:
    ticket = payload.get("ticket") if isinstance(payload, dict) else None
    return ticket if isinstance(ticket, dict) else {}


def _tag_set(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(value.replace(",", " ").split())
    return {str(v) for v in value or []}


def human_actions(*, case: Case, after: dt.datetime, initial_tags: set[str]) -> set[str]:
    """Operations people performed on the case after `after`, read from the events that arrived since.

    Zendesk updates: tags beyond the ones the case started with → add_tags; a
    public comment by someone other than the requester → reply; a private one
    → add_note. Jira: an issue created whose labels carry `zd-<ticket id>` or
    whose description links the ticket → create_issue.
    """
    import json

    done: set[str] = set()
    for event in InboundEvent.objects.filter(received_at__gt=after).exclude(status=InboundEvent.Status.REJECTED):
        try:
            payload = json.loads(event.body or "{}")
        except ValueError:
            continue
        if not isinstance(payload, dict):
            continue
        if event.source == "zendesk" and event.case_id == case.id:
            ticket = _ticket(payload)
            if _tag_set(ticket.get("tags")) - initial_tags:
                done.add("zendesk.add_tags")
            comment = ticket.get("latest_comment") if isinstance(ticket.get("latest_comment"), dict) else {}
            author = str(comment.get("author_email") or "").lower()
            if author and author != (case.requester_email or "").lower():
                public = str(comment.get("public", "true")).lower() != "false"
                done.add("zendesk.reply" if public else "zendesk.add_note")
        elif (
            event.source == "jira" and payload.get("webhookEvent") == "jira:issue_created" and _mentions(payload, case)
        ):
            done.add("jira.create_issue")
    return done


def _mentions(payload: dict, case: Case) -> bool:
    fields = (payload.get("issue") or {}).get("fields") or {}
    labels = {str(x) for x in fields.get("labels") or []}
    description = str(fields.get("description") or "")
    return bool(case.external_id) and (
        f"zd-{case.external_id}" in labels or (bool(case.external_url) and case.external_url in description)
    )


@dataclass(frozen=True)
class ShadowAgreement:
    procedure: str
    runs: int
    agreed: int
    disagreements: list[dict]

    @property
    def rate(self) -> float:
        return self.agreed / self.runs if self.runs else 0.0


def shadow_compare(*, procedure_ids: list[int] | None = None) -> list[ShadowAgreement]:
    """Per procedure: how many shadow runs would have done exactly the writes people later did."""
    runs = Run.objects.filter(mode=Run.Mode.SHADOW).select_related("case", "version__procedure")
    if procedure_ids:
        runs = runs.filter(version__procedure_id__in=procedure_ids)
    grouped: dict[str, list[Run]] = defaultdict(list)
    for run in runs.order_by("id"):
        grouped[run.version.procedure.name].append(run)
    report = []
    for name, procedure_runs in grouped.items():
        agreed, disagreements = 0, []
        for run in procedure_runs:
            would = set(
                run.executions.filter(status=StepExecution.Status.SKIPPED).values_list("request__operation", flat=True)
            )
            initial = _tag_set(((run.state or {}).get("event") or {}).get("ticket", {}).get("tags"))
            did = human_actions(case=run.case, after=run.started_at, initial_tags=initial)
            would_comparable = would & COMPARED_OPERATIONS
            if would_comparable == did:
                agreed += 1
            else:
                disagreements.append({"case": run.case_id, "agent": sorted(would_comparable), "people": sorted(did)})
        report.append(
            ShadowAgreement(procedure=name, runs=len(procedure_runs), agreed=agreed, disagreements=disagreements)
        )
    return report


def event_health(*, window_hours: int = 24, stuck_after_seconds: int = 300) -> dict:
    """Inbound events by final state in the window, plus the failed and stuck ones that need attention."""
    from django.db.models import Count, Min

    from cases import clock
    from cases.models import InboundEvent

    now = clock.now()
    recent = InboundEvent.objects.filter(received_at__gte=now - dt.timedelta(hours=window_hours))
    by_status = dict.fromkeys(InboundEvent.Status.values, 0)
    by_status.update(dict(recent.values_list("status").annotate(n=Count("id")).values_list("status", "n")))
    failed = InboundEvent.objects.filter(status=InboundEvent.Status.FAILED).aggregate(
        n=Count("id"), at=Min("received_at")
    )
    stuck = InboundEvent.objects.filter(
        status=InboundEvent.Status.RECEIVED, received_at__lt=now - dt.timedelta(seconds=stuck_after_seconds)
    ).count()
    return {
        "window_hours": window_hours,
        "by_status": by_status,
        "failed": failed["n"],
        "stuck": stuck,
        "oldest_failed_at": failed["at"],
    }
