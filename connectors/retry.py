"""The one retry loop every connector uses: capped exponential backoff with full jitter.

Only `RetryableError` is retried; anything else is classified by the caller's
`classify` function (one per system, in `<system>/client.py`) and re-raised
when permanent. `Retry-After` from the remote system is a floor on the delay.
When the remote system asks for longer than `max_delay`, the loop stops and
raises the RetryableError (with `retry_after`) so the engine can reschedule
the step instead of holding a worker asleep.

Writes are not retried blindly: a write handler wraps its whole
"look for an earlier result, then write" sequence in `run`, so an attempt
whose response was lost finds its own earlier write on the next try.

Policy comes from `settings.CONNECTOR_RETRY` (SOPDESK_RETRY_ATTEMPTS,
SOPDESK_RETRY_BASE_DELAY, SOPDESK_RETRY_MAX_DELAY); `sleep` and `rand` are
injectable so tests neither sleep nor depend on chance.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings

from connectors.base import ConnectorError, RetryableError

T = TypeVar("T")
log = logging.getLogger(__name__)
_override: ContextVar[RetryPolicy | None] = ContextVar("retry_policy_override", default=None)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        configured = getattr(settings, "CONNECTOR_RETRY", None) or {}
        return cls(**{k: v for k, v in configured.items() if k in ("attempts", "base_delay", "max_delay")})

    def backoff(self, attempt: int, *, rand: Callable[[], float] = random.random) -> float:
        """Delay before retry number `attempt` (1-based): uniform in [0, min(max, base * 2**(attempt-1))]."""
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1)) * rand()


@contextmanager
def policy_override(policy: RetryPolicy) -> Iterator[None]:
    """Use `policy` for every retry loop in this context (e.g. single attempts for a health check)."""
    token = _override.set(policy)
    try:
        yield
    finally:
        _override.reset(token)


def run(
    call: Callable[[], T],
    *,
    classify: Callable[[Exception], ConnectorError],
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
    on_retry: Callable[[int, ConnectorError, float], None] | None = None,
) -> T:
    """Call `call` until it succeeds, fails permanently, or the attempts run out.

    Exceptions that are not already ConnectorErrors go through `classify`.
    The last error is raised with the original exception as its cause.
    """
    policy = policy or _override.get() or RetryPolicy.from_settings()
    attempt = 0
    while True:
        attempt += 1
        try:
            return call()
        except Exception as exc:
            error = exc if isinstance(exc, ConnectorError) else classify(exc)
            if not error.retryable or attempt >= policy.attempts:
                if error is exc:
                    raise
                raise error from exc
            retry_after = error.retry_after if isinstance(error, RetryableError) else None
            if retry_after is not None and retry_after > policy.max_delay:
                raise error from exc
            delay = max(policy.backoff(attempt, rand=rand), retry_after or 0.0)
            log.debug("retrying %s after %s (attempt %d, wait %.2fs)", error.system, error, attempt, delay)
            if on_retry:
                on_retry(attempt, error, delay)
            if delay > 0:
                sleep(delay)


def once(call: Callable[[], T], *, classify: Callable[[Exception], ConnectorError]) -> T:
    """Call `call` one time; a failure comes out classified like `run`'s, without retrying."""
    try:
        return call()
    except ConnectorError:
        raise
    except Exception as exc:
        raise classify(exc) from exc


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds form); None when absent or an HTTP date we ignore."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def classify_status(status: int, message: str, *, system: str, retry_after: float | None = None) -> ConnectorError:
    """The shared HTTP rule: 408, 429 and 5xx are retryable; other 4xx are permanent."""
    from connectors.base import NotFound, PermanentError

    text = f"{system} answered {status}: {message}" if message else f"{system} answered {status}"
    if status in (408, 425, 429) or status >= 500:
        return RetryableError(text, system=system, status=status, remote_message=message, retry_after=retry_after)
    if status == 404:
        return NotFound(text, system=system, status=status, remote_message=message)
    return PermanentError(text, system=system, status=status, remote_message=message)
