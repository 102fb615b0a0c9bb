"""The requests session every connector uses: a default timeout, and the sandbox redirect.

simple-salesforce and zenpy build `https://` URLs whatever base they are
given (shared/WIRE.md §1). In sandbox mode a transport adapter rewrites those
URLs to the emulator's plain-HTTP address, so the libraries run unmodified;
against a real service the adapter only adds the timeout. `trust_env` is off
so proxy and CA-bundle variables cannot silently redirect a connector.
`ClientsPerThread` keeps the clients built on such sessions.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter


class ConnectorAdapter(HTTPAdapter):
    """Adds a timeout to every request; optionally sends https://<any host> to `redirect_to` over HTTP."""

    def __init__(self, *, timeout: float, redirect_to: str | None = None):
        super().__init__(max_retries=0)
        self.timeout = timeout
        self.redirect_to = urlsplit(redirect_to) if redirect_to else None

    def send(self, request, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        if self.redirect_to is None:
            return super().send(request, **kwargs)
        original = request.url
        parts = urlsplit(original)
        request.url = urlunsplit(
            (self.redirect_to.scheme, self.redirect_to.netloc, parts.path, parts.query, parts.fragment)
        )
        response = super().send(request, **kwargs)
        # The library sees the URL it asked for (zenpy matches responses on its own base URL).
        response.request.url = response.url = original
        return response


def session(*, redirect_to: str | None = None) -> requests.Session:
    """A fresh session; with `redirect_to`, every HTTPS request goes to that plain-HTTP base instead."""
    timeout = float(getattr(settings, "CONNECTOR_TIMEOUT", 20.0))
    s = requests.Session()
    s.trust_env = False
    s.mount("https://", ConnectorAdapter(timeout=timeout, redirect_to=redirect_to))
    s.mount("http://", ConnectorAdapter(timeout=timeout))
    return s


class ClientsPerThread:
    """One client per process, thread and account, made once and kept (keep-alive).

    Keyed by account, so a changed configuration gets a new client; recreated in a
    forked child (a connection pool must not be shared across processes) and per
    thread (a requests session is not safe to share between threads).
    """

    def __init__(self, new: Callable[[dict], Any]):
        self._new = new
        self._local = threading.local()

    def get(self, account: dict) -> Any:
        key = json.dumps(account, sort_keys=True, default=str)
        if getattr(self._local, "pid", None) != os.getpid():
            self._local.pid, self._local.by_account = os.getpid(), {}
        client = self._local.by_account.get(key)
        if client is None:
            client = self._local.by_account[key] = self._new(account)
        return client

    def forget(self) -> None:
        """Drop this thread's clients (e.g. after an expired session); the next call makes new ones."""
        self._local.by_account = {}
