"""Secrets of declared endpoints and MCP servers: sealed with Fernet, or named environment variables.

The key is derived from SOPDESK_SECRETS_KEY when set, else from Django's
SECRET_KEY, so a database dump alone never reveals a secret. Rotating the
key makes sealed secrets unreadable (re-enter them); environment-variable
secrets are unaffected.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from connectors.base import NotConfigured


def _fernet() -> Fernet:
    material = os.environ.get("SOPDESK_SECRETS_KEY") or settings.SECRET_KEY
    digest = hashlib.sha256(f"sopdesk-declared-secrets:{material}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode() if secret else ""


def unseal(sealed: str, *, system: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise NotConfigured(
            f"the stored secret of {system} cannot be decrypted (was the secret key changed?): enter it again",
            system=system,
        ) from None


def resolve(*, secret_env: str, secret_sealed: str, system: str) -> str:
    """The secret in clear, for one call: the environment variable if named, else the sealed value ('' if none)."""
    if secret_env:
        value = os.environ.get(secret_env, "")
        if not value:
            raise NotConfigured(f"{system}: environment variable {secret_env} is not set", system=system)
        return value
    return unseal(secret_sealed, system=system) if secret_sealed else ""


def auth_headers(*, auth: str, auth_header: str, secret: str) -> tuple[dict[str, str], tuple[str, str] | None]:
    """(headers, basic-auth pair) for an auth kind."""
    if auth == "bearer" and secret:
        return {"Authorization": f"Bearer {secret}"}, None
    if auth == "header" and secret:
        return {auth_header or "X-Api-Key": secret}, None
    if auth == "basic" and secret:
        user, _, password = secret.partition(":")
        return {}, (user, password)
    return {}, None
