"""simple-salesforce, configured from `connectors.config`, and its failures classified once.

In sandbox mode the instance is `https://127.0.0.1:PORT` and the transport
adapter sends it to the emulator over plain HTTP (shared/WIRE.md §1b).
simple-salesforce has no retry of its own, so `call` is the only retry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError, SalesforceExpiredSession

from connectors import config, retry, transport
from connectors.base import ConnectorError, PermanentError, RetryableError
from connectors.http_errors import classify_transport

T = TypeVar("T")
SYSTEM = "salesforce"
API_VERSION = "59.0"


def connect() -> Salesforce:
    """This process's and thread's client for the configured account (`transport.ClientsPerThread`)."""
    return _clients.get(config.account(SYSTEM))


def forget() -> None:
    """Drop this thread's clients (e.g. after an expired session); the next call makes new ones."""
    _clients.forget()


def _new(account: dict) -> Salesforce:
    if account["sandbox"]:
        netloc = urlsplit(account["url"]).netloc
        session = transport.session(redirect_to=account["url"])
        return Salesforce(
            instance_url=f"https://{netloc}", session_id=account["session_id"], session=session, version=API_VERSION
        )
    session = transport.session()
    if account.get("username"):
        return Salesforce(
            username=account["username"],
            password=account["password"],
            security_token=account.get("security_token", ""),
            domain=account.get("domain") or "login",
            session=session,
            version=API_VERSION,
        )
    return Salesforce(
        instance_url=account["url"], session_id=account["session_id"], session=session, version=API_VERSION
    )


_clients = transport.ClientsPerThread(_new)


def remote_message(content: object) -> str:
    """The `message` of Salesforce's error list, or the raw body."""
    try:
        body = json.loads(content) if isinstance(content, bytes | str) else content
        if isinstance(body, list) and body and isinstance(body[0], dict):
            return "; ".join(f"{e.get('errorCode')}: {e.get('message')}" for e in body)
    except ValueError:
        pass
    return str(content)[:500]


def classify(exc: Exception) -> ConnectorError:
    transport_error = classify_transport(exc, system=SYSTEM)
    if transport_error:
        return transport_error
    if isinstance(exc, SalesforceAuthenticationFailed):
        return PermanentError(f"salesforce login failed: {exc.message}", system=SYSTEM, remote_message=exc.message)
    if isinstance(exc, SalesforceError):
        message = remote_message(exc.content)
        if exc.status == 403 and "REQUEST_LIMIT_EXCEEDED" in message:
            return RetryableError(
                f"salesforce rate limit: {message}", system=SYSTEM, status=403, remote_message=message
            )
        return retry.classify_status(exc.status, message, system=SYSTEM)
    return PermanentError(f"salesforce call failed: {exc!r}", system=SYSTEM)


def call(fn: Callable[[Salesforce], T], *, retried: bool = True) -> T:
    """Run `fn(sf)`; with `retried`, through the retry loop. Errors come out classified."""
    return (retry.run if retried else retry.once)(lambda: _attempt(fn), classify=classify)


def _attempt(fn: Callable[[Salesforce], T]) -> T:
    try:
        return fn(connect())
    except SalesforceExpiredSession:
        forget()  # a kept client's session ran out: log in again on the next attempt
        raise
