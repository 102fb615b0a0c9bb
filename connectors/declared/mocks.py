"""Mocks: scripted answers per input, so an SOP using a team's tools can be walked through safely.

Dry runs, "try on a sample case", replay and tests call `respond` instead of
the real system. Rows are tried most specific first (more matched inputs
first, then their position); a row with an empty match answers anything.
Values match as text, because step parameters are rendered templates.
"""

from __future__ import annotations

from typing import Any

from connectors.base import NotFound, PermanentError, RetryableError
from connectors.declared.spec import Mock, OperationSpec


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _matches(mock: Mock, params: dict[str, Any]) -> bool:
    return all(name in params and _text(params[name]) == _text(want) for name, want in mock.match.items())


def choose(spec: OperationSpec, params: dict[str, Any]) -> Mock | None:
    ranked = sorted(enumerate(spec.mocks), key=lambda pair: (-len(pair[1].match), pair[0]))
    return next((mock for _, mock in ranked if _matches(mock, params)), None)


def respond(spec: OperationSpec, params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    mock = choose(spec, params)
    system = spec.system
    if mock is None:
        shown = ", ".join(f"{k}={_text(v)}" for k, v in sorted(params.items())) or "no inputs"
        raise PermanentError(
            f"the mock of {spec.name} has no answer for {shown}: add a row for it in the admin", system=system
        )
    message = str(mock.result.get("message") or "") if isinstance(mock.result, dict) else ""
    if mock.error == "not_found":
        raise NotFound(f"{spec.name} (mock): not found {message}".strip(), system=system, status=404)
    if mock.error == "retryable":
        raise RetryableError(
            f"{spec.name} (mock): temporarily unavailable {message}".strip(), system=system, status=503
        )
    if mock.error:
        raise PermanentError(f"{spec.name} (mock): rejected {message}".strip(), system=system, status=422)
    facts = {o.name: None for o in spec.outputs}
    facts.update(mock.result or {})
    return facts
