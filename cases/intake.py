"""Inbound events: store as received, reject with a reason, or turn into cases and runs.

Order matters and is the contract: `event_record` commits the raw request
before anything else looks at it; verification and parsing come after, and a
refused request is kept (status REJECTED) with the reason. Every stored event
ends in a terminal state with a reason: processed / ignored, duplicate,
rejected (the sender gets a 4xx saying what to fix) or failed (our fault: kept
with the error, counted on the health page, retried by `manage.py events retry`).

Deduplication holds under concurrency: before a notification is processed its
row claims `(source, dedupe_key)` in a committed write guarded by a unique
constraint, so of concurrent deliveries exactly one processes and the others
are recorded as duplicates of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, models, transaction

from cases import clock
from cases.casefacts import NormalisedEvent, case_apply, case_names
from cases.models import Case, InboundEvent
from cases.services import case_event_deliver, run_start
from cases.sla.clocks import sla_on_case_event
from cases.triggers import procedures_matching
from cases.webhooks.base import WebhookRejected, storable

logger = logging.getLogger(__name__)

STORED_HEADERS = ("content-type", "user-agent")
MAX_ID_LENGTH = 255  # Case.external_id and InboundEvent.dedupe_key


@dataclass
class IngestResult:
    event: InboundEvent
    cases: list[Case] = field(default_factory=list)
    runs_started: list[int] = field(default_factory=list)
    runs_woken: list[int] = field(default_factory=list)
    duplicate: bool = False
    failed: bool = False


def headers_worth_keeping(headers: dict[str, str]) -> dict[str, str]:
    """X-* headers plus content type and agent; never Authorization or cookies."""
    return {
        storable(k): storable(v)
        for k, v in headers.items()
        if k.lower().startswith("x-") or k.lower() in STORED_HEADERS
    }


def event_record(*, source: str, headers: dict[str, str], body: bytes | str, error: str = "") -> InboundEvent:
    """Store a request as received, in its own committed transaction.

    Bytes that are not UTF-8 and characters no database can store (NUL) are kept as U+FFFD.
    """
    raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    raw = raw.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    with transaction.atomic():
        return InboundEvent.objects.create(source=source, headers=headers_worth_keeping(headers), body=raw, error=error)


def event_fail(*, event: InboundEvent, error: BaseException | str) -> InboundEvent:
    """Mark an event whose processing failed on our side: kept with the error, to be retried."""
    message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    InboundEvent.objects.filter(id=event.id).update(status=InboundEvent.Status.FAILED, error=storable(message)[:2000])
    event.status, event.error = InboundEvent.Status.FAILED, message
    return event


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
    the WebhookRejected is raised again for the caller to answer with. A failure
    of ours (a bug, the database) marks the stored event failed and is reported
    in the result (`failed`), never raised: the event is kept for `events retry`.
    """
    event = event_record(source=source, headers=headers, body=body)
    try:
        if verify is not None:
            verify(headers, body)
            _mark_verified(event, verified=verified)
        items = parse(headers, body)
        for item in items:
            _check_ids(item)
    except WebhookRejected as exc:
        event_reject(event=event, code=exc.code, message=exc.message)
        raise
    except Exception as exc:
        logger.exception("parsing inbound event %s failed", event.id)
        return IngestResult(event=event_fail(event=event, error=exc), failed=True)
    return event_ingest(event=event, items=items, verified=verified)


def _mark_verified(event: InboundEvent, *, verified: bool) -> None:
    """Record that the request passed verification before processing, so a kept event can be retried safely."""
    event.verification = InboundEvent.Verification.VERIFIED if verified else InboundEvent.Verification.UNSIGNED
    InboundEvent.objects.filter(id=event.id).update(verification=event.verification)


RETRYABLE = (InboundEvent.Status.FAILED, InboundEvent.Status.RECEIVED)


