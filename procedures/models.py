"""SOPs as people write them, and the versions they compile into.

A Procedure is the SOP a team owns; each edit of its source makes a new
ProcedureVersion; compiling a version produces its Steps. A published version
is never changed again: runs keep the version they started on.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class Procedure(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        ARCHIVED = "archived", "Archived"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    trigger = models.JSONField(
        default=dict,
        blank=True,
        help_text='What starts a run, e.g. {"source": "zendesk", "events": ["ticket.created"], "tags": ["product-bug"]}.',
    )
    published_version = models.ForeignKey(
        "ProcedureVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    judgement_confidence_threshold = models.FloatField(
        default=0.8, help_text="Model judgements below this confidence go to a reviewer."
    )
    precedent_auto_apply_after = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Apply a reviewer's earlier decision automatically after this many consistent decisions. Empty: only suggest.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProcedureVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft (not compiled)"
        COMPILED = "compiled", "Compiled"
        FAILED = "failed", "Failed to compile"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    source = models.TextField()
    source_hash = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    graph = models.JSONField(default=dict, blank=True, help_text="The compiled step graph (documented JSON schema).")
    compiler = models.CharField(max_length=100, blank=True, help_text="'rules' or the model name.")
    compiler_version = models.CharField(max_length=20, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    usage = models.JSONField(default=dict, blank=True, help_text="Model tokens and latency for the compile.")
    coverage = models.JSONField(
        default=list,
        blank=True,
        help_text="What became of each sentence of the source (automated, person, not_understood, non_procedural); "
        "empty when the compiler did not report it.",
    )
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    compiled_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["procedure", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="unique_version_number"),
        ]

    def __str__(self) -> str:
        return f"{self.procedure} v{self.number}"


class Step(models.Model):
    class Kind(models.TextChoices):
        GATHER = "gather", "Gather facts"
        DECIDE = "decide", "Decide"
        ACT = "act", "Act"
        WAIT = "wait", "Wait"
        APPROVE = "approve", "Approve"
        END = "end", "End"

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="steps")
    key = models.SlugField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=300)
    instruction = models.TextField(blank=True, help_text="The SOP sentence this step came from.")
    span_start = models.PositiveIntegerField(null=True, blank=True)
    span_end = models.PositiveIntegerField(null=True, blank=True)
    spec = models.JSONField(default=dict, blank=True, help_text="Kind-specific fields, as in the compiled graph.")
    hand_edited = models.BooleanField(default=False, help_text="Corrected by a person after compiling.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="unique_step_key_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.kind})"
