"""Reads for the inbox: the queue, its counts, one item in full, and agreement figures.

The queue costs the same few queries and reads about the same number of index
entries whatever its size: the page's ids (an index range scan of the open queue
in inbox order, stopped after the page: `reviews.queue_order`), its rows by id
(case, assignee and procedure name joined in), one query for the SLA clocks of
the page's cases, and one bounded count for the page's total; for the sidebar,
one statement for every count, one read of the first items' procedures and one
of the procedures' names. Counts stop at
COUNT_CAP and then read "500+" (`Tally`): counting a queue of 100,000 to say
"100,000" would cost a scan of 100,000 on every page view, and a reviewer
acts the same on "500+". The facets by procedure are counted among the
first COUNT_CAP items of the queue, so past the cap they are lower bounds
("300+"); every procedure stays in the filter.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from cases.models import Decision, ReviewItem
from cases.precedents import item_situation, precedent_find
from cases.selectors import TimelineEntry, case_timeline
from cases.sla.selectors import Countdown, sla_countdowns
from procedures.models import Procedure
from reviews.access import can_decide
from reviews.queue_order import QUEUE_ORDER, queue_ids, read_in_index_order
from reviews.tallies import COUNT_CAP, Tally, tallies
from reviews.templatetags.reviews_extras import duration, pct

PAGE_SIZE = 50
# What a queue row shows (InboxRow.cells): the rest of the item, its case and its people stay in the database.
ROW_FIELDS = (
    "id", "run_id", "case_id", "step_key", "reason", "summary", "proposal", "required_role", "status",
    "assignee_id", "due_at", "outcome", "decided_by_id", "created_at",
    "case__subject", "case__account_name", "assignee__username", "decided_by__username",
)  # fmt: skip
APPROVAL_REASONS = (ReviewItem.Reason.APPROVAL, ReviewItem.Reason.EVIDENCE)
REASON_LABELS = {key: str(label) for key, label in ReviewItem.Reason.choices}

AGE_CHOICES = [
    ("", "Any age"),
    ("lt1h", "Under 1 hour"),
    ("lt1d", "Under 1 day"),
    ("gt1d", "Over 1 day"),
    ("gt3d", "Over 3 days"),
]
DUE_CHOICES = [
    ("", "Any SLA"),
    ("overdue", "Overdue"),
    ("4h", "Due within 4 hours"),
    ("24h", "Due within 24 hours"),
    ("none", "No SLA"),
]
ASSIGNEE_CHOICES = [("", "Anyone"), ("me", "Mine"), ("unassigned", "Unassigned"), ("others", "Others'")]
STATUS_CHOICES = [("open", "Open"), ("decided", "Decided"), ("all", "All")]
KIND_CHOICES = [("", "Reviews and approvals"), ("reviews", "Reviews"), ("approvals", "Approvals")]


@dataclass(frozen=True)
class InboxFilters:
    procedure: int | None = None
    reason: str = ""
    age: str = ""
    assignee: str = ""
    due: str = ""
    status: str = "open"
    kind: str = ""
    page: int = 1

    def active(self) -> bool:
        return bool(
            self.procedure or self.reason or self.age or self.assignee or self.due or self.kind or self.status != "open"
        )


@dataclass(frozen=True)
class InboxRow:
    """One queue row, with what its cells show worked out here: a page renders 50 of them."""

    item: ReviewItem
    procedure_name: str
    procedure_id: int
    age: dt.timedelta
    due_in: dt.timedelta | None
    proposal: dict
    is_approval: bool
    can_decide: bool
    case_sla: Countdown | None = None  # the case's most urgent SLA clock
    url: str = ""
    case_url: str = ""
    claim_url: str = ""
    unclaim_url: str = ""

    @property
    def overdue(self) -> bool:
        return self.due_in is not None and self.due_in.total_seconds() < 0

    @property
    def due_text(self) -> str:
        if self.due_in is None:
            return ""
        return f"{duration(self.due_in)} over" if self.overdue else f"in {duration(self.due_in)}"

    def cells(self, user: Any) -> dict[str, Any]:
        """What the row's cells show, as plain values (a dict: the template engine reads it fastest)."""
        item = self.item
        due_class = ""
        if self.overdue:
            due_class = "due-over"
        elif self.due_in is not None and self.due_in.total_seconds() < 4 * 3600:
            due_class = "due-soon"
        return {
            "id": str(item.id),  # text, not numbers: the template engine localizes every number it prints
            "url": self.url,
            "case_id": str(item.case_id),
            "case_url": self.case_url,
            "subject": _shortened(item.case.subject or "(no subject)", 80),
            "procedure_name": self.procedure_name,
            "step_key": item.step_key,
            "account_name": item.case.account_name,
            "why": _shortened(item.summary, 90),
            "reason": item.reason,
            "reason_label": REASON_LABELS.get(item.reason, item.reason),
            "required_role": item.required_role,
            "open": item.status == ReviewItem.Status.OPEN,
            "outcome": item.outcome,
            "proposal_outcome": self.proposal.get("outcome") or "",
            "proposal_source": self.proposal.get("source") or "",
            "proposal_confidence": pct(self.proposal.get("confidence")),
            "created_iso": timezone.localtime(item.created_at).isoformat(),
            "age_text": duration(self.age),
            "overdue": self.overdue,
            "due_text": self.due_text,
            "due_class": due_class,
            "due_iso": timezone.localtime(item.due_at).isoformat() if item.due_at else "",
            "case_sla": self.case_sla,
            "claim": claim_cell(item, user, claim_url=self.claim_url, unclaim_url=self.unclaim_url),
        }


