"""`http.request`: call a named endpoint from SOPDESK_HTTP_ENDPOINTS (or the sandbox hooks).

The endpoint is a *name*, never a URL from the SOP or the case, so a ticket
cannot make sopdesk call an address nobody configured. Writes carry
`Idempotency-Key: sd-<hash>`; receivers that honour it make a retried call
harmless, which is why the call is retried as a whole.
"""

from __future__ import annotations

from typing import Any

import requests

from connectors import config, idempotency, retry, transport
from connectors.base import ConnectorError, PermanentError
from connectors.http_errors import classify_transport

SYSTEM = "http"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class StatusError(Exception):
    def __init__(self, response: requests.Response):
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def classify(exc: Exception) -> ConnectorError:
    if isinstance(exc, StatusError):
        response = exc.response
        return retry.classify_status(
            response.status_code,
            response.text[:500],
            system=SYSTEM,
            retry_after=retry.parse_retry_after(response.headers.get("Retry-After")),
        )
    return classify_transport(exc, system=SYSTEM) or PermanentError(f"http call failed: {exc!r}", system=SYSTEM)


def request(params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    base = config.http_endpoint(str(params["endpoint"]))
    method = str(params.get("method") or "POST").upper()
    if method not in METHODS:
        raise PermanentError(f"unsupported HTTP method {method}", system=SYSTEM)
    path = str(params.get("path") or "")
    if path and not path.startswith("/"):
        path = "/" + path
    if ".." in path or "://" in path:
        raise PermanentError(f"path {path!r} must stay under the endpoint", system=SYSTEM)
    headers = {"Accept": "application/json"}
    if method != "GET":
        headers["Idempotency-Key"] = idempotency.token(idempotency_key)
    session = transport.session()

    def once() -> dict[str, Any]:
        response = session.request(method, base + path, json=params.get("body"), headers=headers)
        if not 200 <= response.status_code < 300:
            raise StatusError(response)
        try:
            body: Any = response.json() if response.content else None
        except ValueError:
            body = response.text
        return {"status": response.status_code, "body": body}

    return retry.run(once, classify=classify)
