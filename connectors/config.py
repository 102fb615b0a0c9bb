"""Where each outside system lives and how to authenticate: one reader of settings.

Two modes, chosen by the environment:

* **Real accounts.** `settings.CONNECTORS[system]` holds the URL and the
  credentials read from the environment (SALESFORCE_*, JIRA_*, ZENDESK_*,
  CARRIER_*, SOPDESK_HTTP_ENDPOINTS, Django's EMAIL_* for mail).
* **Sandbox mode.** `SOPDESK_SANDBOX_URL=http://127.0.0.1:8100` points every
  connector at the bundled emulators (`manage.py sandbox`). The URL names the
  *base port*; each system has its own port at a fixed offset (`OFFSETS`):
  Salesforce 8100, Jira 8101, Zendesk 8102, carrier portal 8103, HTTP hooks
  8104, SMTP sink 8105. Credentials are the sandbox's fixed dummy ones, so a
  child process (a django-q2 worker) needs only that one variable, plus
  SOPDESK_RETRY_BASE_DELAY=0 in tests to keep retries instant.

Credentials are read at call time and never stored, logged or returned:
`describe()` gives a safe view for commands and APIs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from connectors.base import NotConfigured

OFFSETS = {"salesforce": 0, "jira": 1, "zendesk": 2, "carrier": 3, "http": 4, "email": 5}
SYSTEMS = tuple(OFFSETS)

# Fixed credentials the emulators accept. Not secrets: the sandbox is local and fake.
SANDBOX_CREDENTIALS = {
    "salesforce": {"session_id": "sandbox-session-id"},
    "jira": {"user": "sopdesk@sandbox.local", "token": "sandbox-jira-token"},
    "zendesk": {"subdomain": "sandbox", "email": "sopdesk@sandbox.local", "token": "sandbox-zendesk-token"},
    "carrier": {"token": "sandbox-carrier-token"},
}
SECRET_FIELDS = {"session_id", "password", "security_token", "token"}


def sandbox_urls(base_url: str) -> dict[str, str]:
    """Per-system URLs for a sandbox whose base port is in `base_url`."""
    parts = urlsplit(base_url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 8100
    return {
        system: f"{'smtp' if system == 'email' else 'http'}://{host}:{port + offset}"
        for system, offset in OFFSETS.items()
    }


def in_sandbox() -> bool:
    return bool(settings.SANDBOX_URL)


def account(system: str) -> dict[str, Any]:
    """The connection settings for `system`: URLs and credentials, sandbox or real.

    Raises NotConfigured when a real account lacks its URL or credentials.
    """
    if settings.SANDBOX_URL:
        url = sandbox_urls(settings.SANDBOX_URL)[system]
        return {"url": url, "sandbox": True, **SANDBOX_CREDENTIALS.get(system, {})}
    configured = dict(settings.CONNECTORS.get(system) or {})
    required = {
        "salesforce": ("instance_url",),
        "jira": ("url", "user", "token"),
        "zendesk": ("subdomain", "token"),
        "carrier": ("url", "token"),
    }.get(system, ())
    missing = [name for name in required if not configured.get(name)]
    if system == "salesforce" and configured.get("username"):
        missing = [] if configured.get("password") else ["password"]
    elif system == "salesforce" and not configured.get("session_id"):
        missing.append("session_id or username/password")
    if missing:
        raise NotConfigured(f"{system} is not configured: set {', '.join(missing)}", system=system)
    url = configured.get("url") or configured.get("instance_url") or ""
    return {**configured, "url": url.rstrip("/"), "sandbox": False}


def http_endpoint(name: str) -> str:
    """The base URL of a named HTTP endpoint (SOPDESK_HTTP_ENDPOINTS); in the sandbox, the hooks emulator."""
    if settings.SANDBOX_URL:
        return f"{sandbox_urls(settings.SANDBOX_URL)['http']}/hooks/{name}"
    endpoints = settings.CONNECTORS.get("http", {}).get("endpoints", {})
    if name not in endpoints:
        known = ", ".join(sorted(endpoints)) or "none"
        raise NotConfigured(f"no HTTP endpoint named {name!r} (configured: {known})", system="http")
    return endpoints[name].rstrip("/")


def smtp_address() -> tuple[str, int] | None:
    """(host, port) of the sandbox SMTP sink in sandbox mode, else None (use Django's EMAIL_*)."""
    if not settings.SANDBOX_URL:
        return None
    parts = urlsplit(sandbox_urls(settings.SANDBOX_URL)["email"])
    return parts.hostname or "127.0.0.1", parts.port or 25


def describe(system: str) -> dict[str, Any]:
    """A view of an account safe to print or return: secrets replaced by whether they are set."""
    try:
        details = account(system)
    except NotConfigured as exc:
        return {"system": system, "configured": False, "problem": str(exc)}
    safe = {key: ("set" if value else "") if key in SECRET_FIELDS else value for key, value in details.items()}
    return {"system": system, "configured": True, **safe}


def write_lease() -> timedelta:
    """How long an in-flight write (e.g. a reserved email) belongs to the worker that started it.

    The engine's step lease: past it the worker is presumed dead and the write is performed again,
    once, with the same idempotency key.
    """
    return timedelta(seconds=settings.ENGINE["step_lease_seconds"])
