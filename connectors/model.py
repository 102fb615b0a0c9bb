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
import re
import time
from dataclasses import dataclass, field

from django.conf import settings

from connectors.model_errors import context_overflow, from_sdk_error, server_message
from connectors.model_types import (
    SEED,
    ModelError,
    ModelRequest,
    add_usage,
    base_url,
    empty_usage,
    usage_since,
    where,
)
from connectors.strict_schema import from_strict, strict_schema

__all__ = [
    "MAX_TOKENS",
    "SEED",
    "ModelAnswer",
    "ModelError",
    "call_budget",
    "model_configured",
    "prompt_hash",
    "structured_call",
]

log = logging.getLogger(__name__)

# Output budget per kind of call: an answer longer than this is a loop, not an answer.
MAX_TOKENS = {"judgement": 500, "clause": 400, "compile": 4096}
DEFAULT_MAX_TOKENS = 1024
MAX_SDK_RETRIES = 2  # the SDK's own retries (429, 5xx, timeouts, connection errors), when the budget allows
TASK_MARGIN_SECONDS = 15  # of the task timeout, kept for the task's own work around the model call
RETRY_SLACK_SECONDS = 2  # the SDK's backoff between attempts, roughly
MIN_ATTEMPT_SECONDS = 1.0

# Schema keywords a server may refuse (OpenAI strict mode and maxLength); dropped and the call repeated.
DROPPABLE_KEYWORDS = frozenset({"maxLength", "minLength", "maxItems", "minItems", "pattern", "format"})

TRUNCATED_NOTE = (
    "Your previous answer was cut off at the output limit ({tokens} tokens) before the JSON was complete. "
    "Answer again with a much shorter JSON object: keep every text field to one short sentence and every list short."
)


@dataclass(frozen=True)
class ModelAnswer:
    """A structured answer: `content` in the caller's schema shape, `raw` the text as received.

    `model` is the model that answered (the response's `model`), which may
    differ from the one asked for. The answer is cached only when the caller
    calls `accept()` after checking it, so a rejected answer is asked again
    next time instead of being replayed; `reject()` forgets a cached one.
    Tokens and latency include any attempt that had to be repeated (a cut-off answer).
    """

    content: dict
    raw: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0
    cached: bool = False
    prompt_hash: str = field(default="", compare=False)
    purpose: str = field(default="", compare=False)
    attempts: int = field(default=1, compare=False)

    def usage(self) -> dict:
        return {
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_ms": self.latency_ms,
            "cached": self.cached,
        }

    def accept(self) -> None:
        """Cache this answer for its prompt: the caller checked it and uses it."""
        from connectors.models import ModelCall

        if self.cached or not self.prompt_hash:
            return
        ModelCall.objects.get_or_create(
            prompt_hash=self.prompt_hash,
            defaults={
                "purpose": self.purpose[:50],
                "model": self.model[:100],
                "response": self.raw,
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "latency_ms": self.latency_ms,
            },
        )

    def reject(self) -> None:
        """Forget this answer if it came from the cache: the caller can no longer use it."""
        from connectors.models import ModelCall

        if self.cached and self.prompt_hash:
            ModelCall.objects.filter(prompt_hash=self.prompt_hash).delete()


def model_configured() -> bool:
    """Whether a model can be asked at all (an API key is set)."""
    return bool(settings.OPENAI_API_KEY)


