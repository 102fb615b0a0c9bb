"""Classifying the transport failures every requests-based library shares."""

from __future__ import annotations

import requests

from connectors.base import ConnectorError, PermanentError, RetryableError


def classify_transport(exc: Exception, *, system: str) -> ConnectorError | None:
    """Timeouts and connection errors are retryable; other requests errors are permanent. None if not ours."""
    if isinstance(exc, requests.Timeout | requests.ConnectionError):
        return RetryableError(f"{system} unreachable: {type(exc).__name__}", system=system)
    if isinstance(exc, requests.RequestException):
        return PermanentError(f"{system} request failed: {exc}", system=system)
    return None
