"""Turning an idempotency key into a marker a remote system can store and search.

Keys come from the engine (run + step) and may hold any characters; remote
systems want short, URL-safe, label-safe tokens. The token is a hash prefix,
long enough that two keys never share one in practice.
"""

from __future__ import annotations

import hashlib
import re
import uuid

MARKER = re.compile(r"^sd-[0-9a-f]{20}$")


def token(key: str | None) -> str:
    """`sd-` + 20 hex chars of sha256(key); a fresh random token when there is no key (no dedupe)."""
    if not key:
        return f"sd-{uuid.uuid4().hex[:20]}"
    return "sd-" + hashlib.sha256(key.encode()).hexdigest()[:20]


def is_marker(value: str) -> bool:
    """True for a token made by `token` (e.g. a Zendesk tag), so facts can leave it out."""
    return bool(MARKER.match(value))
