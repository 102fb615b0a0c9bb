"""The jira library, configured from `connectors.config`, and its failures classified once.

The library's own ResilientSession retry is switched off (`max_retries=0`):
it sleeps up to a minute per attempt and would hide failures from our one
retry loop (shared/WIRE.md §7). Clients are cached per account so the
constructor's serverInfo round trip happens once per process.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

from django.conf import settings
from jira import JIRA, JIRAError

from connectors import config, retry
from connectors.base import ConnectorError, PermanentError
from connectors.http_errors import classify_transport

T = TypeVar("T")
SYSTEM = "jira"


@lru_cache(maxsize=8)
def _connect(url: str, user: str, token: str, timeout: float) -> JIRA:
    return JIRA(server=url, basic_auth=(user, token), max_retries=0, timeout=timeout, options={"rest_api_version": "2"})


def connect() -> JIRA:
    account = config.account(SYSTEM)
    timeout = float(getattr(settings, "CONNECTOR_TIMEOUT", 20.0))
    return retry.run(lambda: _connect(account["url"], account["user"], account["token"], timeout), classify=classify)


def browse_url(key: str) -> str:
    return f"{config.account(SYSTEM)['url']}/browse/{key}"


def classify(exc: Exception) -> ConnectorError:
    if isinstance(exc, JIRAError):
        response = exc.response
        retry_after = retry.parse_retry_after(response.headers.get("Retry-After")) if response is not None else None
        status = exc.status_code or (response.status_code if response is not None else None)
        message = _message(exc)
        if status is None:
            cause = classify_transport(exc.__cause__ or exc, system=SYSTEM) if exc.__cause__ else None
            return cause or PermanentError(f"jira call failed: {message}", system=SYSTEM, remote_message=message)
        return retry.classify_status(status, message, system=SYSTEM, retry_after=retry_after)
    transport_error = classify_transport(exc, system=SYSTEM)
    if transport_error:
        return transport_error
    return PermanentError(f"jira call failed: {exc!r}", system=SYSTEM)


def _message(exc: JIRAError) -> str:
    """Jira's errorMessages and field errors, joined; the raw text otherwise."""
    try:
        body = exc.response.json() if exc.response is not None else {}
    except ValueError:
        body = {}
    parts = list(body.get("errorMessages") or []) + [f"{k}: {v}" for k, v in (body.get("errors") or {}).items()]
    return "; ".join(parts) or (exc.text or "")


def call(fn: Callable[[JIRA], T], *, retried: bool = True) -> T:
    """Run `fn(jira)`; with `retried`, through the retry loop. Errors come out classified."""
    jira = connect()
    return (retry.run if retried else retry.once)(lambda: fn(jira), classify=classify)
