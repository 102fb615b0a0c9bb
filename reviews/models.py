"""What sopdesk learns from its cases: mined case rows, insights, regression cases, the weekly report's schedule.

MinedCase is one case seen by one procedure, reduced to the attributes it
arrived with and what happened to it; mining reads only these rows, so each
pass extracts just the cases touched since the previous one (MiningCursor).
An Insight is a pattern with its evidence and, when actionable, a proposed SOP
amendment. A RegressionCase is a case whose right answer a person fixed (an
override, or pinned by an ops manager); RegressionRun keeps what one version
made of them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class MinedCase(models.Model):
    # No index of their own: the unique (case, procedure) and the (procedure, opened_at) indexes serve both, and
    # every index is written once per case in a full rebuild.
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+", db_index=False)
    procedure = models.ForeignKey("procedures.Procedure", on_delete=models.CASCADE, related_name="+", db_index=False)
    opened_at = models.DateTimeField()
    attributes = models.TextField(blank=True, help_text="One attribute a line, e.g. tag:product-bug.")
    outcomes = models.TextField(blank=True, help_text="One outcome a line, e.g. routed:Engineering.")
    unattended = models.BooleanField(default=False, help_text="Ran to its end with nobody involved.")
    holds = models.PositiveIntegerField(default=0)
    model_calls = models.PositiveIntegerField(default=0)
    model_tokens = models.PositiveIntegerField(default=0)
    mined_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "procedure"], name="unique_mined_case")]
        indexes = [models.Index(fields=["procedure", "opened_at"], name="mined_procedure_opened_idx")]

    def __str__(self) -> str:
        return f"case {self.case_id} in procedure {self.procedure_id}"


class MinedCount(models.Model):
    """How many of a procedure's cases opened on `day` (UTC) had an attribute, an outcome, or both.

    Folded in as cases are extracted (a changed case's old row is subtracted first), so mining reads these
    running counts instead of the cases. `attribute` and `outcome` both empty: the day's cases; one empty:
    cases with the other; both set: cases with both (kept for predictable outcomes only).
    """

    procedure = models.ForeignKey("procedures.Procedure", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    attribute = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(max_length=255, blank=True)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["procedure", "day", "attribute", "outcome"], name="unique_mined_count")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.attribute or '*'} / {self.outcome or '*'}: {self.n}"


class MiningCursor(models.Model):
    """Where the last mining pass stopped: cases and runs changed after `position` are extracted next time."""

    name = models.CharField(max_length=50, unique=True, default="default")
    position = models.DateTimeField(null=True, blank=True)
    last_pass_at = models.DateTimeField(null=True, blank=True)
    last_pass_cases = models.PositiveIntegerField(default=0)
    last_pass_seconds = models.FloatField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.position}"


class Insight(models.Model):
    class Kind(models.TextChoices):
        ASSOCIATION = "association", "Attribute → outcome"
        HOTSPOT = "hotspot", "Review hot spot"
        OVERRIDE = "override", "Reviewer overrides"
        SLA = "sla", "SLA breaches"
        COST = "cost", "Model cost"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        DISMISSED = "dismissed", "Dismissed"

    procedure = models.ForeignKey("procedures.Procedure", on_delete=models.CASCADE, related_name="insights")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=300, help_text="Stable fingerprint of the pattern, e.g. tag:x→routed:y.")
    title = models.CharField(max_length=500)
    detail = models.JSONField(default=dict, blank=True, help_text="Figures: support, confidence, lift, p, q, …")
    evidence = models.JSONField(default=list, blank=True, help_text="Case ids that show the pattern (capped).")
    evidence_count = models.PositiveIntegerField(default=0)
    impact = models.FloatField(default=0, help_text="Cases affected × holds or breaches avoided per case.")
    amendment = models.TextField(blank=True, help_text="The proposed SOP sentence.")
    amended_source = models.TextField(blank=True, help_text="The published source with the amendment applied.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    active = models.BooleanField(default=True, help_text="Seen in the latest mining pass.")
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    evidence_at_decision = models.PositiveIntegerField(default=0)
    draft_version = models.ForeignKey(
        "procedures.ProcedureVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    simulated_impact = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-impact", "-evidence_count"]
        constraints = [models.UniqueConstraint(fields=["procedure", "key"], name="unique_insight_key")]
        indexes = [models.Index(fields=["procedure", "active", "status"], name="insight_listing_idx")]

    def __str__(self) -> str:
        return self.title


class RegressionCase(models.Model):
    class Source(models.TextChoices):
        OVERRIDE = "override", "Reviewer override"
        PINNED = "pinned", "Pinned by an ops manager"

    procedure = models.ForeignKey("procedures.Procedure", on_delete=models.CASCADE, related_name="regression_cases")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=20, choices=Source.choices)
    decision = models.ForeignKey("cases.Decision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    step_key = models.CharField(max_length=100, blank=True, help_text="Where the person overrode the agent.")
    expected = models.JSONField(
        default=dict, help_text='What the run should do: {"outcome": "stopped", "actions": ["jira.create_issue"]}.'
    )
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["procedure", "case"], name="unique_regression_case")]

    def __str__(self) -> str:
        return f"Regression case {self.case_id} ({self.get_source_display()})"


class RegressionRun(models.Model):
    """What one version made of its procedure's regression cases (before publishing, or on request)."""

    version = models.ForeignKey("procedures.ProcedureVersion", on_delete=models.CASCADE, related_name="+")
    results = models.JSONField(default=list)
    passed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.version}: {self.passed} right, {self.failed} wrong, {self.held} still held"


class ReportSchedule(models.Model):
    """Who gets the weekly report, and when. One row without a procedure is the global schedule."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    procedure = models.OneToOneField(
        "procedures.Procedure",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="report_schedule",
        help_text="Empty: every procedure (the global report).",
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.MONDAY)
    hour = models.PositiveSmallIntegerField(default=7, help_text="Hour of day (site time zone).")
    recipients = models.TextField(
        blank=True, help_text="Comma-separated addresses. Empty: the procedure's owner (global: SOPDESK_REPORT_TO)."
    )
    enabled = models.BooleanField(default=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        who = self.procedure or "All procedures"
        return f"{who}: {self.get_weekday_display()} {self.hour:02d}:00"
