"""`manage.py demo`: everything sopdesk needs, in the foreground, until Ctrl-C.

Migrates, loads the reference SOPs, makes a demo admin and prints its login,
then runs the web server, a django-q2 cluster and the sandbox emulators as
child processes. Connectors in the web server and the cluster point at the
sandbox, so nothing leaves this machine.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from sopdesk.demo import demo_load
from sopdesk.env import env_file_write

ROOT = Path(settings.BASE_DIR)


class Command(BaseCommand):
    help = "Set up the demo and run web server, task cluster and sandbox until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--sandbox-port", type=int, default=8100)
        parser.add_argument("--no-serve", action="store_true", help="Set up only; start nothing.")

    def handle(self, *args, host, port, sandbox_port, no_serve, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        admin, password = self._demo_admin()
        for line in demo_load(owner=admin):
            self.stdout.write(f"  {line}")
        demo_env = self._write_env(host, port, sandbox_port)
        from reviews.insights.demo import insights_demo_load  # issue 13: generated history, mined insights

        for line in insights_demo_load(owner=admin):
            self.stdout.write(f"  {line}")
        if no_serve:
            self._print_login(host, port, password)
            return
        env = {**os.environ, **demo_env}
        manage = [sys.executable, str(ROOT / "manage.py")]
        commands = {
            "sandbox": [*manage, "sandbox", "--host", host, "--port", str(sandbox_port)],
            "web": [*manage, "runserver", f"{host}:{port}", "--noreload"],
            "tasks": [*manage, "worker"],
        }
        if not (ROOT / "connectors" / "management" / "commands" / "sandbox.py").exists():
            commands.pop("sandbox")
        children = {name: subprocess.Popen(cmd, cwd=ROOT, env=env) for name, cmd in commands.items()}
        self._print_login(host, port, password)
        self.stdout.write(
            "Push a Zendesk bug ticket through the escalation SOP (another terminal):\n"
            "  .venv/bin/python manage.py demo_ticket --plan enterprise\n"
            "Press Ctrl-C to stop.\n"
        )
        self._supervise(children)

    def _write_env(self, host: str, port: int, sandbox_port: int) -> dict[str, str]:
        """The variables the demo's processes run with, also written to the data dir's env file.

        Every command run later against this data dir (`demo_ticket`, `replay`, ...) reads them
        from there when they are not exported, so it talks to this demo's sandbox and web server.
        """
        values = {
            "SOPDESK_SANDBOX_URL": f"http://{host}:{sandbox_port}",
            "SOPDESK_SITE_URL": f"http://{host}:{port}",
            "ZENDESK_WEBHOOK_SECRET": os.environ.get("ZENDESK_WEBHOOK_SECRET")
            or self._demo_secret("demo-zendesk-secret"),
        }
        env_file_write(
            settings.DEMO_ENV_FILE,
            values,
            header="Written by `manage.py demo`: what its processes run with. Exported variables win over these.",
        )
        self.stdout.write(f"Demo settings written to {settings.DEMO_ENV_FILE}.")
        return values

    def _demo_admin(self):
        """The `admin` superuser; its password is kept in the data directory so it stays the same."""
        password = self._demo_secret("demo-admin-password")
        user, created = get_user_model().objects.get_or_create(
            username="admin", defaults={"email": "admin@example.com", "is_staff": True, "is_superuser": True}
        )
        if created or not user.check_password(password):
            user.set_password(password)
            user.save()
        return user, password

    def _demo_secret(self, name: str) -> str:
        """A random secret kept in the data directory, so restarts and other terminals agree."""
        path = Path(settings.DATA_DIR) / name
        if not path.exists():
            path.write_text(secrets.token_urlsafe(18))
            path.chmod(0o600)
        return path.read_text().strip()

    def _print_login(self, host, port, password):
        base = f"http://{host}:{port}"
        self.stdout.write(
            self.style.SUCCESS(
                f"\nsopdesk is ready.\n  Admin:     {base}/admin/\n  Inbox:     {base}/inbox/\n"
                f"  API docs:  {base}/api/docs/\n  Login:     admin / {password}\n"
            )
        )

    def _supervise(self, children: dict[str, subprocess.Popen]) -> None:
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    self.stderr.write(f"{name} exited with code {child.returncode}; stopping the others.")
                    stopping = True
            time.sleep(0.5)
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        self.stdout.write("Stopped.")
