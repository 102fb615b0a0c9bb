"""Generate months of Billing disputes cases with planted patterns: `manage.py generate_history --cases 5000`."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from reviews.insights.history import history_generate


class Command(BaseCommand):
    help = (
        "Write realistic finished cases of the Billing disputes procedure (created and published if missing), "
        "with planted patterns: billing-dispute share, product-bug reroutes among them, double charges reviewers judge wrong, a random vip tag."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=2000)
        parser.add_argument("--days", type=int, default=90, help="Spread the cases over this many days back.")
        parser.add_argument("--dispute-rate", type=float, default=0.4)
        parser.add_argument("--bug-rate", type=float, default=0.4, help="Share of disputes that are product bugs.")
        parser.add_argument(
            "--double-charge-rate",
            type=float,
            default=0.0,
            help="Share of the other disputes tagged double-charge, which reviewers always judge a wrong charge.",
        )
        parser.add_argument("--noise-rate", type=float, default=0.15, help="Share tagged vip at random.")
        parser.add_argument("--seed", type=int, default=13)

    def handle(self, *args, **options):
        started = time.perf_counter()
        summary = history_generate(
            cases=options["cases"],
            days=options["days"],
            dispute_rate=options["dispute_rate"],
            bug_rate=options["bug_rate"],
            noise_rate=options["noise_rate"],
            double_charge_rate=options["double_charge_rate"],
            seed=options["seed"],
        )
        self.stdout.write(
            f"{summary.cases} cases in {summary.procedure} over {options['days']} days "
            f"({time.perf_counter() - started:.1f} s): {summary.disputes} billing-dispute, "
            f"{summary.product_bugs} of them product-bug and rerouted to Engineering, "
            f"{summary.double_charges} double-charge, {summary.noise} tagged vip."
        )
