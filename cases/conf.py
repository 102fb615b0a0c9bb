"""The engine's knobs, from settings.ENGINE (read from the environment in sopdesk/settings.py)."""

from __future__ import annotations

from django.conf import settings


def step_lease_seconds() -> int:
    return settings.ENGINE["step_lease_seconds"]


def retry_limit() -> int:
    return settings.ENGINE["retry_limit"]


def api_events_token() -> str:
    return settings.ENGINE["api_events_token"]


def crash_after_write() -> str:
    return settings.ENGINE["crash_after_write"]
