"""Issuing, recognising, revoking and touching API tokens.

Format: `sd_<prefix>_<secret>` — `prefix` is 8 random hex characters (stored
and shown, used to find the row), `secret` is 32 random bytes, URL-safe
base64 (only its hash is stored).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.db import models
from django.utils import timezone

from sopdesk.models import ApiToken, Scope

TOKEN_PREFIX = "sd"
SECRET_BYTES = 32
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def _now() -> dt.datetime:
    return timezone.now()


def secret_hash(secret: str) -> str:
    """SHA-256 of the secret.

    A fast hash is right here, unlike for passwords: the secret is 32 random
    bytes (256 bits), so there is nothing to guess and nothing a slow hash
    (PBKDF2, argon2) would protect — and a slow hash would add tens of
    milliseconds to every API request.
    """
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def token_parse(raw: str) -> tuple[str, str] | None:
    """(prefix, secret) of a presented `sd_<prefix>_<secret>`, or None when it is not shaped like one."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(parts[1]) != 8 or not parts[2]:
        return None
    return parts[1], parts[2]


def token_find(raw: str) -> ApiToken | None:
    """The usable token (not revoked, not expired) this string is, or None. Compares hashes in constant time."""
    parsed = token_parse(raw)
    if parsed is None:
        return None
    prefix, secret = parsed
    token = ApiToken.objects.select_related("created_by").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.key_hash, secret_hash(secret)):
        return None
    if not token.is_active:
        return None
    return token


def token_issue(
    *, name: str, scopes: list[str], created_by, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token; return it and the full token string, which cannot be retrieved again."""
    token = ApiToken(name=name, scopes=list(scopes), created_by=created_by, expires_at=expires_at)
    return token, token_save_new(token=token)


def token_save_new(*, token: ApiToken) -> str:
    """Give an unsaved token its prefix and secret hash, save it, and return the full token string (once)."""
    unknown = sorted({str(s) for s in token.scopes} - set(Scope.values))
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(unknown)}; known: {', '.join(Scope.values)}")
    prefix = secrets.token_hex(4)  # hex has no "_", so the token splits unambiguously
    while ApiToken.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    token.prefix, token.key_hash = prefix, secret_hash(secret)
    token.scopes = sorted({str(s) for s in token.scopes})
    token.save()
    return f"{TOKEN_PREFIX}_{prefix}_{secret}"


def token_revoke(*, token: ApiToken) -> bool:
    """Revoke the token now. Returns False if it already was."""
    return bool(ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=_now()))


def token_touch(*, token: ApiToken, now: dt.datetime | None = None) -> None:
    """Record use at most once a minute per token, so authenticating is not a write per request.

    A conditional UPDATE: of concurrent requests in the same minute, at most one writes.
    """
    now = now or _now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        models.Q(last_used_at__isnull=True) | models.Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    token.last_used_at = now
