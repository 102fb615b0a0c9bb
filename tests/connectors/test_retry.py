"""The one retry loop: backoff, jitter, Retry-After, permanent errors — with a fake clock."""

from __future__ import annotations

import pytest

from connectors.base import PermanentError, RetryableError
from connectors.retry import RetryPolicy, classify_status, parse_retry_after, run


class Flaky:
    def __init__(self, *errors: Exception, result: str = "ok"):
        self.errors = list(errors)
        self.calls = 0
        self.result = result

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.result


def never(exc: Exception):
    raise AssertionError(f"classify called for {exc!r}")


def test_retryable_errors_are_retried_with_capped_exponential_backoff():
    sleeps: list[float] = []
    flaky = Flaky(*[RetryableError("503", system="x") for _ in range(5)])
    policy = RetryPolicy(attempts=6, base_delay=1.0, max_delay=4.0)

    assert run(flaky, classify=never, policy=policy, sleep=sleeps.append, rand=lambda: 1.0) == "ok"

    assert flaky.calls == 6
    assert sleeps == [1.0, 2.0, 4.0, 4.0, 4.0]


def test_jitter_scales_the_delay_down():
    sleeps: list[float] = []
    flaky = Flaky(RetryableError("503", system="x"), RetryableError("503", system="x"))
    run(
        flaky,
        classify=never,
        policy=RetryPolicy(attempts=3, base_delay=2.0, max_delay=10),
        sleep=sleeps.append,
        rand=lambda: 0.25,
    )
    assert sleeps == [0.5, 1.0]


def test_retry_after_is_a_floor_on_the_delay():
    sleeps: list[float] = []
    flaky = Flaky(RetryableError("429", system="x", retry_after=3.0))
    run(
        flaky,
        classify=never,
        policy=RetryPolicy(attempts=2, base_delay=0.1, max_delay=10),
        sleep=sleeps.append,
        rand=lambda: 1.0,
    )
    assert sleeps == [3.0]


def test_retry_after_longer_than_the_cap_is_surfaced_for_the_engine_to_reschedule():
    flaky = Flaky(RetryableError("429", system="x", retry_after=120.0))
    with pytest.raises(RetryableError) as caught:
        run(flaky, classify=never, policy=RetryPolicy(attempts=5, base_delay=0.1, max_delay=30), sleep=lambda s: None)
    assert caught.value.retry_after == 120.0
    assert flaky.calls == 1


def test_permanent_errors_are_not_retried():
    flaky = Flaky(PermanentError("400 bad field", system="x"))
    with pytest.raises(PermanentError):
        run(flaky, classify=never, policy=RetryPolicy(attempts=5), sleep=lambda s: None)
    assert flaky.calls == 1


def test_the_last_error_is_raised_when_attempts_run_out():
    flaky = Flaky(*[TimeoutError("slow") for _ in range(3)])
    classify = lambda exc: RetryableError(f"timeout: {exc}", system="x")  # noqa: E731
    with pytest.raises(RetryableError, match="timeout: slow") as caught:
        run(flaky, classify=classify, policy=RetryPolicy(attempts=3, base_delay=0), sleep=lambda s: None)
    assert isinstance(caught.value.__cause__, TimeoutError)
    assert flaky.calls == 3


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(408, True), (429, True), (500, True), (503, True), (400, False), (403, False), (404, False), (422, False)],
)
def test_status_classification(status, retryable):
    error = classify_status(status, "remote says no", system="x")
    assert error.retryable is retryable
    assert error.remote_message == "remote says no"


def test_parse_retry_after():
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") is None
