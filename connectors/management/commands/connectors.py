"""`manage.py connectors check`: per configured account, declared endpoint and MCP server, is it reachable and authorized?

Prints no credential: only the account's URL, which secrets are set, and the
outcome. Exits non-zero when a configured account fails, so it can gate a deploy.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from connectors import health

SAFE_KEYS = ("url", "subdomain", "user", "email", "username")


class Command(BaseCommand):
    help = "Check the connector accounts: `connectors check`."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["check"])

    def handle(self, *args, action: str, **options):
        failing = []
        rows = health.summary()
        width = max(11, *(len(row["system"]) + 1 for row in rows))
        for row in rows:
            where = next((str(row[k]) for k in SAFE_KEYS if row.get(k)), "")
            style = {
                health.OK: self.style.SUCCESS,
                health.NOT_CONFIGURED: self.style.WARNING,
            }.get(row["status"], self.style.ERROR)
            self.stdout.write(f"{row['system']:<{width}} {style(row['status']):<14} {where}  {row['detail']}")
            if row["status"] not in (health.OK, health.NOT_CONFIGURED):
                failing.append(row["system"])
        if failing:
            raise CommandError(f"not reachable or not authorized: {', '.join(failing)}")
