"""`manage.py events list|retry`: the inbound events that did not end well, and processing them again."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from cases import clock
from cases.intake import event_retry
from cases.models import InboundEvent
from cases.webhooks.base import WebhookRejected


class Command(BaseCommand):
    help = "List failed or stuck inbound events, or process them again (`events retry [--since ISO] [--id N]`)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "retry"])
        parser.add_argument("--since", help="Only events received at or after this ISO time (default: all).")
        parser.add_argument("--id", type=int, action="append", dest="ids", help="Only this event (repeatable).")
        parser.add_argument(
            "--stuck-after",
            type=int,
            default=300,
            help="A 'received' event older than this many seconds was interrupted and is retried too (default 300).",
        )

    def handle(self, *args, action, since, ids, stuck_after, **options):
        events = self._selected(since=since, ids=ids, stuck_after=stuck_after)
        if action == "list":
            for event in events:
                self.stdout.write(
                    f"{event.id}\t{event.source}\t{event.status}\t{event.received_at:%Y-%m-%d %H:%M}\t{event.error[:100]}"
                )
            self.stdout.write(f"events: {len(events)} failed or stuck")
            return
        done = failed = refused = 0
        for event in events:
            try:
                result = event_retry(event=event)
            except (ValueError, WebhookRejected) as exc:
                refused += 1
                self.stderr.write(f"event {event.id}: {getattr(exc, 'message', exc)}")
                continue
            if result.failed:
                failed += 1
                self.stderr.write(
                    f"event {event.id}: failed again: {InboundEvent.objects.get(id=event.id).error[:200]}"
                )
            else:
                done += 1
        self.stdout.write(f"events retry: {done} processed, {failed} failed again, {refused} refused")
        if failed:
            raise CommandError(f"{failed} event(s) failed again; see the errors above")

    def _selected(self, *, since, ids, stuck_after) -> list[InboundEvent]:
        stuck_before = clock.now() - timedelta(seconds=stuck_after)
        rows = InboundEvent.objects.filter(status=InboundEvent.Status.FAILED) | InboundEvent.objects.filter(
            status=InboundEvent.Status.RECEIVED, received_at__lt=stuck_before
        )
        if since:
            when = parse_datetime(since)
            if when is None:
                raise CommandError(f"--since {since!r} is not an ISO date-time, e.g. 2026-11-27T08:00:00Z")
            rows = rows.filter(received_at__gte=when)
        if ids:
            rows = rows.filter(id__in=ids)
        return list(rows.order_by("id"))
