"""Cases and their execution: what arrived, what ran, what waits, what is held.

InboundEvent keeps every webhook as received. A Case is the unit of work; a
Run is one procedure version executing on one case; StepExecution is the
trace row per step; Timer is a durable wait; ReviewItem (the design's *hold*)
is why a run paused and what a person decided.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class Source(models.TextChoices):
    ZENDESK = "zendesk", "Zendesk"
    JIRA = "jira", "Jira"
    SALESFORCE = "salesforce", "Salesforce"
    API = "api", "API"
    SCHEDULE = "schedule", "Schedule"


class InboundEvent(models.Model):
    class Verification(models.TextChoices):
        VERIFIED = "verified", "Signature verified"
        UNSIGNED = "unsigned", "Not signed (authenticated otherwise)"
        REJECTED = "rejected", "Rejected"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        DUPLICATE = "duplicate", "Duplicate delivery"
        REJECTED = "rejected", "Rejected"
        IGNORED = "ignored", "No procedure matched"
        FAILED = "failed", "Failed"

    source = models.CharField(max_length=20, choices=Source.choices)
    event_type = models.CharField(max_length=100, blank=True)
    dedupe_key = models.CharField(max_length=255, blank=True)
    # The dedupe key this row claimed before processing; unique per source, so one delivery wins.
    claim = models.CharField(max_length=255, null=True, blank=True, editable=False)  # noqa: DJ001 - NULLs never collide
    received_at = models.DateTimeField(auto_now_add=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True, help_text="The raw body as received.")
    verification = models.CharField(max_length=20, choices=Verification.choices, default=Verification.UNSIGNED)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    case = models.ForeignKey("Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="events")

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["source", "dedupe_key"], name="inbound_dedupe_idx"),
            models.Index(fields=["status", "received_at"], name="inbound_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["source", "claim"], name="inbound_one_claim_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.event_type} #{self.pk}"


class Case(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        WAITING = "waiting", "Waiting on customer"
        HELD = "held", "Held for review"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    source = models.CharField(max_length=20, choices=Source.choices, default=Source.API)
    external_id = models.CharField(max_length=255, blank=True, help_text="Id in the source system.")
    external_url = models.URLField(max_length=500, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    requester_name = models.CharField(max_length=200, blank=True)
    requester_email = models.EmailField(blank=True)
    account_name = models.CharField(max_length=200, blank=True)
    facts = models.JSONField(
        default=dict, blank=True, help_text="Normalised facts: tags, fields, amounts, attachments."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    priority = models.CharField(max_length=20, choices=Priority.choices, default=Priority.NORMAL)
    queue = models.CharField(max_length=100, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_cases"
    )
    opened_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["facts", "updated_at"])

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["status", "assignee"], name="case_status_assignee_idx"),
            models.Index(fields=["status", "opened_at"], name="case_status_opened_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="unique_case_per_external_id",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}".strip()


class Run(models.Model):
    class Mode(models.TextChoices):
        LIVE = "live", "Live"
        DRY_RUN = "dry_run", "Dry run"
        SHADOW = "shadow", "Shadow"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        WAITING = "waiting", "Waiting"
        HELD = "held", "Held for review"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="runs")
    version = models.ForeignKey("procedures.ProcedureVersion", on_delete=models.PROTECT, related_name="runs")
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.LIVE)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    current_step = models.CharField(max_length=100, blank=True)
    state = models.JSONField(default=dict, blank=True, help_text="Facts gathered and values produced so far.")
    outcome = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    trigger_key = models.CharField(
        max_length=100, blank=True, help_text="procedure:mode — one triggered run per procedure and mode per case."
    )
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Kept by the engine's shell in the same UPDATE as `state`, so a step costs no extra read.
    last_sequence = models.PositiveIntegerField(
        default=0, editable=False, help_text="Sequence number of the run's last trace row (0: none yet)."
    )
    call_in_flight = models.PositiveIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="Sequence number of the STARTED trace row whose connector call may be under way.",
    )

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["status", "updated_at"], name="run_status_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "trigger_key"], condition=~models.Q(trigger_key=""), name="unique_run_per_trigger"
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} of {self.version} on case {self.case_id}"


class StepExecution(models.Model):
    class Status(models.TextChoices):
        STARTED = "started", "Started"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (not sent in a dry run, or not done)"
        WAITING = "waiting", "Waiting"
        HELD = "held", "Held"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="executions")
    sequence = models.PositiveIntegerField()
    step_key = models.CharField(max_length=100)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.STARTED)
    attempt = models.PositiveIntegerField(default=1)
    inputs = models.JSONField(default=dict, blank=True)
    decision = models.JSONField(null=True, blank=True)
    request = models.JSONField(null=True, blank=True, help_text="The rendered connector request.")
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=200, blank=True)
    usage = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["run", "sequence"], name="unique_execution_sequence"),
        ]
        indexes = [models.Index(fields=["idempotency_key"], name="execution_idempotency_idx")]

    def __str__(self) -> str:
        return f"{self.step_key} #{self.sequence} ({self.status})"


class Timer(models.Model):
    class Kind(models.TextChoices):
        DELAY = "delay", "Delay"
        TIMEOUT = "timeout", "Timeout while waiting for an event"
        FOLLOW_UP = "follow_up", "Follow-up"
        SLA = "sla", "SLA clock"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="timers")
    step_key = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.DELAY)
    due_at = models.DateTimeField()
    payload = models.JSONField(default=dict, blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="timer_pending_due_idx",
                condition=models.Q(fired_at__isnull=True, cancelled_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for run {self.run_id} due {self.due_at:%Y-%m-%d %H:%M}"


class ReviewItem(models.Model):
    """A hold: why a run paused, what the agent proposes, and what a person decided."""

    class Reason(models.TextChoices):
        MISSING_FACT = "missing_fact", "A fact is missing"
        CONFLICTING_FACT = "conflicting_fact", "Facts conflict"
        UNKNOWN_VALUE = "unknown_value", "A value the SOP does not cover"
        JUDGEMENT = "judgement", "The SOP asks for judgement"
        LOW_CONFIDENCE = "low_confidence", "Model unsure"
        ACTION_FAILED = "action_failed", "An action failed"
        APPROVAL = "approval", "Approval required"
        EVIDENCE = "evidence", "Evidence missing"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DECIDED = "decided", "Decided"
        CANCELLED = "cancelled", "Cancelled"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="review_items")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="review_items")
    step_key = models.CharField(max_length=100)
    reason = models.CharField(max_length=30, choices=Reason.choices)
    summary = models.TextField(help_text="Why the agent stopped, in a sentence a reviewer can act on.")
    proposal = models.JSONField(default=dict, blank=True, help_text="What the agent would do, and why.")
    allowed_outcomes = models.JSONField(default=list, blank=True)
    required_role = models.CharField(
        max_length=100, blank=True, help_text="Group that may decide; empty: any reviewer."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="claimed_reviews"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=100, blank=True)
    decision_params = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="decided_reviews"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["status", "assignee"], name="review_status_assignee_idx"),
            models.Index(fields=["status", "created_at"], name="review_status_created_idx"),
            # The open queue in inbox order (soonest due first, then oldest). Not partial: SQLite cannot
            # match a partial index's condition against a bound parameter.
            models.Index(fields=["status", "due_at", "created_at", "id"], name="review_queue_order_idx"),
            # The inbox's grouped counts read only this index, not the rows.
            models.Index(fields=["status", "reason", "run", "assignee", "due_at"], name="review_queue_counts_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} on case {self.case_id}"


class Decision(models.Model):
    """A decision on a hold, stored with the situation it answered: the precedents later edges look up.

    One per decided ReviewItem, whoever decided it: a reviewer, the model (a
    confident judgement) or a precedent (consistent earlier decisions, when the
    procedure allows auto-apply). `signature` hashes procedure, step, reason
    and the facts that mattered (`cases.precedents.facts_signature`).
    """

    class Source(models.TextChoices):
        REVIEWER = "reviewer", "Reviewer"
        MODEL = "model", "Model judgement"
        PRECEDENT = "precedent", "Precedent"

    item = models.OneToOneField(ReviewItem, on_delete=models.CASCADE, related_name="decision")
    procedure = models.ForeignKey("procedures.Procedure", on_delete=models.CASCADE, related_name="+")
    step_key = models.CharField(max_length=100)
    reason = models.CharField(max_length=30, choices=ReviewItem.Reason.choices)
    signature = models.CharField(
        max_length=64, help_text="Hash of procedure, step, reason and the facts that mattered."
    )
    facts = models.JSONField(default=dict, blank=True, help_text="The facts that mattered.")
    case_text = models.TextField(blank=True, help_text="The case's subject and description, for text similarity.")
    outcome = models.CharField(max_length=100)
    params = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.REVIEWER)
    proposed_outcome = models.CharField(
        max_length=100, blank=True, help_text="What the agent proposed; empty: nothing."
    )
    proposal_source = models.CharField(max_length=20, blank=True, help_text="model, precedent or empty.")
    followed = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followers",
        help_text="The precedent an automatic decision followed.",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at"]
        indexes = [
            models.Index(fields=["signature", "decided_at"], name="decision_signature_idx"),
            models.Index(fields=["procedure", "step_key", "decided_at"], name="decision_step_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} on {self.step_key} ({self.get_source_display()})"
