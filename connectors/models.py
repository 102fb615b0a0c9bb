"""What connectors remember: model calls (cache and usage) and writes made.

ModelCall caches a model answer by the hash of its prompt and records its
usage. WriteRecord is the idempotency ledger for writes the remote system
cannot deduplicate itself (an email cannot be unsent): a key recorded here is
not written again.
"""

from __future__ import annotations

from django.db import models


class ModelCall(models.Model):
    prompt_hash = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=50, help_text="compile, judgement, ...")
    model = models.CharField(max_length=100)
    response = models.TextField(blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.purpose} via {self.model} ({self.prompt_hash[:8]})"


class WriteRecord(models.Model):
    operation = models.CharField(max_length=100)
    idempotency_key = models.CharField(max_length=200, unique=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.operation} {self.idempotency_key}"


from connectors.declared.models import (  # noqa: E402  (declared tools live in their own package)
    CustomField,
    DeclaredOperation,
    Endpoint,
    McpServer,
    MockResponse,
    RegistryState,
)

__all__ = [
    "CustomField",
    "DeclaredOperation",
    "Endpoint",
    "McpServer",
    "MockResponse",
    "ModelCall",
    "RegistryState",
    "WriteRecord",
]
