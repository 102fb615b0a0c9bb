"""Refusals about declarations, each with a stable code and a message saying what to fix."""

from __future__ import annotations


class DeclarationError(Exception):
    code = "declaration_invalid"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ImportFailed(DeclarationError):
    code = "import_failed"