def event_retry(*, event: InboundEvent) -> IngestResult:
    """Process a kept event again from its stored body (a failed one, or one interrupted before processing).

    Only events that passed verification are retried (a stuck `received` one must be
    signed-verified); rejected, processed and duplicate events are left as they are.
    """
    from cases.webhooks.sources import parser_for

    if event.status not in RETRYABLE:
        raise ValueError(f"event {event.id} is {event.status}; only failed or received events are retried")
    if event.status == InboundEvent.Status.RECEIVED and event.verification != InboundEvent.Verification.VERIFIED:
        raise ValueError(f"event {event.id} was never verified; ask the sender to deliver it again")
    body = event.body.encode("utf-8")
    try:
        items = parser_for(event.source)(event.headers, body)
        for item in items:
            _check_ids(item)
    except WebhookRejected as exc:
        event_reject(event=event, code=exc.code, message=exc.message)
        raise
    except KeyError:
        raise ValueError(f"event {event.id} comes from {event.source!r}, which has no stored-body parser") from None
    InboundEvent.objects.filter(id=event.id).update(status=InboundEvent.Status.RECEIVED, error="")
    event.status, event.error = InboundEvent.Status.RECEIVED, ""
    verified = event.verification == InboundEvent.Verification.VERIFIED
    return event_ingest(event=event, items=items, verified=verified)


def _check_ids(item: NormalisedEvent) -> None:
    for label, value in (("id", item.external_id), ("dedupe key", item.dedupe_key)):
        if len(value) > MAX_ID_LENGTH:
            raise WebhookRejected(
                400,
                "id_too_long",
                f"The {item.source} {label} is {len(value)} characters long; at most {MAX_ID_LENGTH} are accepted.",
            )


def event_ingest(*, event: InboundEvent, items: list[NormalisedEvent], verified: bool = True) -> IngestResult:
    """Turn parsed notifications into cases, wake waiting runs, start triggered runs.

    A notification whose dedupe key another row has claimed for this source is
    marked DUPLICATE and does nothing else. Extra notifications in one request
    (Salesforce sends up to 100) get their own InboundEvent rows. A notification
    whose processing raises is marked FAILED (kept, retried later), the others go on.
    """
    result = IngestResult(event=event)
    for index, item in enumerate(items):
        row = event
        if index:
            row = InboundEvent.objects.create(
                source=event.source, headers=event.headers, body=event.body, verification=event.verification
            )
        try:
            outcome = _ingest_one(row, item, verified=verified)
        except Exception as exc:
            logger.exception("processing inbound event %s failed", row.id)
            event_fail(event=row, error=exc)
            result.failed = True
            continue
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
    row.dedupe_key = item.dedupe_key[:MAX_ID_LENGTH]
    row.verification = InboundEvent.Verification.VERIFIED if verified else InboundEvent.Verification.UNSIGNED
    if item.dedupe_key:
        earlier = _claim(row)
        if earlier is not None:
            row.status = InboundEvent.Status.DUPLICATE
            row.duplicate_of = earlier
            row.case_id = earlier.case_id
            row.save()
            return _One(case=earlier.case, duplicate=True)
    with transaction.atomic():
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


def _claim(row: InboundEvent) -> InboundEvent | None:
    """Claim the row's dedupe key (committed at once); the row that holds it already, if another does.

    The unique constraint on (source, claim) decides between concurrent deliveries on
    SQLite and PostgreSQL alike; a row re-processed by `events retry` keeps its own claim.
    """
    try:
        with transaction.atomic():
            InboundEvent.objects.filter(id=row.id).update(claim=row.dedupe_key)
        row.claim = row.dedupe_key
        return None
    except IntegrityError:
        return InboundEvent.objects.filter(source=row.source, claim=row.dedupe_key).first()


def _fit_columns(case: Case) -> None:
    """Truncate text columns to their database size: a 300-character organization is kept in part, not a crash."""
    for column in Case._meta.concrete_fields:
        if isinstance(column, models.CharField) and column.max_length and column.name != "external_id":
            value = getattr(case, column.attname)
            if isinstance(value, str) and len(value) > column.max_length:
                setattr(case, column.attname, value[: column.max_length])


def _case_upsert(item: NormalisedEvent) -> tuple[Case, bool]:
    """The case this event is about (locked), created if new, with the event's facts merged in; and if it is new."""
    case = None
    if item.external_id:
        case = Case.objects.select_for_update().filter(source=item.source, external_id=item.external_id).first()
    if case is None:
        case = Case(source=item.source, external_id=item.external_id, opened_at=clock.now())
        case_apply(case=case, event=item)
        _fit_columns(case)
        try:
            with transaction.atomic():
                case.save()
            return case, True
        except IntegrityError:  # created concurrently by another delivery
            case = Case.objects.select_for_update().get(source=item.source, external_id=item.external_id)
    case_apply(case=case, event=item)
    _fit_columns(case)
    case.save()
    return case, False
