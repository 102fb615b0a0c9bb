"""API tokens: how integrations and scripts authenticate to the REST API.

A token is shown once, when an admin creates it, as `sd_<prefix>_<secret>`.
Only the prefix (to find the row and to recognise the token in lists) and a
hash of the secret are stored, so a copy of the database does not hand out
working credentials. Scopes limit what a token may do; it never does more
than the person who created it may do (see `sopdesk.api_auth`).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone


class Scope(models.TextChoices):
    PROCEDURES_READ = "procedures:read", "Read procedures, versions, steps and the connector registry"
    PROCEDURES_WRITE = "procedures:write", "Create, edit, compile, publish and roll back procedures"
    CASES_READ = "cases:read", "Read cases, runs, timelines and inbound events"
    CASES_WRITE = "cases:write", "Create cases (and start the procedures they trigger)"
    RUNS_WRITE = "runs:write", "Start, dry-run and cancel runs"
    REVIEWS_READ = "reviews:read", "Read review items"
    REVIEWS_WRITE = "reviews:write", "Claim and decide review items"


INTEGRATION_SCOPES = [Scope.CASES_WRITE, Scope.CASES_READ, Scope.PROCEDURES_READ, Scope.REVIEWS_READ]


def _now() -> dt.datetime:
    return timezone.now()


class ApiToken(models.Model):
    name = models.CharField(max_length=200, help_text="What uses it, e.g. 'Zendesk macro' or 'nightly export'.")
    prefix = models.CharField(max_length=8, unique=True, editable=False, help_text="The first 8 characters, shown.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list, help_text="What the token may do, e.g. cases:write.")
    # The token acts for this person (history shows them) and never exceeds their role.
    # Deleting the person deletes their tokens.
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Optional. Empty: until revoked.")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} (sd_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > _now())

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])
