"""Compile an SLA SOP into SLA policies: `manage.py sla_compile sopdesk/demo/scenarios/sla-routing.md`."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.sla.compile import sla_policies_from_sop


class Command(BaseCommand):
    help = "Create or update SLA policies and escalation rules from an SOP's text; report what was not understood."

    def add_arguments(self, parser):
        parser.add_argument("path", help="A text/markdown file with the SOP.")
        parser.add_argument("--prefix", default="", help="Prefix for policy names, e.g. 'Support: '.")
        parser.add_argument("--time-zone", default="UTC", help="Time zone of the business-hours calendar.")

    def handle(self, *args, path: str, prefix: str, time_zone: str, **options):
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from None
        result = sla_policies_from_sop(text=text, prefix=prefix, time_zone=time_zone)
        for policy in result.policies:
            targets = ", ".join(
                f"{kind} {policy.target(kind)}{' business' if policy.business_hours(kind) else ''}"
                for kind in ("first_response", "assignment", "resolution")
                if policy.target(kind) is not None
            )
            self.stdout.write(f"policy {policy.name}: {targets}; {policy.rules.count()} escalation rules")
        for warning in result.warnings:
            self.stdout.write(f"warning: {warning}")
        for sentence in result.not_understood:
            self.stdout.write(f"not understood: {sentence}")
