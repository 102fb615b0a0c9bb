"""`manage.py connectors check`: per configured account, is it reachable and authorized?

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
        for row in health.summary():
            where = next((str(row[k]) for k in SAFE_KEYS if row.get(k)), "")
            style = {
                health.OK: self.style.SUCCESS,
                health.NOT_CONFIGURED: self.style.WARNING,
            }.get(row["status"], self.style.ERROR)
            self.stdout.write(f"{row['system']:<11} {style(row['status']):<14} {where}  {row['detail']}")
            if row["status"] not in (health.OK, health.NOT_CONFIGURED):
                failing.append(row["system"])
        if failing:
            raise CommandError(f"not reachable or not authorized: {', '.join(failing)}")
