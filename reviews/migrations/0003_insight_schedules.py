"""Register the insight schedules with django-q2: mining nightly at 02:00, the weekly-report check hourly."""

import datetime as dt

from django.db import migrations
from django.utils import timezone

SCHEDULES = [
    ("sopdesk: mine insights", "reviews.insights.tasks.mining_pass_task", "D", 2),
    ("sopdesk: weekly reports", "reviews.insights.tasks.reports_due_task", "H", None),
]


def add_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    now = timezone.now()
    for name, func, kind, hour in SCHEDULES:
        start = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
        if hour is not None:
            start = now.replace(hour=hour, minute=0, second=0, microsecond=0)
            if start <= now:
                start += dt.timedelta(days=1)
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": kind, "repeats": -1, "next_run": start}
        )


def remove_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(name__in=[name for name, *_ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0002_insights"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(add_schedules, remove_schedules)]
