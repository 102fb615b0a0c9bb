"""Inbound events: store as received, reject with a reason, or turn into cases and runs.

Order matters and is the contract: `event_record` commits the raw request
before anything else looks at it; verification and parsing come after, and a
refused request is kept (status REJECTED) with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from cases import clock
from cases.casefacts import NormalisedEvent, case_apply, case_names
from cases.models import Case, InboundEvent
from cases.services import case_event_deliver, run_start
from cases.sla.clocks import sla_on_case_event
from cases.triggers import procedures_matching
from cases.webhooks.base import WebhookRejected

STORED_HEADERS = ("content-type", "user-agent")


@dataclass
class IngestResult:
    event: InboundEvent
    cases: list[Case] = field(default_factory=list)
    runs_started: list[int] = field(default_factory=list)
    runs_woken: list[int] = field(default_factory=list)
    duplicate: bool = False


def headers_worth_keeping(headers: dict[str, str]) -> dict[str, str]:
    """X-* headers plus content type and agent; never Authorization or cookies."""
    return {k: v for k, v in headers.items() if k.lower().startswith("x-") or k.lower() in STORED_HEADERS}


def event_record(*, source: str, headers: dict[str, str], body: bytes | str, error: str = "") -> InboundEvent:
    """Store a request exactly as received, in its own committed transaction."""
    raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    with transaction.atomic():
        return InboundEvent.objects.create(source=source, headers=headers_worth_keeping(headers), body=raw, error=error)


def event_reject(*, event: InboundEvent, code: str, message: str) -> InboundEvent:
    event.status = InboundEvent.Status.REJECTED
    event.verification = InboundEvent.Verification.REJECTED
    event.error = f"{code}: {message}"
    event.save(update_fields=["status", "verification", "error"])
    return event


def event_receive(
    *,
    source: str,
    headers: dict[str, str],
    body: bytes,
    parse: Callable[[dict[str, str], bytes], list[NormalisedEvent]],
    verify: Callable[[dict[str, str], bytes], None] | None = None,
    verified: bool = True,
) -> IngestResult:
    """Everything that arrives: store it as received, verify, parse, ingest.

    A request that fails verification or parsing is kept, marked rejected, and
    the WebhookRejected is raised again for the caller to answer with.
    """
    event = event_record(source=source, headers=headers, body=body)
    try:
        if verify is not None:
            verify(headers, body)
        items = parse(headers, body)
    except WebhookRejected as exc:
        event_reject(event=event, code=exc.code, message=exc.message)
        raise
    return event_ingest(event=event, items=items, verified=verified)


def event_ingest(*, event: InboundEvent, items: list[NormalisedEvent], verified: bool = True) -> IngestResult:
    """Turn parsed notifications into cases, wake waiting runs, start triggered runs.

    A notification whose dedupe key was already processed for this source is
    marked DUPLICATE and does nothing else. Extra notifications in one request
    (Salesforce sends up to 100) get their own InboundEvent rows.
    """
    result = IngestResult(event=event)
    for index, item in enumerate(items):
        row = event
        if index:
            row = InboundEvent.objects.create(
                source=event.source, headers=event.headers, body=event.body, verification=event.verification
            )
        outcome = _ingest_one(row, item, verified=verified)
        result.cases += [outcome.case] if outcome.case else []
        result.runs_started += outcome.runs_started
        result.runs_woken += outcome.runs_woken
        result.duplicate = result.duplicate or outcome.duplicate
    return result


@dataclass
class _One:
    case: Case | None = None
    runs_started: list[int] = field(default_factory=list)
    runs_woken: list[int] = field(default_factory=list)
    duplicate: bool = False


def _ingest_one(row: InboundEvent, item: NormalisedEvent, *, verified: bool) -> _One:
    row.event_type = item.event_type[:100]
    row.dedupe_key = item.dedupe_key[:255]
    row.verification = InboundEvent.Verification.VERIFIED if verified else InboundEvent.Verification.UNSIGNED
    with transaction.atomic():
        if item.dedupe_key:
            earlier = (
                InboundEvent.objects.select_for_update()
                .filter(source=row.source, dedupe_key=row.dedupe_key, id__lt=row.id)
                .exclude(status=InboundEvent.Status.REJECTED)
                .order_by("id")
                .first()
            )
            if earlier:
                row.status = InboundEvent.Status.DUPLICATE
                row.duplicate_of = earlier
                row.case_id = earlier.case_id
                row.save()
                return _One(case=earlier.case, duplicate=True)
        case, created = _case_upsert(item)
        sla_on_case_event(case=case, event_kind="created" if created else "updated")
        row.case = case
        names = case_names(case)
        outcome = _One(case=case)
        for signal in (item.event_type, *item.signals):
            outcome.runs_woken += case_event_deliver(case=case, event_type=signal, event=item.payload)
        # A new case is also a `case.created` event, whatever its source (e.g. "every new case" SOPs).
        event_types = [item.event_type] + (["case.created"] if created and item.event_type != "case.created" else [])
        for event_type in event_types:
            for match in procedures_matching(source=item.source, event_type=event_type, case=names):
                run = run_start(
                    case=case, version=match.version, mode=match.mode, event={"type": event_type, **item.payload}
                )
                if run:
                    outcome.runs_started.append(run.id)
        matched = outcome.runs_started or outcome.runs_woken or case.runs.exists()
        row.status = InboundEvent.Status.PROCESSED if matched else InboundEvent.Status.IGNORED
        row.save()
    return outcome


def _case_upsert(item: NormalisedEvent) -> tuple[Case, bool]:
    """The case this event is about (locked), created if new, with the event's facts merged in; and if it is new."""
    case = None
    if item.external_id:
        case = Case.objects.select_for_update().filter(source=item.source, external_id=item.external_id).first()
    if case is None:
        case = Case(source=item.source, external_id=item.external_id, opened_at=clock.now())
        case_apply(case=case, event=item)
        try:
            with transaction.atomic():
                case.save()
            return case, True
        except IntegrityError:  # created concurrently by another delivery
            case = Case.objects.select_for_update().get(source=item.source, external_id=item.external_id)
    case_apply(case=case, event=item)
    case.save()
    return case, False
