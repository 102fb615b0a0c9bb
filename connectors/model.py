"""The one client for the language model: structured answers, cached and metered.

sopdesk asks the model for JSON that matches a schema (a compiled graph, a
judgement) and nothing else, so this module offers exactly one call,
`structured_call`. It talks to any OpenAI-compatible server through the
official `openai` SDK, configured by settings (OPENAI_API_KEY, OPENAI_BASE_URL,
SOPDESK_MODEL, SOPDESK_MODEL_TIMEOUT).

Why the pieces exist
  * Cache: an answer is stored in `ModelCall` under the sha256 of (model,
    schema, messages), so the same prompt is never paid for twice and a
    compile is reproducible. Only answers that are JSON objects are stored; a
    failed call (HTTP error, timeout, text that is not JSON) is not, so trying
    again later can succeed.
  * Strict schemas: OpenAI's strict structured outputs accept a subset of JSON
    Schema (every property required, no free-form maps, no `oneOf`, no
    `default`). Callers hand over their pydantic schema; `strict_schema` turns
    it into the strict form for the wire and `from_strict` turns the answer
    back into the caller's shape, so callers never see the difference.
  * Errors: every failure is a `ModelError` with a stable `code` and a message
    that says what to fix. The API key never appears in a message or a log.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from connectors.base import ConnectorError
from connectors.strict_schema import from_strict, strict_schema

log = logging.getLogger(__name__)

MAX_RETRIES = 2  # the SDK's own retries (429, 5xx, timeouts, connection errors)
DEFAULT_BASE_URL = "https://api.openai.com/v1"

# Answer problems a follow-up message can fix (the server answered, the content is unusable).
BAD_ANSWER_CODES = frozenset({"model_not_json", "model_truncated"})
# Failures where asking again later can succeed.
RETRYABLE_CODES = frozenset({"model_timeout", "model_unreachable", "model_rate_limited", "model_server_error"})


class ModelError(ConnectorError):
    """The model could not give a usable answer. `code` is stable; the message says what to fix.

    `retryable` says whether asking again later can help (timeouts, 429, 5xx,
    an unreachable server); `raw` is the model's text when there was one (for a
    follow-up that quotes it); `usage` the tokens and latency of the failed call.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        raw: str | None = None,
        usage: dict | None = None,
        status: int | None = None,
        remote_message: str = "",
    ):
        message = _scrub(message)
        super().__init__(message, system="model", status=status, remote_message=_scrub(remote_message))
        self.code = code
        self.message = message
        self.retryable = code in RETRYABLE_CODES
        self.raw = raw
        self.usage = usage or {}

    @property
    def bad_answer(self) -> bool:
        """True when the server answered but the content was unusable: a follow-up naming the problem may help."""
        return self.code in BAD_ANSWER_CODES


@dataclass(frozen=True)
class ModelAnswer:
    """A structured answer: `content` in the caller's schema shape, `raw` the text as received."""

    content: dict
    raw: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0
    cached: bool = False
    prompt_hash: str = field(default="", compare=False)

    def usage(self) -> dict:
        return {
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_ms": self.latency_ms,
            "cached": self.cached,
        }


def model_configured() -> bool:
    """Whether a model can be asked at all (an API key is set)."""
    return bool(settings.OPENAI_API_KEY)


def structured_call(
    *, purpose: str, messages: list[dict], schema_name: str, schema: dict, model: str | None = None
) -> ModelAnswer:
    """Ask the model for a JSON object matching `schema`, from the cache when this exact prompt was asked before.

    `schema` is the caller's JSON schema (pydantic's is fine); it is sent in
    strict form and the answer is returned in the caller's shape. A cached
    answer keeps the usage it cost when it was made, with `cached=True`.
    Raises ModelError.
    """
    from connectors.models import ModelCall

    if not model_configured():
        raise ModelError(
            "model_not_configured",
            "no model is configured: set OPENAI_API_KEY (and OPENAI_BASE_URL for a server other than OpenAI)",
        )
    model = model or settings.SOPDESK_MODEL
    wire_schema = strict_schema(schema)
    key = prompt_hash(model=model, schema_name=schema_name, schema=wire_schema, messages=messages)

    hit = ModelCall.objects.filter(prompt_hash=key).first()
    if hit is not None:
        answer = ModelAnswer(
            content=from_strict(json.loads(hit.response), schema),
            raw=hit.response,
            model=hit.model,
            prompt_tokens=hit.prompt_tokens,
            completion_tokens=hit.completion_tokens,
            latency_ms=hit.latency_ms,
            cached=True,
            prompt_hash=key,
        )
        log.info("model call %s served from cache (%s)", purpose, key[:12])
        return answer

    raw, usage = _ask(model=model, messages=messages, schema_name=schema_name, wire_schema=wire_schema)
    content = _json_object(raw, usage=usage)
    ModelCall.objects.get_or_create(
        prompt_hash=key,
        defaults={
            "purpose": purpose[:50],
            "model": model,
            "response": raw,
            "prompt_tokens": usage["prompt_tokens"],
            "completion_tokens": usage["completion_tokens"],
            "latency_ms": usage["latency_ms"],
        },
    )
    log.info(
        "model call %s via %s: %s+%s tokens in %s ms",
        purpose,
        model,
        usage["prompt_tokens"],
        usage["completion_tokens"],
        usage["latency_ms"],
    )
    return ModelAnswer(
        content=from_strict(content, schema),
        raw=raw,
        model=model,
        prompt_tokens=usage["prompt_tokens"],
        completion_tokens=usage["completion_tokens"],
        latency_ms=usage["latency_ms"],
        cached=False,
        prompt_hash=key,
    )