def _shortened(text: str, length: int) -> str:
    """`text` cut to `length` characters with an ellipsis (Truncator asks gettext on every call)."""
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def claim_cell(item: ReviewItem, user: Any, *, claim_url: str = "", unclaim_url: str = "") -> dict[str, Any]:
    """Who has the item and what the viewer can do (`reviews.queue_html.claim_html`): decided, mine, someone's, or free."""
    if item.status != ReviewItem.Status.OPEN:
        state, name = "decided", item.decided_by.get_username() if item.decided_by_id else "automatic"
    elif item.assignee_id and item.assignee_id == user.id:
        state, name = "mine", "You"
    elif item.assignee_id:
        state, name = "taken", item.assignee.get_username()
    else:
        state, name = "free", ""
    return {
        "id": str(item.id),
        "state": state,
        "name": name,
        "claim_url": claim_url or reverse("reviews:claim", args=[item.id]),
        "unclaim_url": unclaim_url or reverse("reviews:unclaim", args=[item.id]),
    }


def id_url(name: str) -> Callable[[int], str]:
    """`reverse(name, args=[id])` for many ids: reversed once, the id put in its place (a page reverses 200 URLs)."""
    marker = 987654321
    head, tail = reverse(name, args=[marker]).split(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    total: Tally
    page: int
    has_next: bool

    @property
    def first(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * PAGE_SIZE + len(self.rows)


@dataclass
class InboxCounts:
    open: Tally = field(default_factory=lambda: Tally(0))
    mine: Tally = field(default_factory=lambda: Tally(0))
    unassigned: Tally = field(default_factory=lambda: Tally(0))
    overdue: Tally = field(default_factory=lambda: Tally(0))
    approvals: Tally = field(default_factory=lambda: Tally(0))
    by_reason: list[tuple[str, str, Tally]] = field(default_factory=list)
    # Among the first COUNT_CAP open items in queue order: lower bounds when the queue is longer.
    by_procedure: list[tuple[int, str, Tally]] = field(default_factory=list)
    procedures: list[tuple[int, str]] = field(default_factory=list)  # every procedure, for the filter


def inbox_queryset(*, user: Any, filters: InboxFilters, now: dt.datetime) -> QuerySet[ReviewItem]:
    items = ReviewItem.objects.all()
    if filters.status == "open":
        items = items.filter(status=ReviewItem.Status.OPEN)
    elif filters.status == "decided":
        items = items.filter(status=ReviewItem.Status.DECIDED)
    if filters.procedure:
        items = items.filter(run__version__procedure_id=filters.procedure)
    if filters.reason:
        items = items.filter(reason=filters.reason)
    if filters.kind == "approvals":
        items = items.filter(reason__in=APPROVAL_REASONS)
    elif filters.kind == "reviews":
        items = items.exclude(reason__in=APPROVAL_REASONS)
    ages = {"lt1h": ("gt", 1), "lt1d": ("gt", 24), "gt1d": ("lte", 24), "gt3d": ("lte", 72)}
    if filters.age in ages:
        op, hours = ages[filters.age]
        items = items.filter(**{f"created_at__{op}": now - dt.timedelta(hours=hours)})
    if filters.assignee == "me":
        items = items.filter(assignee=user)
    elif filters.assignee == "unassigned":
        items = items.filter(assignee__isnull=True)
    elif filters.assignee == "others":
        items = items.filter(assignee__isnull=False).exclude(assignee=user)
    if filters.due == "overdue":
        items = items.filter(due_at__lt=now)
    elif filters.due in ("4h", "24h"):
        items = items.filter(due_at__lte=now + dt.timedelta(hours=int(filters.due[:-1])))
    elif filters.due == "none":
        items = items.filter(due_at__isnull=True)
    return items


def inbox_page(*, user: Any, filters: InboxFilters, now: dt.datetime, open_total: Tally | None = None) -> InboxPage:
    """One page of the queue: soonest due first, then oldest. Four queries (ids, rows, bounded total, SLA clocks).

    `open_total`: the open queue's bounded count when the caller has it (`inbox_counts`), for the unfiltered page.
    """
    items = inbox_queryset(user=user, filters=filters, now=now)
    offset = (max(filters.page, 1) - 1) * PAGE_SIZE
    stop = offset + PAGE_SIZE + 1
    if filters.active():  # the planner's choice: a rare filter is cheaper sorted than found by walking the queue
        # The page's ids from the queue index first, then the joins for those rows only.
        page_ids = items.order_by(*QUEUE_ORDER).values("id")[offset:stop]
        page_items = list(_page_rows(page_ids).order_by(*QUEUE_ORDER))
        total = tallies({"total": items})["total"]
    else:  # the open queue: its first entries in the order index, then those rows by primary key
        with read_in_index_order(items.db):
            ids = queue_ids(items, start=offset, stop=stop)
            by_id = {item.id: item for item in _page_rows(ids).order_by()}
            total = open_total if open_total is not None else tallies({"total": items})["total"]
        page_items = [by_id[pk] for pk in ids if pk in by_id]
    has_next = len(page_items) > PAGE_SIZE
    page_items = page_items[:PAGE_SIZE]
    if offset and total.capped:  # past the cap the total is at least what this page shows
        total = Tally(max(total.value, offset + len(page_items)), capped=True)
    countdowns = sla_countdowns(case_ids={item.case_id for item in page_items}, now=now)
    item_url, case_url = id_url("reviews:item"), id_url("cases:detail")
    claim_url, unclaim_url = id_url("reviews:claim"), id_url("reviews:unclaim")
    rows = [
        InboxRow(
            item=item,
            procedure_name=item.procedure_name,
            procedure_id=item.procedure_pk,
            age=now - item.created_at,
            due_in=(item.due_at - now) if item.due_at else None,
            proposal=(item.proposal or {}).get("agent") or {},
            is_approval=item.reason in APPROVAL_REASONS or bool(item.required_role),
            can_decide=can_decide(user, item),
            case_sla=countdowns.get(item.case_id),
            url=item_url(item.id),
            case_url=case_url(item.case_id),
            claim_url=claim_url(item.id),
            unclaim_url=unclaim_url(item.id),
        )
        for item in page_items
    ]
    return InboxPage(rows=rows, total=total, page=max(filters.page, 1), has_next=has_next)


def _page_rows(ids: Any) -> QuerySet[ReviewItem]:
    """The queue rows with these ids (a list or a subquery), with what a row shows joined in."""
    return (
        ReviewItem.objects.filter(id__in=ids)
        .select_related("case", "assignee", "decided_by")
        .only(*ROW_FIELDS)
        .annotate(procedure_name=F("run__version__procedure__name"), procedure_pk=F("run__version__procedure_id"))
    )


def inbox_counts(*, user: Any, now: dt.datetime) -> InboxCounts:
    """Every sidebar count over the open queue: one statement of bounded counts, the facet window, the procedures.

    Each count reads at most COUNT_CAP + 1 entries of an index (status first), so the sidebar
    costs the same for 2,000 open items as for 200,000.
    """
    open_items = ReviewItem.objects.filter(status=ReviewItem.Status.OPEN)
    reasons = ReviewItem.Reason.choices
    with read_in_index_order(open_items.db):
        counted = _sidebar_tallies(open_items, user=user, now=now)
        in_window, capped = _procedures_in_window(open_items)
    by_reason = [(key, label, counted[f"reason:{key}"]) for key, label in reasons if counted[f"reason:{key}"]]
    procedures = list(Procedure.objects.order_by("name", "id").values_list("id", "name"))
    return InboxCounts(
        open=counted["open"],
        mine=counted["mine"],
        unassigned=counted["unassigned"],
        overdue=counted["overdue"],
        approvals=counted["approvals"],
        by_reason=sorted(by_reason, key=lambda row: -row[2].value),
        by_procedure=[(pk, name, Tally(in_window[pk], capped=capped)) for pk, name in procedures if pk in in_window],
        procedures=procedures,
    )


def _sidebar_tallies(open_items: QuerySet[ReviewItem], *, user: Any, now: dt.datetime) -> dict[str, Tally]:
    return tallies(
        {
            "open": open_items,
            "mine": open_items.filter(assignee=user),
            "unassigned": open_items.filter(assignee__isnull=True),
            "overdue": open_items.filter(due_at__lt=now),
            "approvals": open_items.filter(reason__in=APPROVAL_REASONS),
            **{f"reason:{key}": open_items.filter(reason=key) for key, _ in ReviewItem.Reason.choices},
        }
    )


def _procedures_in_window(open_items: QuerySet[ReviewItem]) -> tuple[dict[int, int], bool]:
    """Open items per procedure among the first COUNT_CAP + 1 in queue order (one read of the order index); capped?"""
    counted = Counter(
        open_items.order_by(*QUEUE_ORDER).values_list("run__version__procedure_id", flat=True)[: COUNT_CAP + 1]
    )
    capped = sum(counted.values()) > COUNT_CAP
    return {pk: min(n, COUNT_CAP) for pk, n in counted.items()}, capped


def inbox_neighbours(*, user: Any, item: ReviewItem, now: dt.datetime) -> tuple[int | None, int | None]:
    """The previous and next open items in queue order (for j/k on the detail page)."""
    with read_in_index_order(ReviewItem.objects.db):
        ids = queue_ids(inbox_queryset(user=user, filters=InboxFilters(), now=now), start=0, stop=500)
    if item.id not in ids:
        return None, (ids[0] if ids else None)
    index = ids.index(item.id)
    return (ids[index - 1] if index else None), (ids[index + 1] if index + 1 < len(ids) else None)


# --- Agreement ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementRow:
    procedure_id: int
    procedure_name: str
    step_key: str
    decided: int  # by reviewers
    proposed: int  # of those, how many had a proposal from the agent
    accepted: int
    automatic: int  # applied without a person (model or precedent)
    model_proposed: int
    model_accepted: int

    @property
    def overridden(self) -> int:
        return self.proposed - self.accepted

    def _pct(self, part: int, whole: int) -> float | None:
        return round(100.0 * part / whole, 1) if whole else None

    @property
    def accepted_pct(self) -> float | None:
        return self._pct(self.accepted, self.proposed)

    @property
    def overridden_pct(self) -> float | None:
        return self._pct(self.overridden, self.proposed)

    @property
    def model_accepted_pct(self) -> float | None:
        return self._pct(self.model_accepted, self.model_proposed)

    @property
    def no_proposal(self) -> int:
        return self.decided - self.proposed


def agreement_figures(*, procedure_id: int | None = None, since: dt.datetime | None = None) -> list[AgreementRow]:
    """Per procedure and step: how often reviewers accepted the agent's proposal. One query."""
    decisions = Decision.objects.all()
    if procedure_id:
        decisions = decisions.filter(procedure_id=procedure_id)
    if since:
        decisions = decisions.filter(decided_at__gte=since)
    reviewer = Q(source=Decision.Source.REVIEWER)
    proposed = reviewer & ~Q(proposed_outcome="")
    model = proposed & Q(proposal_source="model")
    rows = (
        decisions.values("procedure_id", "procedure__name", "step_key")
        .annotate(
            decided=Count("id", filter=reviewer),
            proposed=Count("id", filter=proposed),
            accepted=Count("id", filter=proposed & Q(outcome=F("proposed_outcome"))),
            automatic=Count("id", filter=~reviewer),
            model_proposed=Count("id", filter=model),
            model_accepted=Count("id", filter=model & Q(outcome=F("proposed_outcome"))),
        )
        .order_by("procedure__name", "step_key")
    )
    return [
        AgreementRow(
            procedure_id=r["procedure_id"],
            procedure_name=r["procedure__name"],
            step_key=r["step_key"],
            decided=r["decided"],
            proposed=r["proposed"],
            accepted=r["accepted"],
            automatic=r["automatic"],
            model_proposed=r["model_proposed"],
            model_accepted=r["model_accepted"],
        )
        for r in rows
    ]


def outcome_choices(item: ReviewItem) -> list[dict]:
    """The item's allowed outcomes as {key, label, params (open parameter names), next}."""
    choices = []
    for outcome in item.allowed_outcomes or []:
        if isinstance(outcome, dict) and outcome.get("key"):
            choices.append(
                {
                    "key": str(outcome["key"]),
                    "label": outcome.get("label") or outcome["key"],
                    "params": [str(p) for p in outcome.get("params") or []],
                    "next": outcome.get("next"),
                }
            )
        elif isinstance(outcome, str):
            choices.append({"key": outcome, "label": outcome, "params": [], "next": None})
    return choices


# --- One item --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SopExcerpt:
    """The SOP source around the step's sentence, split so the template can highlight it."""

    before: str
    sentence: str
    after: str


@dataclass(frozen=True)
class ReviewDetail:
    item: ReviewItem
    procedure: Any
    version: Any
    step: Any
    sop: SopExcerpt | None
    outcomes: list[dict]
    agent: dict
    situation_facts: dict
    hold_details: dict
    precedents: list
    timeline: list
    decision: Decision | None
    can_decide: bool
    previous_id: int | None
    next_id: int | None


_INTERNAL_KEYS = {"agent", "situation", "precedents", "visit"}


def _sop_excerpt(source: str, step: Any) -> SopExcerpt | None:
    span = getattr(step, "span", None)
    if span is not None and 0 <= span.start < span.end <= len(source):
        return SopExcerpt(source[: span.start], source[span.start : span.end], source[span.end :])
    instruction = getattr(step, "instruction", "") or ""
    if instruction and instruction in source:
        start = source.index(instruction)
        return SopExcerpt(source[:start], instruction, source[start + len(instruction) :])
    return None


def _with_decisions(entries: list, *, case_id: int) -> list:
    """The engine's timeline plus one entry per decision on the case: who decided what, and why."""
    decided = (
        ReviewItem.objects.filter(case_id=case_id, status=ReviewItem.Status.DECIDED)
        .select_related("decided_by", "decision__followed")
        .order_by("decided_at")
    )
    extra = []
    for item in decided:
        decision = getattr(item, "decision", None)
        who = item.decided_by.get_username() if item.decided_by else "The agent"
        how = ""
        if decision is not None and decision.followed_id:
            how = f" (following precedent #{decision.followed_id})"
        elif decision is not None and decision.source == Decision.Source.MODEL:
            how = " (model judgement)"
        extra.append(
            TimelineEntry(
                at=item.decided_at or item.created_at,
                kind="decision",
                title=f"{who} decided {item.outcome!r}{how}",
                status="decided",
                run_id=item.run_id,
                step_key=item.step_key,
                decision={"outcome": item.outcome, "params": item.decision_params, "note": item.note, "by": who},
            )
        )
    return sorted([*entries, *extra], key=lambda e: (e.at, e.run_id or 0))


def review_detail(*, user: Any, item_id: int, now: dt.datetime) -> ReviewDetail | None:
    """Everything the detail page shows: the SOP sentence, the case timeline, the proposal, precedents."""
    item = (
        ReviewItem.objects.select_related("case", "assignee", "decided_by", "run__version__procedure")
        .filter(id=item_id)
        .first()
    )
    if item is None:
        return None
    version = item.run.version
    situation = item_situation(item=item)
    step = situation["_step"]
    matches = precedent_find(
        procedure=version.procedure,
        step_key=item.step_key,
        reason=item.reason,
        facts=situation["facts"],
        text=situation["text"],
        exclude_item_id=item.id,
    )
    decision = Decision.objects.select_related("followed__decided_by").filter(item_id=item.id).first()
    previous_id, next_id = inbox_neighbours(user=user, item=item, now=now)
    proposal = item.proposal or {}
    return ReviewDetail(
        item=item,
        procedure=version.procedure,
        version=version,
        step=step,
        sop=_sop_excerpt(version.source or "", step) if step is not None else None,
        outcomes=outcome_choices(item),
        agent=proposal.get("agent") or {},
        situation_facts=situation["facts"],
        hold_details={k: v for k, v in proposal.items() if k not in _INTERNAL_KEYS and v not in ("", None, [], {})},
        precedents=matches,
        timeline=_with_decisions(case_timeline(case=item.case), case_id=item.case_id),
        decision=decision,
        can_decide=can_decide(user, item),
        previous_id=previous_id,
        next_id=next_id,
    )
