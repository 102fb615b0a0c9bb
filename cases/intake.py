"""Inbound events: store as received, reject with a reason, or turn into cases and runs.

Nothing is acknowledged before it is stored. Webhooks (`event_accept`) check the
signature and parse the body in memory, then store the event row with its dedupe
claim and its processing task in one transaction and answer 202; the worker does
the rest (`event_process`). The synchronous API path (`event_receive`) commits
the raw request first and verifies, parses and ingests after. Either way a
refused request is kept (status REJECTED) with the reason, and every stored event
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

from django.conf import settings
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
    queued: list[int] = field(default_factory=list)  # events whose processing is queued (`event_accept`)


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
    return InboundEvent.objects.create(
        source=source, headers=headers_worth_keeping(headers), body=_storable_text(body), error=error
    )


def event_fail(*, event: InboundEvent, error: BaseException | str) -> InboundEvent:
    """Mark an event whose processing failed on our side: kept with the error, to be retried."""
    message = _error_text(error)
    InboundEvent.objects.filter(id=event.id).update(status=InboundEvent.Status.FAILED, error=message)
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
    event, items = _stored_and_parsed(source=source, headers=headers, body=body, parse=parse, verify=verify)
    if items is None:
        return IngestResult(event=event, failed=True)
    if verify is not None:
        _mark_verified(event, verified=verified)
    return event_ingest(event=event, items=items, verified=verified)


def _stored_and_parsed(*, source, headers, body, parse, verify) -> tuple[InboundEvent, list[NormalisedEvent] | None]:
    """Store the request, then verify and parse it; (event, None) when it failed on our side (kept as failed).

    A refusal marks the stored event rejected and raises WebhookRejected again for the caller to answer with.
    """
    event = event_record(source=source, headers=headers, body=body)
    try:
        if verify is not None:
            verify(headers, body)
        items = parse(headers, body)
        for item in items:
            _check_ids(item)
    except WebhookRejected as exc:
        event_reject(event=event, code=exc.code, message=exc.message)
        raise
    except Exception as exc:
        logger.exception("parsing inbound event %s failed", event.id)
        return event_fail(event=event, error=exc), None
    return event, items


def event_accept(
    *,
    source: str,
    headers: dict[str, str],
    body: bytes,
    parse: Callable[[dict[str, str], bytes], list[NormalisedEvent]],
    verify: Callable[[dict[str, str], bytes], None] | None = None,
    verified: bool = True,
) -> IngestResult:
    """What a webhook answers on: verify and parse in memory, then store, claim and queue in one transaction.

    Signature checks and parsing cost microseconds and decide the answer (a 4xx tells
    the sender what to fix), so they run first; then one commit holds the event row,
    its dedupe claim and its processing task (database broker; with Redis the task is
    queued once the row has committed). Nothing is acknowledged before that commit, so
    a crash before it loses nothing the sender was told we have. A refused request is
    stored rejected with the reason; a failure of ours (a parser bug) is stored failed
    for `events retry`; a delivery whose key another row holds is stored as its duplicate.
    Matching, the case upsert, clocks and runs happen in `event_process`, run by the
    worker (`cases.tasks.event_process_task`); an event whose task is lost stays
    `received` and verified, and the recovery sweep (`events_requeue`) queues it again.
    """
    kept = {"source": source, "headers": headers_worth_keeping(headers), "body": _storable_text(body)}
    try:
        if verify is not None:
            verify(headers, body)
    except WebhookRejected as exc:
        _store_refused(kept, exc)
        raise
    verification = InboundEvent.Verification.VERIFIED if verified else InboundEvent.Verification.UNSIGNED
    try:
        items = parse(headers, body)
        for item in items:
            _check_ids(item)
    except WebhookRejected as exc:
        _store_refused(kept, exc)
        raise
    except Exception as exc:
        logger.exception("parsing an inbound %s event failed", source)
        event = InboundEvent.objects.create(
            **kept, verification=verification, status=InboundEvent.Status.FAILED, error=_error_text(exc)
        )
        return IngestResult(event=event, failed=True)
    if not items:
        event = InboundEvent.objects.create(
            **kept,
            verification=verification,
            status=InboundEvent.Status.IGNORED,
            error="The body holds no notification.",
        )
        return IngestResult(event=event)
    rows = [_accepted_row(kept, item, verification) for item in items]
    try:
        with transaction.atomic():
            for row in rows:
                row.save(force_insert=True)
                _queue(row.id)
        return IngestResult(event=rows[0], queued=[row.id for row in rows])
    except IntegrityError:  # a dedupe key is claimed already: store the notifications one at a time
        return _accept_one_by_one(rows)


def _storable_text(body: bytes | str) -> str:
    """The body as text: bytes that are not UTF-8 and characters no database can store (NUL) become U+FFFD."""
    raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return raw.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def _error_text(error: BaseException | str) -> str:
    message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return storable(message)[:2000]


def _store_refused(kept: dict, exc: WebhookRejected) -> InboundEvent:
    return InboundEvent.objects.create(
        **kept,
        status=InboundEvent.Status.REJECTED,
        verification=InboundEvent.Verification.REJECTED,
        error=f"{exc.code}: {exc.message}",
    )


def _accepted_row(kept: dict, item: NormalisedEvent, verification: str) -> InboundEvent:
    dedupe_key = item.dedupe_key[:MAX_ID_LENGTH]
    return InboundEvent(
        **kept,
        verification=verification,
        event_type=item.event_type[:100],
        dedupe_key=dedupe_key,
        claim=dedupe_key or None,
    )


def _accept_one_by_one(rows: list[InboundEvent]) -> IngestResult:
    """Store each notification in its own transaction; one whose key is claimed becomes a duplicate of the holder."""
    result = IngestResult(event=rows[0])
    for row in rows:
        row.pk = None
        try:
            with transaction.atomic():
                row.save(force_insert=True)
                _queue(row.id)
            result.queued.append(row.id)
            continue
        except IntegrityError:
            pass
        earlier = InboundEvent.objects.filter(source=row.source, claim=row.claim).first()
        row.pk, row.claim = None, None
        row.status, row.duplicate_of = InboundEvent.Status.DUPLICATE, earlier
        row.case_id = earlier.case_id if earlier else None
        row.save(force_insert=True)
        result.duplicate = True
        result.cases += [earlier.case] if earlier and earlier.case_id else []
    result.event = rows[0]
    return result


def _queue(event_id: int) -> None:
    """Queue the event's processing: in the caller's transaction with the database broker, after its commit with Redis."""
    from django_q.tasks import async_task

    if settings.Q_CLUSTER.get("orm") == "default":
        async_task("cases.tasks.event_process_task", event_id, group="event_process", save=False)
        return

    def enqueue():
        try:
            async_task("cases.tasks.event_process_task", event_id, group="event_process", save=False)
        except Exception:  # the event is stored, verified and `received`: the recovery sweep queues it again
            logger.exception("queueing inbound event %s failed; the recovery sweep will queue it again", event_id)

    transaction.on_commit(enqueue)


def event_process(*, event_id: int, enqueue_runs: bool = True) -> IngestResult | None:
    """Process one accepted event (the worker's task): case, clocks, woken and started runs. Exactly once.

    The row is locked and must still be `received`: a task delivered twice, or racing
    `events retry`, finds it processed and does nothing (returns None). A failure marks
    it failed, kept for `events retry`. `enqueue_runs=False`: the caller advances the
    started runs itself (the intake task does, in the same worker); a run it never
    advances stays pending and `runs_recover` queues it after the step lease.
    """
    from cases.webhooks.sources import parser_for

    with transaction.atomic():
        row = InboundEvent.objects.select_for_update().filter(id=event_id).first()
        if row is None or row.status != InboundEvent.Status.RECEIVED:
            return None
        result = IngestResult(event=row)
        try:  # `_process` is a savepoint: a failure rolls its writes back and the row is marked failed
            items = parser_for(row.source)(row.headers, row.body.encode("utf-8"))
            outcome = _process(row, _stored_item(row, items), enqueue_runs=enqueue_runs)
        except Exception as exc:
            logger.exception("processing inbound event %s failed", row.id)
            event_fail(event=row, error=exc)
            result.failed = True
            return result
    result.cases += [outcome.case] if outcome.case else []
    result.runs_started, result.runs_woken = outcome.runs_started, outcome.runs_woken
    return result


def _stored_item(row: InboundEvent, items: list[NormalisedEvent]) -> NormalisedEvent:
    """The notification of a stored body this row stands for (a body may hold several, each with its own row)."""
    if len(items) == 1 or not row.dedupe_key:
        if not items:
            raise ValueError(f"event {row.id}: its stored body holds no notification")
        return items[0]
    for item in items:
        if item.dedupe_key[:MAX_ID_LENGTH] == row.dedupe_key:
            return item
    raise ValueError(f"event {row.id}: no notification with dedupe key {row.dedupe_key!r} in its stored body")


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
    earlier = _claim_item(row, item, verified=verified)
    if earlier is not None:
        return _One(case=earlier.case, duplicate=True)
    return _process(row, item)


def _claim_item(row: InboundEvent, item: NormalisedEvent, *, verified: bool) -> InboundEvent | None:
    """Record what the notification is and claim its dedupe key; the earlier row (now marked so) if a duplicate."""
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
            return earlier
        return None
    InboundEvent.objects.filter(id=row.id).update(
        event_type=row.event_type, dedupe_key=row.dedupe_key, verification=row.verification
    )
    return None


def _process(row: InboundEvent, item: NormalisedEvent, *, enqueue_runs: bool = True) -> _One:
    """Case upsert, clocks, woken and started runs, and the row's terminal state, in one transaction."""
    with transaction.atomic():
        case, created = _case_upsert(item)
        sla_on_case_event(case=case, event_kind="created" if created else "updated")
        row.case = case
        names = case_names(case)
        outcome = _One(case=case)
        if not created:  # a new case has no runs waiting for anything
            for signal in (item.event_type, *item.signals):
                outcome.runs_woken += case_event_deliver(case=case, event_type=signal, event=item.payload)
        # A new case is also a `case.created` event, whatever its source (e.g. "every new case" SOPs).
        event_types = [item.event_type] + (["case.created"] if created and item.event_type != "case.created" else [])
        for event_type, match in procedures_matching(source=item.source, event_types=event_types, case=names):
            event = {"type": event_type, **item.payload}
            run = run_start(case=case, version=match.version, mode=match.mode, event=event, enqueue=enqueue_runs)
            if run:
                outcome.runs_started.append(run.id)
        matched = outcome.runs_started or outcome.runs_woken or (not created and case.runs.exists())
        row.status = InboundEvent.Status.PROCESSED if matched else InboundEvent.Status.IGNORED
        row.save(update_fields=["status", "case"])
    return outcome


def _claim(row: InboundEvent) -> InboundEvent | None:
    """Claim the row's dedupe key (committed at once); the row that holds it already, if another does.

    The unique constraint on (source, claim) decides between concurrent deliveries on
    SQLite and PostgreSQL alike; a row re-processed by `events retry` keeps its own claim.
    """
    try:
        with transaction.atomic():  # one UPDATE: the claim and what the notification is
            InboundEvent.objects.filter(id=row.id).update(
                claim=row.dedupe_key,
                event_type=row.event_type,
                dedupe_key=row.dedupe_key,
                verification=row.verification,
            )
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


def events_requeue(*, older_than_seconds: int | None = None) -> list[int]:
    """Queue processing again for accepted events a dead worker left `received` (their task died with it).

    Accepted means verified, parsed and claimed (a claim or an event type is recorded).
    Processing is idempotent (`event_process` locks the row and skips it once processed), so
    a task that was only slow, not lost, costs one extra no-op.
    """
    import datetime as dt

    from django.db.models import Q
    from django_q.tasks import async_task

    from cases import conf

    age = conf.step_lease_seconds() if older_than_seconds is None else older_than_seconds
    stuck = list(
        InboundEvent.objects.filter(
            status=InboundEvent.Status.RECEIVED, received_at__lt=clock.now() - dt.timedelta(seconds=age)
        )
        .filter(Q(claim__isnull=False) | ~Q(event_type=""))
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
    for event_id in stuck:
        async_task("cases.tasks.event_process_task", event_id, group="event_process", save=False)
    return stuck
