"""django-q2 entry points (one line each): the nightly mining pass and the hourly weekly-report check."""

from __future__ import annotations


def mining_pass_task(procedure_slug: str | None = None) -> dict:
    from reviews.insights.mining import mining_pass

    return vars(mining_pass(procedure_slug=procedure_slug))


def reports_due_task() -> int:
    from reviews.report.mail import reports_due

    return reports_due()
