"""What every connector operation shares: how it is called and how it fails.

An operation handler (see `connectors.registry`) is a plain function

    handler(params: dict, *, idempotency_key: str | None = None) -> dict

that returns the facts its registry entry declares in `returns`. Writes must
use `idempotency_key` so that calling the handler twice with the same key
leaves one remote object and returns the same result. Failures are raised as
one of the errors below; `retryable` tells the caller whether trying again
later can help.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """A call to an outside system failed. `remote_message` is what the system said."""

    code = "connector_error"
    retryable = False

    def __init__(self, message: str, *, system: str = "", status: int | None = None, remote_message: str = ""):
        super().__init__(message)
        self.system = system
        self.status = status
        self.remote_message = remote_message


class RetryableError(ConnectorError):
    """Timeouts, connection errors, 429 and 5xx: trying again later can succeed."""

    code = "retryable"
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class PermanentError(ConnectorError):
    """4xx and validation failures: the same call will fail again until someone changes something."""

    code = "permanent"


class NotFound(PermanentError):
    """A read found nothing (e.g. no Salesforce account for the requester)."""

    code = "not_found"


class Ambiguous(PermanentError):
    """A read found several candidates where one was expected (e.g. two accounts match)."""

    code = "ambiguous"

    def __init__(self, message: str, *, candidates: list[dict] | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.candidates = candidates or []


class NotConfigured(PermanentError):
    """The account for this system has no URL or credentials configured."""

    code = "not_configured"
