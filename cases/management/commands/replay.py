"""`manage.py replay PROCEDURE FILE`: dry-run a procedure over historical tickets and print coverage."""

from __future__ import annotations

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cases.replay import ReplayError, replay_run, tickets_generate, tickets_read
from procedures.models import Procedure, ProcedureVersion


class Command(BaseCommand):
    help = "Run a procedure in dry run over a Zendesk JSON/NDJSON or CSV export and print its coverage."

    def add_arguments(self, parser):
        parser.add_argument("procedure", help="Procedure slug or id.")
        parser.add_argument("file", help="Zendesk JSON export, NDJSON or CSV.")
        parser.add_argument(
            "--generate",
            type=int,
            metavar="N",
            help="First write N generated escalation tickets to FILE: a Zendesk export page with ids and sideloads.",
        )
        parser.add_argument(
            "--no-lookup",
            action="store_true",
            help="Never ask Zendesk for requesters or organizations the export's sideloads do not carry.",
        )
        parser.add_argument("--limit", type=int, help="Replay only the first N tickets.")
        parser.add_argument(
            "--keep",
            action="store_true",
            help="Replay as stored dry runs (slow) and keep their cases and runs, to look at them in the admin.",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, procedure, file, generate, limit, keep, no_progress, no_lookup, **options):
        version = self._version(procedure)
        path = Path(file)
        if generate:
            path.write_text(json.dumps(tickets_generate(count=generate), indent=1))
            self.stdout.write(f"Wrote {generate} generated tickets to {path}.")
        if not path.exists():
            raise CommandError(f"{path} does not exist.")
        try:
            loaded = tickets_read(path, lookup=not no_lookup)
        except ReplayError as exc:
            raise CommandError(str(exc)) from exc
        tickets = loaded.tickets
        if limit:
            tickets = tickets[:limit]
        started = time.monotonic()
        with tqdm(total=len(tickets), unit="ticket", disable=no_progress, file=self.stderr._out) as bar:
            coverage = replay_run(version=version, tickets=tickets, keep=keep, progress=lambda: bar.update(1))
        elapsed = time.monotonic() - started
        self.stdout.write(f"\nCoverage of {version} (dry run, {elapsed:.1f}s):")
        self.stdout.write(coverage.table())
        summary = loaded.directory.summary()
        if summary:
            self.stdout.write("Requesters and organizations (by id):")
            for line in summary:
                self.stdout.write(f"    {line}")

    def _version(self, ref: str) -> ProcedureVersion:
        lookup = {"id": int(ref)} if ref.isdigit() else {"slug": ref}
        procedure = Procedure.objects.filter(**lookup).first()
        if procedure is None:
            raise CommandError(f"No procedure {ref!r}: give its slug or id.")
        version = procedure.published_version or (
            procedure.versions.filter(status=ProcedureVersion.Status.COMPILED).order_by("-number").first()
        )
        if version is None:
            raise CommandError(f"{procedure} has no published or compiled version to replay.")
        return version
