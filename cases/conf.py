"""Engine knobs read from the environment (through sopdesk.env), with their defaults.

SOPDESK_STEP_LEASE_SECONDS   how long a STARTED step execution belongs to the worker performing it;
                             after that another worker may re-perform it with the same idempotency key.
SOPDESK_RETRY_LIMIT          retryable connector failures per step visit before the run is held.
SOPDESK_API_EVENTS_TOKEN     bearer secret for POST /api/events/ (the REST API issue adds real tokens).
SOPDESK_TEST_CRASH_AFTER_WRITE  TEST HOOK, inert unless set: a step key; the worker exits (os._exit)
                             right after that step's connector call returns, before its trace row is
                             completed. Used by the crash-recovery test only.
"""

from __future__ import annotations

from sopdesk.env import env_int, env_str


def step_lease_seconds() -> int:
    return env_int("SOPDESK_STEP_LEASE_SECONDS", 300)


def retry_limit() -> int:
    return env_int("SOPDESK_RETRY_LIMIT", 5)


def api_events_token() -> str:
    return env_str("SOPDESK_API_EVENTS_TOKEN")


def crash_after_write() -> str:
    return env_str("SOPDESK_TEST_CRASH_AFTER_WRITE")
