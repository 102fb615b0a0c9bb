"""Reads for the case page (`/cases/<id>/`): who may see it, and everything a reviewer needs in one place."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cases.models import Case, ReviewItem, Run
from cases.selectors import TimelineEntry, case_timeline

READ_PERMISSION = "cases.view_case"  # Reviewers and Ops managers have it (procedures/roles.py); outsiders do not


def case_viewable(user) -> bool:
    """May `user` open case pages? Staff and anyone who may view cases (Reviewers, Ops managers); not outsiders."""
    return bool(getattr(user, "is_active", False)) and (user.is_staff or user.has_perm(READ_PERMISSION))


@dataclass(frozen=True)
class CaseLink:
    label: str
    url: str
    system: str


@dataclass
class CaseOverview:
    case: Case
    sample: bool
    runs: list[Run]
    review_items: list[ReviewItem]
    links: list[CaseLink]
    timeline: list[TimelineEntry]
    countdown: object | None = None
    open_items: int = 0
    gathered: dict | None = None  # facts the latest run gathered (account.plan, ...)


def case_external_url(case: Case) -> str:
    """Where the case lives in its source system: for Zendesk, the configured account's (or sandbox's) ticket page."""
    if case.source == "zendesk" and case.external_id:
        from connectors.zendesk.links import ticket_url

        return ticket_url(case.external_id) or case.external_url
    return case.external_url


def _system_of(label: str, url: str) -> str:
    lowered = f"{label} {url}".lower()
    for system in ("zendesk", "jira", "salesforce"):
        if system in lowered:
            return system
    return "other"


def case_links(case: Case, timeline: list[TimelineEntry]) -> list[CaseLink]:
    """Links to the outside objects the case touched: its ticket, Jira issues, Salesforce records (each once)."""
    links: list[CaseLink] = []
    seen: set[str] = set()

    def add(label: str, url: str, system: str) -> None:
        if url and url not in seen:
            seen.add(url)
            links.append(CaseLink(label, url, system))

    source_url = case_external_url(case)
    if source_url:
        label = (
            f"Zendesk ticket #{case.external_id}"
            if case.source == "zendesk"
            else (f"{case.get_source_display()} {case.external_id}".strip())
        )
        add(label, source_url, case.source)
    for entry in timeline:
        result = entry.result if isinstance(entry.result, dict) else {}
        operation = str((entry.request or {}).get("operation", "")) if isinstance(entry.request, dict) else ""
        if operation.startswith("jira.") and result.get("key") and result.get("url"):
            add(f"Jira issue {result['key']}", str(result["url"]), "jira")
        for label, url in entry.links:
            if not url or entry.kind == "sla":
                continue
            if label.startswith(f"{case.source} ticket"):
                continue  # the case's own ticket, added above with the right address
            add(label, url, _system_of(label, url))
    return links


def case_overview(*, case: Case, now: dt.datetime) -> CaseOverview:
    from cases.sla.selectors import sla_countdowns

    runs = list(case.runs.select_related("version__procedure").order_by("-id"))
    items = list(case.review_items.select_related("decided_by", "assignee").order_by("-created_at"))
    timeline = case_timeline(case=case)
    return CaseOverview(
        case=case,
        sample=bool((case.facts or {}).get("sample")) or (bool(runs) and all(r.mode == Run.Mode.DRY_RUN for r in runs)),
        runs=runs,
        review_items=items,
        links=case_links(case, timeline),
        timeline=timeline,
        countdown=sla_countdowns(case_ids=[case.id], now=now).get(case.id),
        open_items=sum(1 for i in items if i.status == ReviewItem.Status.OPEN),
        gathered=((runs[0].state or {}).get("facts") or {}) if runs else {},
    )
