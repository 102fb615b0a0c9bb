"""`manage.py shadow_report`: per procedure, how often shadow runs agreed with what people then did."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from cases.selectors import shadow_compare


class Command(BaseCommand):
    help = "Compare shadow runs' would-be actions with the actions people took later, per procedure."

    def handle(self, *args, **options):
        report = shadow_compare()
        if not report:
            self.stdout.write('No shadow runs yet: set "mode": "shadow" in a procedure\'s trigger.')
            return
        self.stdout.write(f"{'Procedure':<40}{'runs':>6}{'agreed':>8}{'rate':>8}")
        for row in report:
            self.stdout.write(f"{row.procedure:<40}{row.runs:>6}{row.agreed:>8}{row.rate:>8.0%}")
            for item in row.disagreements[:10]:
                self.stdout.write(f"    case {item['case']}: agent {item['agent']} / people {item['people']}")
