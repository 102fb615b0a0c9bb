"""`manage.py worker`: the task cluster under supervision (see `sopdesk.supervisor`). Use it instead of qcluster."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand

from sopdesk.env import env_float


class Command(BaseCommand):
    help = (
        "Run the django-q2 cluster, restart it if it dies (leaving no headless workers), and re-enqueue "
        "steps orphaned by a killed worker every few seconds. Stop with SIGTERM or Ctrl-C."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--recovery-interval",
            type=float,
            default=env_float("SOPDESK_RECOVERY_INTERVAL", 5.0),
            help="Seconds between recovery sweeps (default: SOPDESK_RECOVERY_INTERVAL or 5).",
        )
        parser.add_argument("--grace", type=float, default=10.0, help="Seconds the cluster gets to stop on exit.")

    def handle(self, *args, recovery_interval, grace, **options):
        from sopdesk.supervisor import supervise

        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        restarts = supervise(interval=recovery_interval, grace=grace, stop=stop)
        self.stdout.write(f"worker stopped after {restarts} restart(s) of the task cluster")