def prompt_hash(*, model: str, schema_name: str, schema: dict, messages: list[dict]) -> str:
    """The cache key: sha256 of everything that shapes the answer, in a canonical JSON form."""
    canonical = json.dumps(
        {"model": model, "schema_name": schema_name, "schema": schema, "messages": messages},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- the call -------------------------------------------------------------------------


def _client():
    from openai import OpenAI

    return OpenAI(
        api_key=settings.OPENAI_API_KEY,
        base_url=_base_url(),
        timeout=settings.SOPDESK_MODEL_TIMEOUT,
        max_retries=MAX_RETRIES,
    )


def _base_url() -> str:
    return settings.OPENAI_BASE_URL or DEFAULT_BASE_URL


def _ask(*, model: str, messages: list[dict], schema_name: str, wire_schema: dict) -> tuple[str, dict]:
    """One chat completion (the SDK retries transient failures); returns the text and its usage."""
    import openai

    started = time.monotonic()
    try:
        with _client() as client:
            completion = client.chat.completions.create(
                model=model,
                messages=messages,
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": schema_name, "schema": wire_schema, "strict": True},
                },
            )
    except openai.APIError as exc:
        raise _from_sdk_error(exc, model=model) from None
    latency_ms = int((time.monotonic() - started) * 1000)

    usage = {
        "model": model,
        "prompt_tokens": getattr(completion.usage, "prompt_tokens", 0) or 0,
        "completion_tokens": getattr(completion.usage, "completion_tokens", 0) or 0,
        "latency_ms": latency_ms,
        "cached": False,
    }
    if not completion.choices:
        raise ModelError("model_empty", f"the model server at {_where()} answered with no choices", usage=usage)
    choice = completion.choices[0]
    message = choice.message
    if getattr(message, "refusal", None):
        raise ModelError("model_refused", f"the model refused to answer: {message.refusal}", usage=usage)
    raw = message.content or ""
    if choice.finish_reason == "length":
        raise ModelError(
            "model_truncated",
            f"the model's answer was cut off at its output limit after {usage['completion_tokens']} tokens, "
            "before the JSON was complete",
            raw=raw,
            usage=usage,
        )
    if choice.finish_reason == "content_filter":
        raise ModelError("model_refused", "the model's content filter stopped the answer", raw=raw, usage=usage)
    return raw, usage


def _json_object(raw: str, *, usage: dict) -> dict:
    if not raw.strip():
        raise ModelError("model_not_json", "the model answered with an empty message, not JSON", raw=raw, usage=usage)
    try:
        content = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ModelError(
            "model_not_json",
            f"the model answered with text that is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno}): "
            f"{_excerpt(raw)}",
            raw=raw,
            usage=usage,
        ) from None
    if not isinstance(content, dict):
        raise ModelError(
            "model_not_json",
            f"the model answered with JSON that is not an object (a {type(content).__name__}): {_excerpt(raw)}",
            raw=raw,
            usage=usage,
        )
    return content


def _from_sdk_error(exc: Exception, *, model: str) -> ModelError:
    """Turn the SDK's exception (after its own retries) into a ModelError that says what to fix."""
    import openai

    where = _where()
    attempts = MAX_RETRIES + 1
    if isinstance(exc, openai.APITimeoutError):
        return ModelError(
            "model_timeout",
            f"the model server at {where} did not answer within {settings.SOPDESK_MODEL_TIMEOUT:g} s "
            f"({attempts} attempts): raise SOPDESK_MODEL_TIMEOUT or check the server",
        )
    if isinstance(exc, openai.APIConnectionError):
        return ModelError(
            "model_unreachable",
            f"could not connect to the model server at {where} ({attempts} attempts): "
            "check OPENAI_BASE_URL and that the server is running",
        )
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        said = _server_message(exc)
        detail = f" ({said})" if said else ""
        if status in (401, 403):
            code, text = "model_auth", f"rejected the API key (HTTP {status}): check OPENAI_API_KEY"
        elif status == 404:
            code = "model_not_found"
            text = f"answered 404 for model {model!r}{detail}: check SOPDESK_MODEL and OPENAI_BASE_URL"
        elif status == 429:
            code = "model_rate_limited"
            text = f"answered 429 (rate limited) {attempts} times{detail}: try again later or raise the rate limit"
        elif status >= 500 or status in (408, 409):
            code, text = "model_server_error", f"answered {status} {attempts} times{detail}: try again later"
        else:
            code = "model_bad_request"
            text = (
                f"refused the request (HTTP {status}){detail}: "
                "check that the model supports structured outputs with a JSON schema"
            )
        return ModelError(code, f"the model server at {where} {text}", status=status, remote_message=said)
    return ModelError("model_error", f"the model call to {where} failed: {exc}")


def _server_message(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    message = body.get("message") if isinstance(body, dict) else None
    return str(message)[:200] if message else ""


def _where() -> str:
    """The server's URL without any credentials it may carry."""
    parts = urlsplit(_base_url())
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _scrub(text: str) -> str:
    key = settings.OPENAI_API_KEY
    return text.replace(key, "***") if key and len(key) >= 4 else text


def _excerpt(raw: str, limit: int = 80) -> str:
    text = " ".join(raw.split())
    return repr(text if len(text) <= limit else text[:limit] + "…")
