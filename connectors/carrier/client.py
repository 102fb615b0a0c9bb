"""The carrier portal's HTTP client (requests): Bearer auth, JSON, errors classified once."""

from __future__ import annotations

from typing import Any

import requests

from connectors import config, retry, transport
from connectors.base import ConnectorError, PermanentError
from connectors.http_errors import classify_transport

SYSTEM = "carrier"


class StatusError(Exception):
    """A non-2xx answer, kept whole until `classify` turns it into our error."""

    def __init__(self, response: requests.Response):
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return f"{error.get('code')}: {error.get('message')}"
    return str(error or body)[:500]


def classify(exc: Exception) -> ConnectorError:
    if isinstance(exc, StatusError):
        response = exc.response
        return retry.classify_status(
            response.status_code,
            _message(response),
            system=SYSTEM,
            retry_after=retry.parse_retry_after(response.headers.get("Retry-After")),
        )
    return classify_transport(exc, system=SYSTEM) or PermanentError(f"carrier call failed: {exc!r}", system=SYSTEM)


def request(method: str, path: str, *, json: Any = None, idempotency_key: str | None = None) -> Any:
    """One call through the retry loop; the Idempotency-Key makes retrying a write safe."""
    account = config.account(SYSTEM)
    headers = {"Authorization": f"Bearer {account['token']}", "Accept": "application/json"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    session = transport.session()

    def once() -> Any:
        response = session.request(method, f"{account['url']}/api/v1{path}", json=json, headers=headers)
        if not 200 <= response.status_code < 300:
            raise StatusError(response)
        return response.json() if response.content else {}

    return retry.run(once, classify=classify)
