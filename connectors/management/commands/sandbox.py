"""`manage.py sandbox [--host 127.0.0.1] [--port 8100]`: serve every emulator until stopped.

One port per system from the base port (printed on start). Point sopdesk at
it with SOPDESK_SANDBOX_URL=http://HOST:PORT in the web server's and the
workers' environment. Stops cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand

from connectors.sandbox import runner


class Command(BaseCommand):
    help = "Run the Salesforce, Jira, Zendesk, carrier, HTTP-hook and SMTP emulators on 127.0.0.1."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8100, help="Base port; each system takes the next one.")

    def handle(self, *args, host: str, port: int, **options):
        sandbox = runner.start(host=host, port=port)
        stopped = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopped.set())
        self.stdout.write(self.style.SUCCESS(f"sopdesk sandbox on {sandbox.base_url}"))
        for system, server in sandbox.servers.items():
            self.stdout.write(f"  {system:<11} {server.url}")
        self.stdout.write("  inspect:    GET <url>/_sandbox/state, mail: GET <http url>/_sandbox/mail")
        self.stdout.write('  faults:     POST <url>/_sandbox/faults {"error_rate": 0.3} or {"script": [503, 503, 201]}')
        self.stdout.write(f"\nexport SOPDESK_SANDBOX_URL={sandbox.base_url}\n", ending="\n")
        self.stdout.flush()
        try:
            stopped.wait()
        finally:
            sandbox.stop()
            self.stdout.write("sandbox stopped")