def structured_call(
    *,
    purpose: str,
    messages: list[dict],
    schema_name: str,
    schema: dict,
    model: str | None = None,
    max_tokens: int | None = None,
) -> ModelAnswer:
    """Ask the model for a JSON object matching `schema`, from the cache when this exact prompt was accepted before.

    `schema` is the caller's JSON schema (pydantic's is fine); it is sent in
    strict form and the answer is returned in the caller's shape. The call is
    deterministic where the server allows (temperature 0, a fixed seed), its
    output is capped by `max_tokens` (default: by `purpose`, see MAX_TOKENS),
    and every attempt together fits in the task timeout. An answer cut off at
    the output limit is asked once more, without quoting the cut-off text.
    Call `accept()` on the answer once it passed the caller's checks.
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
        log.info("model call %s served from cache (%s)", purpose, key[:12])
        return ModelAnswer(
            content=from_strict(json.loads(hit.response), schema),
            raw=hit.response,
            model=hit.model,
            prompt_tokens=hit.prompt_tokens,
            completion_tokens=hit.completion_tokens,
            latency_ms=hit.latency_ms,
            cached=True,
            prompt_hash=key,
            purpose=purpose,
        )

    request = ModelRequest(
        model=model,
        messages=messages,
        schema_name=schema_name,
        wire_schema=wire_schema,
        max_tokens=max_tokens or MAX_TOKENS.get(purpose, DEFAULT_MAX_TOKENS),
        deadline=time.monotonic() + call_budget(),
    )
    spent = empty_usage(model)
    attempts = 0
    while True:
        attempts += 1
        try:
            raw, usage = _ask(request)
        except ModelError as exc:
            spent = add_usage(spent, exc.usage)
            exc.usage = {**spent, "error": exc.code}
            if exc.code != "model_truncated" or attempts > 1:
                raise
            # A loop repeats itself when shown its own output: ask afresh, with a note and another seed.
            note = TRUNCATED_NOTE.format(tokens=exc.usage.get("completion_tokens_last", request.max_tokens))
            request = request.retry_with({"role": "user", "content": note})
            log.info("model call %s cut off at the output limit; asking once more", purpose)
            continue
        spent = add_usage(spent, usage)
        break
    content = _json_object(raw, usage=spent)
    log.info(
        "model call %s via %s: %s+%s tokens in %s ms",
        purpose,
        spent["model"],
        spent["prompt_tokens"],
        spent["completion_tokens"],
        spent["latency_ms"],
    )
    return ModelAnswer(
        content=from_strict(content, schema),
        raw=raw,
        model=spent["model"],
        prompt_tokens=spent["prompt_tokens"],
        completion_tokens=spent["completion_tokens"],
        latency_ms=spent["latency_ms"],
        cached=False,
        prompt_hash=key,
        purpose=purpose,
        attempts=attempts,
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


def call_budget() -> float:
    """Seconds all attempts of one call may take together: the task timeout less a margin for the task itself.

    The SDK's retries each wait up to SOPDESK_MODEL_TIMEOUT; unbounded, three
    of them outlast a 120 s task and the worker is killed mid-call.
    """
    task_timeout = float((getattr(settings, "Q_CLUSTER", None) or {}).get("timeout") or 120)
    return max(MIN_ATTEMPT_SECONDS * 5, task_timeout - TASK_MARGIN_SECONDS)


# --- the call -------------------------------------------------------------------------


@dataclass
class _Profile:
    """What one server accepts, learned from its 400s (kept per base URL and model for the process)."""

    response_format: str = "json_schema"  # or json_object
    dropped_keywords: frozenset = frozenset()
    send_temperature: bool = True
    send_seed: bool = True
    tokens_param: str = "max_tokens"


_PROFILES: dict[tuple[str, str], _Profile] = {}


def _profile(model: str) -> _Profile:
    return _PROFILES.setdefault((base_url(), model), _Profile())


def _attempt_plan(remaining: float) -> tuple[float, int]:
    """(timeout per attempt, SDK retries) so that every attempt together fits in `remaining` seconds."""
    timeout = max(MIN_ATTEMPT_SECONDS, min(float(settings.SOPDESK_MODEL_TIMEOUT), remaining))
    fits = int(remaining // (timeout + RETRY_SLACK_SECONDS))
    return timeout, max(0, min(MAX_SDK_RETRIES, fits - 1))


def _ask(request: ModelRequest) -> tuple[str, dict]:
    """One chat completion (the SDK retries transient failures within the budget); returns the text and usage.

    A 400 that says what the server does not support (a schema keyword, the
    json_schema response format, temperature or seed, max_tokens) is answered
    by leaving that out and asking again; anything else is a ModelError.
    """
    import openai
    from openai import OpenAI

    profile = _profile(request.model)
    started = time.monotonic()
    for _ in range(6):  # at most one adaptation per thing a server can refuse
        remaining = request.remaining()
        if remaining < MIN_ATTEMPT_SECONDS:
            raise _out_of_time(request, started)
        timeout, retries = _attempt_plan(remaining)
        try:
            with OpenAI(
                api_key=settings.OPENAI_API_KEY, base_url=base_url(), timeout=timeout, max_retries=retries
            ) as client:
                completion = client.chat.completions.create(**_wire(request, profile))
        except openai.BadRequestError as exc:
            said = server_message(exc, limit=1000)
            if not context_overflow(said) and _adapt(profile, said):
                continue
            raise from_sdk_error(exc, request=request, started=started, attempts=1, timeout=timeout) from None
        except openai.APIError as exc:
            raise from_sdk_error(exc, request=request, started=started, attempts=retries + 1, timeout=timeout) from None
        break
    else:
        raise ModelError(
            "model_schema_unsupported",
            f"the model server at {where()} kept refusing the request after sopdesk left out everything it said it "
            "does not support: use a server with structured outputs (JSON schema or JSON mode)",
            usage=usage_since(started, request.model),
        )
    return _answer_text(completion, request=request, started=started)


def _wire(request: ModelRequest, profile: _Profile) -> dict:
    """The request body for what this server accepts."""
    messages = request.messages
    if profile.response_format == "json_schema":
        schema = _without(request.wire_schema, profile.dropped_keywords)
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": request.schema_name, "schema": schema, "strict": True},
        }
    else:
        response_format = {"type": "json_object"}
        shape = json.dumps(request.wire_schema, separators=(",", ":"))
        messages = [
            *messages[:1],
            {"role": "system", "content": f"Answer with one JSON object that matches this JSON schema:\n{shape}"},
            *messages[1:],
        ]
    body: dict = {"model": request.model, "messages": messages, "response_format": response_format}
    body[profile.tokens_param] = request.max_tokens
    if profile.send_temperature:
        body["temperature"] = 0
    if profile.send_seed:
        body["seed"] = request.seed
    return body


_NOT_PERMITTED = re.compile(r"'(\w+)' is not (?:permitted|supported|allowed)", re.I)
_REFUSAL_WORDS = ("unsupported", "not supported", "does not support", "unknown", "unrecognized", "not permitted")


def _adapt(profile: _Profile, said: str) -> bool:
    """Learn from a 400 what to leave out; True when the request changed and is worth sending again."""
    text = said or ""
    refused = {k for k in _NOT_PERMITTED.findall(text) if k in DROPPABLE_KEYWORDS} - profile.dropped_keywords
    if refused and profile.response_format == "json_schema":
        profile.dropped_keywords = profile.dropped_keywords | refused
        return True
    lowered = text.lower()
    if any(word in lowered for word in _REFUSAL_WORDS):
        if profile.send_temperature and re.search(r"\btemperature\b", lowered):
            profile.send_temperature = False
            return True
        if profile.send_seed and re.search(r"\bseed\b", lowered):
            profile.send_seed = False
            return True
        if profile.tokens_param == "max_tokens" and re.search(r"\bmax_tokens\b", lowered):
            profile.tokens_param = "max_completion_tokens"
            return True
    format_refused = ("json_schema" in lowered or "response_format" in lowered) and any(
        w in lowered for w in ("not supported", "unsupported", "not support", "unknown", "invalid value", "must be")
    )
    if format_refused and "invalid schema" not in lowered and profile.response_format == "json_schema":
        profile.response_format = "json_object"
        return True
    return False


def _without(node: object, keywords: frozenset) -> object:
    if not keywords:
        return node
    if isinstance(node, dict):
        return {
            k: (
                _without(v, keywords)
                if k not in ("properties", "$defs")
                else {n: _without(x, keywords) for n, x in v.items()}
            )
            for k, v in node.items()
            if k not in keywords
        }
    if isinstance(node, list):
        return [_without(v, keywords) for v in node]
    return node


def _answer_text(completion, *, request: ModelRequest, started: float) -> tuple[str, dict]:
    usage = {
        "model": getattr(completion, "model", None) or request.model,
        "prompt_tokens": getattr(completion.usage, "prompt_tokens", 0) or 0,
        "completion_tokens": getattr(completion.usage, "completion_tokens", 0) or 0,
        "latency_ms": int((time.monotonic() - started) * 1000),
        "cached": False,
    }
    if not completion.choices:
        raise ModelError("model_empty", f"the model server at {where()} answered with no choices", usage=usage)
    choice = completion.choices[0]
    message = choice.message
    if getattr(message, "refusal", None):
        raise ModelError("model_refused", f"the model refused to answer: {message.refusal}", usage=usage)
    raw = message.content or ""
    if choice.finish_reason == "length":
        raise ModelError(
            "model_truncated",
            f"the model's answer was cut off at its output limit after {usage['completion_tokens']} tokens "
            f"(max_tokens {request.max_tokens}), before the JSON was complete",
            raw=raw,
            usage={**usage, "completion_tokens_last": usage["completion_tokens"]},
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


def _out_of_time(request: ModelRequest, started: float) -> ModelError:
    return ModelError(
        "model_timeout",
        f"the model server at {where()} used the whole time budget of {call_budget():g} s for one call "
        "(SOPDESK_TASK_TIMEOUT less a margin): raise SOPDESK_TASK_TIMEOUT or use a faster model",
        usage=usage_since(started, request.model),
    )


def _excerpt(raw: str, limit: int = 80) -> str:
    text = " ".join(raw.split())
    return repr(text if len(text) <= limit else text[:limit] + "…")
