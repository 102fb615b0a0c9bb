"""zenpy, configured from `connectors.config`, and its failures classified once.

zenpy builds `https://{subdomain}.zendesk.com` URLs. In sandbox mode it gets
a session whose transport adapter sends them to the emulator over HTTP, so no
process-wide ZENPY_FORCE_* variables are needed (two sandboxes can coexist
in one process). The object cache is off (a cached ticket would hide our own
writes from the idempotency check), and `ratelimit_budget=1` stops zenpy from
sleeping on 429 itself: our retry loop honours Retry-After instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

import requests
from django.conf import settings
from zenpy import Zenpy
from zenpy.lib.exception import APIException, RatelimitBudgetExceeded, ZenpyException

from connectors import config, retry, transport
from connectors.base import ConnectorError, PermanentError, RetryableError
from connectors.http_errors import classify_transport

T = TypeVar("T")
SYSTEM = "zendesk"


def connect() -> Zenpy:
    """This process's and thread's client for the configured account (`transport.ClientsPerThread`)."""
    return _clients.get(config.account(SYSTEM))


def forget() -> None:
    """Drop this thread's clients (e.g. after an expired session); the next call makes new ones."""
    _clients.forget()


def _new(account: dict) -> Zenpy:
    session = transport.session(redirect_to=account["url"] if account["sandbox"] else None)
    return Zenpy(
        subdomain=account["subdomain"],
        email=account.get("email") or "",
        token=account["token"],
        session=session,
        timeout=float(getattr(settings, "CONNECTOR_TIMEOUT", 20.0)),
        disable_cache=True,
        ratelimit_budget=1,
    )


_clients = transport.ClientsPerThread(_new)


def _message(response: requests.Response | None, fallback: str) -> str:
    if response is None:
        return fallback
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or fallback
    if isinstance(body, dict):
        parts = [str(body.get("error") or ""), str(body.get("description") or "")]
        for field, problems in (body.get("details") or {}).items():
            parts += [p.get("description", field) for p in problems if isinstance(p, dict)]
        return "; ".join(p for p in parts if p)
    return json.dumps(body)[:500]


def classify(exc: Exception) -> ConnectorError:
    if isinstance(exc, RatelimitBudgetExceeded):
        return RetryableError(
            "zendesk rate limit: Retry-After longer than we wait in-process", system=SYSTEM, status=429
        )
    if isinstance(exc, APIException | requests.HTTPError):
        response = getattr(exc, "response", None)
        if response is not None:
            retry_after = retry.parse_retry_after(response.headers.get("Retry-After"))
            return retry.classify_status(
                response.status_code, _message(response, str(exc)), system=SYSTEM, retry_after=retry_after
            )
    transport_error = classify_transport(exc, system=SYSTEM)
    if transport_error:
        return transport_error
    if isinstance(exc, ZenpyException | APIException):
        return PermanentError(f"zendesk call failed: {exc}", system=SYSTEM, remote_message=str(exc))
    return PermanentError(f"zendesk call failed: {exc!r}", system=SYSTEM)


def call(fn: Callable[[Zenpy], T], *, retried: bool = True) -> T:
    """Run `fn(zenpy)`; with `retried`, through the retry loop. Errors come out classified."""
    return (retry.run if retried else retry.once)(lambda: _attempt(fn), classify=classify)


def _attempt(fn: Callable[[Zenpy], T]) -> T:
    return fn(connect())
