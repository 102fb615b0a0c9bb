"""One shape for every API error, and the one DRF exception handler that produces it.

    {"error": {"code": "invalid", "message": "Fix the fields named below.",
               "fields": {"source": ["This field is required."]}}}

`code` is stable (clients branch on it), `message` says what to do, `fields`
(present on field errors) names each field and what to fix. Domain errors
(procedures.errors, the case engine's errors, the inbox's) keep their own
`code`. Anything unexpected is logged with its traceback and answered with a
plain 500 body that leaks nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger("sopdesk.api")

# DRF exception class → (stable code, message telling the client what to do).
_CODES: dict[type[exceptions.APIException], tuple[str, str]] = {
    exceptions.ParseError: ("malformed_request", "The request body could not be parsed. Send valid JSON."),
    exceptions.NotAuthenticated: (
        "not_authenticated",
        "Sign in, or send an API token as 'Authorization: Bearer sd_<prefix>_<secret>'.",
    ),
    exceptions.AuthenticationFailed: (
        "authentication_failed",
        "The credentials were not accepted: the token is unknown, revoked or expired.",
    ),
    exceptions.PermissionDenied: ("permission_denied", "You (or this token) may not do this."),
    exceptions.NotFound: ("not_found", "Nothing exists at this address. Check the id in the URL."),
    exceptions.MethodNotAllowed: ("method_not_allowed", "This method is not allowed here."),
    exceptions.NotAcceptable: ("not_acceptable", "Ask for application/json."),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", "Send the body as application/json."),
    exceptions.Throttled: ("throttled", "Too many requests. Wait and try again."),
}


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = "The request body is too large."


class Unavailable(exceptions.APIException):
    """Stored but not processed yet (503): the client may retry with the same Idempotency-Key."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "unavailable"
    default_detail = "The service cannot process this right now; retry shortly."


class Conflict(exceptions.APIException):
    """The request is well-formed but the resource's state does not allow it (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The resource's current state does not allow this."

    def __init__(self, message: str, *, code: str = "conflict", fields: dict | None = None, issues=None):
        super().__init__(message, code)
        self.error_code = code
        self.fields = fields or {}
        self.issues = list(issues or [])


class Invalid(exceptions.APIException):
    """A domain refusal about the request's content (400), with the stable code of the domain error."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, message: str, *, code: str = "invalid", fields: dict | None = None, issues=None):
        super().__init__(message, code)
        self.error_code = code
        self.fields = fields or {}
        self.issues = list(issues or [])


def error_body(code: str, message: str, fields: dict | None = None, **extra: Any) -> dict:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    error.update({k: v for k, v in extra.items() if v})
    return {"error": error}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested ValidationError detail → {"field.sub": ["what to fix", ...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "body" if key == "non_field_errors" and not prefix else f"{prefix}{key}"
            for field, messages in _flatten(value, f"{name}.").items():
                out.setdefault(field, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out[prefix.rstrip(".") or "body"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                for field, messages in _flatten(item, f"{prefix}{index}.").items():
                    out.setdefault(field, []).extend(messages)
    else:
        out[prefix.rstrip(".") or "body"] = [str(detail)]
    return out


def _validation(exc: exceptions.ValidationError) -> dict:
    fields = _flatten(exc.detail)
    names = ", ".join(sorted(fields))
    return error_body("invalid", f"Fix these fields and send the request again: {names}.", fields)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error as {"error": {code, message, fields?}}."""
    headers: dict[str, str] = {}
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError()
    domain = _domain_error(exc)
    if domain is not None:
        exc = domain

    if isinstance(exc, exceptions.ValidationError):
        body, code = _validation(exc), exc.status_code
    elif isinstance(exc, (Conflict, Invalid)):
        body = error_body(exc.error_code, str(exc.detail), exc.fields, issues=exc.issues)
        code = exc.status_code
    elif isinstance(exc, RequestTooLarge):
        from django.conf import settings

        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = error_body("request_too_large", f"The body is larger than {limit:,} bytes. Send less data.")
        code = exc.status_code
    elif isinstance(exc, exceptions.APIException):
        code = exc.status_code
        error_code, message = _CODES.get(type(exc), (str(exc.default_code), str(exc.detail)))
        if isinstance(exc, exceptions.Throttled):
            message = f"Too many requests. Try again in {int(exc.wait or 0) + 1} seconds."
        elif isinstance(exc, (exceptions.UnsupportedMediaType, exceptions.NotAcceptable)):
            message = f"{exc.detail} {message}"
        elif str(exc.detail) != str(type(exc).default_detail):
            message = str(exc.detail)  # the specific reason the view or authenticator gave
        body = error_body(error_code, message)
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait) + 1)
    else:
        view = context.get("view")
        logger.exception("unhandled error in %s", type(view).__name__ if view else "API view")
        body = error_body("server_error", "Something went wrong on our side. It has been logged; try again later.")
        code = status.HTTP_500_INTERNAL_SERVER_ERROR
    return Response(body, status=code, headers=headers)


def _domain_error(exc: Exception) -> exceptions.APIException | None:
    """Our apps' errors (each with a stable `code`) as API exceptions; None for anything else."""
    from procedures.errors import ProcedureError

    if isinstance(exc, ProcedureError):
        conflict = {"version_locked", "version_not_publishable", "version_not_compiled", "rollback_invalid"}
        source = {"source_empty", "source_too_large", "source_not_text", "source_did_not_compile"}
        fields = {"source": [exc.message]} if exc.code in source else None
        cls = Conflict if exc.code in conflict else Invalid
        return cls(exc.message, code=exc.code, fields=fields, issues=exc.issues)
    from cases.services import RunError
    from reviews.services import ReviewError

    if isinstance(exc, ReviewError):
        if exc.status == 403:
            return exceptions.PermissionDenied(exc.message)
        if exc.status == 404:
            return exceptions.NotFound(exc.message)
        cls = Conflict if exc.status == 409 else Invalid
        fields = (
            {"outcome": [exc.message]}
            if exc.code == "outcome"
            else {"params": [exc.message]}
            if exc.code == "params"
            else None
        )
        return cls(exc.message, code=exc.code, fields=fields)
    if isinstance(exc, RunError):
        return Conflict(str(exc), code=exc.code)
    return None
