"""The openai SDK's exceptions turned into ModelErrors that say what to fix.

Kept apart from the call itself (`connectors.model`) because it is the one
place that knows how servers word their refusals: a context-size overflow
(llama.cpp, OpenAI, vLLM), a schema the server does not support, auth, 404,
429, 5xx, timeouts and unreachable servers.
"""

from __future__ import annotations

import re

from django.conf import settings

from connectors.model_types import ModelError, ModelRequest, usage_since, where

_CONTEXT_PATTERNS = (
    # llama.cpp: "request (2704 tokens) exceeds the available context size (2048 tokens)"
    re.compile(r"\((\d+) tokens\) exceeds the available context size \((\d+) tokens\)", re.I),
    # OpenAI / vLLM: "maximum context length is 4096 tokens. However, you requested 5000 tokens"
    re.compile(r"maximum context length is (\d+) tokens.*?(?:requested|resulted in) (\d+) tokens", re.I | re.S),
)


def context_overflow(said: str) -> tuple[int, int] | None:
    """(prompt tokens, context tokens) when a 400 says the request does not fit the model's context."""
    first, second = _CONTEXT_PATTERNS
    if match := first.search(said):
        return int(match.group(1)), int(match.group(2))
    if match := second.search(said):
        return int(match.group(2)), int(match.group(1))
    return None


def server_message(exc: Exception, limit: int = 200) -> str:
    """The server's own words from an SDK status error, cut to `limit` characters ('' when it said nothing)."""
    body = getattr(exc, "body", None)
    message = body.get("message") if isinstance(body, dict) else None
    return str(message)[:limit] if message else ""


def from_sdk_error(
    exc: Exception, *, request: ModelRequest, started: float, attempts: int, timeout: float
) -> ModelError:
    """Turn the SDK's exception (after its own retries) into a ModelError that says what to fix."""
    import openai

    usage = usage_since(started, request.model)
    plural = "s" if attempts != 1 else ""
    if isinstance(exc, openai.APITimeoutError):
        limit = (
            f"{timeout:g} s (SOPDESK_MODEL_TIMEOUT)"
            if timeout >= float(settings.SOPDESK_MODEL_TIMEOUT)
            else f"{timeout:g} s (what was left of the task's time budget)"
        )
        return ModelError(
            "model_timeout",
            f"the model server at {where()} did not answer within {limit}, "
            f"{attempts} attempt{plural}: raise SOPDESK_MODEL_TIMEOUT or check the server",
            usage=usage,
        )
    if isinstance(exc, openai.APIConnectionError):
        return ModelError(
            "model_unreachable",
            f"could not connect to the model server at {where()} ({attempts} attempt{plural}): "
            "check OPENAI_BASE_URL and that the server is running",
            usage=usage,
        )
    if isinstance(exc, openai.APIStatusError):
        return _from_status(exc, request=request, usage=usage, times=f"{attempts} time{plural}")
    return ModelError("model_error", f"the model call to {where()} failed: {exc}", usage=usage)


def _from_status(exc, *, request: ModelRequest, usage: dict, times: str) -> ModelError:
    status = exc.status_code
    said = server_message(exc)
    detail = f" ({said})" if said else ""
    overflow = context_overflow(server_message(exc, limit=1000)) if status in (400, 413) else None
    if overflow:
        prompt, context = overflow
        return ModelError(
            "model_context_exceeded",
            f"the request is {prompt} tokens; the model's context is {context} tokens: start the server with a "
            "larger context (llama.cpp: --ctx-size) or use a model with a longer context",
            status=status,
            remote_message=said,
            usage={**usage, "prompt_tokens": prompt},
            prompt_tokens=prompt,
            context_tokens=context,
        )
    if status in (401, 403):
        code, text = "model_auth", f"rejected the API key (HTTP {status}): check OPENAI_API_KEY"
    elif status == 404:
        code = "model_not_found"
        text = f"answered 404 for model {request.model!r}{detail}: check SOPDESK_MODEL and OPENAI_BASE_URL"
    elif status == 429:
        code = "model_rate_limited"
        text = f"answered 429 (rate limited) {times}{detail}: try again later or raise the rate limit"
    elif status >= 500 or status in (408, 409):
        code, text = "model_server_error", f"answered {status} {times}{detail}: try again later"
    elif "schema" in said.lower():
        code = "model_schema_unsupported"
        text = (
            f"refused the answer schema {request.schema_name!r} (HTTP {status}){detail}: the server does not "
            "support this JSON schema; use a server with structured outputs (OpenAI, vLLM, llama.cpp's server)"
        )
    else:
        code = "model_bad_request"
        text = f"refused the request (HTTP {status}){detail}"
    return ModelError(code, f"the model server at {where()} {text}", status=status, remote_message=said, usage=usage)
