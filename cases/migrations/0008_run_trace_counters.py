"""Run.last_sequence and Run.call_in_flight, filled from the trace rows runs already have."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def fill(apps, schema_editor):
    Run = apps.get_model("cases", "Run")
    StepExecution = apps.get_model("cases", "StepExecution")
    rows = StepExecution.objects.filter(run=OuterRef("pk")).order_by("-sequence").values("sequence")
    Run.objects.update(last_sequence=Coalesce(Subquery(rows[:1]), Value(0)))
    started = rows.filter(status="started")[:1]
    Run.objects.filter(executions__status="started").update(call_in_flight=Subquery(started))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_step_skipped_label"),
    ]

    operations = [
        migrations.AddField(
            model_name="run",
            name="last_sequence",
            field=models.PositiveIntegerField(
                default=0, editable=False, help_text="Sequence number of the run's last trace row (0: none yet)."
            ),
        ),
        migrations.AddField(
            model_name="run",
            name="call_in_flight",
            field=models.PositiveIntegerField(
                blank=True,
                editable=False,
                help_text="Sequence number of the STARTED trace row whose connector call may be under way.",
                null=True,
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
