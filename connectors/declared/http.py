"""The executor of declared HTTP operations.

One keep-alive `requests` session per endpoint (per process, replaced when
the endpoint changes), the shared retry loop and HTTP failure rule
(`retry.classify_status`), and for writes the idempotency header carrying
`idempotency.token(key)`, so a retried or repeated write is one write for a
receiver that honours it.
"""

from __future__ import annotations

import threading
from typing import Any

import requests

from connectors import idempotency, retry, transport
from connectors.base import ConnectorError, PermanentError
from connectors.declared import extract, secrets, templates
from connectors.declared.spec import EndpointSpec, OperationSpec
from connectors.http_errors import classify_transport

_sessions: dict[tuple[str, str], requests.Session] = {}
_lock = threading.Lock()


class StatusError(Exception):
    def __init__(self, response: requests.Response):
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _session(endpoint: EndpointSpec) -> requests.Session:
    key = (endpoint.name, endpoint.version)
    with _lock:
        session = _sessions.get(key)
        if session is None:
            for stale in [k for k in _sessions if k[0] == endpoint.name]:
                _sessions.pop(stale).close()
            session = _sessions[key] = transport.session()
        return session


def classifier(system: str):
    def classify(exc: Exception) -> ConnectorError:
        if isinstance(exc, StatusError):
            response = exc.response
            return retry.classify_status(
                response.status_code,
                response.text[:500],
                system=system,
                retry_after=retry.parse_retry_after(response.headers.get("Retry-After")),
            )
        return classify_transport(exc, system=system) or PermanentError(f"{system} call failed: {exc!r}", system=system)

    return classify


def _coerce_inputs(spec: OperationSpec, params: dict[str, Any]) -> dict[str, Any]:
    props = (spec.input_schema or {}).get("properties") or {}
    out = dict(params)
    for name, value in params.items():
        kind = (props.get(name) or {}).get("type")
        if not isinstance(value, str) or kind not in ("integer", "number", "boolean"):
            continue
        try:
            out[name] = (
                int(value) if kind == "integer" else float(value) if kind == "number" else value.lower() == "true"
            )
        except ValueError:
            raise PermanentError(f"{spec.name}: input {name}={value!r} is not a {kind}", system=spec.system) from None
    return out


def build_request(spec: OperationSpec, params: dict[str, Any]) -> tuple[str, str, dict, Any]:
    """(method, url, query, json body) for one call, from the declaration's templates."""
    endpoint = spec.endpoint
    if endpoint is None:
        raise PermanentError(f"{spec.name} has no endpoint: choose one in the admin", system=spec.system)
    inputs = _coerce_inputs(spec, params)
    path = templates.fill_path(spec.path, inputs, system=spec.system)
    if ".." in path.split("?")[0].split("/"):
        raise PermanentError(f"{spec.name}: the path must stay under the endpoint", system=spec.system)
    query = templates.fill(spec.query or {}, inputs, system=spec.system)
    method = spec.method.upper()
    body = None
    if spec.body is not None:
        body = templates.fill(spec.body, inputs, system=spec.system)
    elif method not in ("GET", "DELETE"):
        used = templates.names(spec.path) | templates.names(spec.query)
        body = {k: v for k, v in inputs.items() if k not in used}
    return method, endpoint.base_url.rstrip("/") + path, query, body


def execute(spec: OperationSpec, params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    method, url, query, body = build_request(spec, params)
    credentials = spec.endpoint.credentials
    secret = secrets.resolve(
        secret_env=credentials.secret_env, secret_sealed=credentials.secret_sealed, system=spec.system
    )
    headers, basic = secrets.auth_headers(auth=credentials.auth, auth_header=credentials.auth_header, secret=secret)
    headers["Accept"] = "application/json"
    if spec.writes and spec.idempotency_header:
        headers[spec.idempotency_header] = idempotency.token(idempotency_key)
    session = _session(spec.endpoint)

    def once() -> dict[str, Any]:
        response = session.request(
            method, url, params=query or None, json=body, headers=headers, auth=basic, timeout=spec.timeout
        )
        if not 200 <= response.status_code < 300:
            raise StatusError(response)
        if not response.content:
            document: Any = {}
        else:
            try:
                document = response.json()
            except ValueError:
                raise PermanentError(
                    f"{spec.name}: the answer is not JSON ({response.text[:100]!r})", system=spec.system
                ) from None
        return extract.facts(document, spec.outputs, system=spec.system)

    policy = retry.RetryPolicy.from_settings()
    if spec.retry_attempts:
        policy = retry.RetryPolicy(spec.retry_attempts, policy.base_delay, policy.max_delay)
    # A policy imposed by the caller (a health check's single attempt) wins over the declaration's.
    return retry.run(once, classify=classifier(spec.system), policy=retry._override.get() or policy)
