"""Print the current insights as a table: `manage.py insights [--procedure SLUG] [--mine]`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from procedures.models import Procedure
from reviews.insights.mining import mining_pass
from reviews.insights.selectors import insights_list


class Command(BaseCommand):
    help = "Print the current insights per procedure, ranked by expected impact (--mine runs a mining pass first)."

    def add_arguments(self, parser):
        parser.add_argument("--procedure", help="Procedure slug; default: all.")
        parser.add_argument("--mine", action="store_true", help="Run a mining pass first (only changed cases).")
        parser.add_argument("--all", action="store_true", help="Include dismissed insights.")

    def handle(self, *args, procedure=None, mine=False, all=False, **options):
        found = None
        if procedure:
            found = Procedure.objects.filter(slug=procedure).first()
            if found is None:
                raise CommandError(f"No procedure with the slug {procedure!r}.")
        if mine:
            report = mining_pass(procedure_slug=procedure)
            self.stdout.write(
                f"Mined {report.extracted} changed cases; {report.insights} insights from {report.rules_tested} "
                f"rules tested in {report.seconds:.2f} s."
            )
        rows = list(insights_list(procedure=found, include_dismissed=all))
        if not rows:
            self.stdout.write("No insights.")
            return
        self.stdout.write(f"{'#':>4}  {'Procedure':<20} {'Kind':<11} {'Cases':>5} {'Impact':>6} {'Status':<9} Insight")
        for insight in rows:
            self.stdout.write(
                f"{insight.id:>4}  {insight.procedure.slug[:20]:<20} {insight.kind:<11} {insight.evidence_count:>5} "
                f"{insight.impact:>6.0f} {insight.status:<9} {insight.title}"
            )
            if insight.amendment:
                self.stdout.write(f"{'':>6}→ amendment: {insight.amendment}")
