"""Types the model client's modules share: the error, one request, and the usage a call cost.

Imported by `connectors.model` (the call) and `connectors.model_errors` (the
SDK's exceptions translated); it imports neither, so the imports stay one-way.
Callers outside the client use `connectors.model`, which re-exports ModelError.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from connectors.base import ConnectorError

DEFAULT_BASE_URL = "https://api.openai.com/v1"
SEED = 20261127  # with temperature 0: the same prompt gives the same answer where the server supports it

# Answer problems a follow-up message can fix (the server answered, the content is unusable).
BAD_ANSWER_CODES = frozenset({"model_not_json", "model_truncated"})
# Failures where asking again later can succeed.
RETRYABLE_CODES = frozenset({"model_timeout", "model_unreachable", "model_rate_limited", "model_server_error"})


class ModelError(ConnectorError):
    """The model could not give a usable answer. `code` is stable; the message says what to fix.

    `retryable` says whether asking again later can help (timeouts, 429, 5xx,
    an unreachable server); `raw` is the model's text when there was one;
    `usage` the tokens and latency the failed call(s) cost, always with the
    model and `error` (the code), so a caller can record what a failure cost.
    `prompt_tokens`/`context_tokens` are set for a context-size overflow.
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
        prompt_tokens: int | None = None,
        context_tokens: int | None = None,
    ):
        message = scrub(message)
        super().__init__(message, system="model", status=status, remote_message=scrub(remote_message))
        self.code = code
        self.message = message
        self.retryable = code in RETRYABLE_CODES
        self.raw = raw
        self.usage = {**(usage or {}), "error": code}
        self.prompt_tokens = prompt_tokens
        self.context_tokens = context_tokens

    @property
    def bad_answer(self) -> bool:
        """True when the server answered but the content was unusable: a follow-up naming the problem may help."""
        return self.code in BAD_ANSWER_CODES


@dataclass(frozen=True)
class ModelRequest:
    """One structured call as sent: its messages, wire schema, output cap and the deadline of all its attempts."""

    model: str
    messages: list[dict]
    schema_name: str
    wire_schema: dict
    max_tokens: int
    deadline: float
    seed: int = SEED

    def retry_with(self, note: dict) -> ModelRequest:
        return replace(self, messages=[*self.messages, note], seed=self.seed + 1)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


def empty_usage(model: str) -> dict:
    return {"model": model, "prompt_tokens": 0, "completion_tokens": 0, "latency_ms": 0, "cached": False}


def usage_since(started: float, model: str) -> dict:
    """The usage of a call that produced no tokens: only the time it took."""
    return {**empty_usage(model), "latency_ms": int((time.monotonic() - started) * 1000)}


def add_usage(total: dict, more: dict) -> dict:
    return {
        "model": more.get("model") or total["model"],
        "prompt_tokens": total["prompt_tokens"] + (more.get("prompt_tokens") or 0),
        "completion_tokens": total["completion_tokens"] + (more.get("completion_tokens") or 0),
        "latency_ms": total["latency_ms"] + (more.get("latency_ms") or 0),
        "cached": False,
    }


def base_url() -> str:
    return settings.OPENAI_BASE_URL or DEFAULT_BASE_URL


def where() -> str:
    """The server's URL without any credentials it may carry."""
    parts = urlsplit(base_url())
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def scrub(text: str) -> str:
    """`text` with the API key masked: no message or log carries it."""
    key = settings.OPENAI_API_KEY
    return text.replace(key, "***") if key and len(key) >= 4 else text
