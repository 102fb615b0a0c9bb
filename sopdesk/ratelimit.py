"""Rate limits: a fixed-window limiter for plain Django views (the webhooks), and DRF throttles for the API.

Both count in the Django cache (settings.CACHES): Redis when REDIS_URL is set,
so the limit holds across processes and hosts; otherwise each process counts
on its own.

Webhooks: wrap the view, in a URLconf or as a decorator —

    path("hooks/zendesk/", ratelimit("120/m")(views.zendesk_hook))

or wrap an app's webhook routes where the project includes them (sopdesk/urls.py does):

    path("", include(ratelimited_urls("cases.urls", prefixes=("hooks/", "api/events/"))))

Without SOPDESK_WEBHOOK_RATE, each source has its own default (`SOURCE_RATES`):
providers deliver bursts from few addresses (a Zendesk trigger firing on a bulk
update sends hundreds of webhooks at once), so their hooks allow 6000/min per
address; the generic event endpoint, called by a team's own scripts, 1200/min.

A client over the limit gets 429 with Retry-After and the API's error body.
The client is REMOTE_ADDR: behind a reverse proxy, have the proxy set it
(e.g. gunicorn --forwarded-allow-ips) rather than trusting X-Forwarded-For here.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from importlib import import_module

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern
from rest_framework.throttling import SimpleRateThrottle

from sopdesk.models import ApiToken

_PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}


# Per-address defaults by path prefix, used when settings.WEBHOOK_RATE is empty.
SOURCE_RATES = {
    "/hooks/zendesk/": "6000/min",
    "/hooks/jira/": "6000/min",
    "/hooks/salesforce/": "6000/min",
    "/api/events/": "1200/min",
}
DEFAULT_RATE = "600/min"  # any other rate-limited plain view


def rate_for(path: str) -> str:
    """The rate for a request path: SOPDESK_WEBHOOK_RATE if set, else the source's default."""
    if settings.WEBHOOK_RATE:
        return settings.WEBHOOK_RATE
    return next((rate for prefix, rate in SOURCE_RATES.items() if path.startswith(prefix)), DEFAULT_RATE)


def parse_rate(rate: str) -> tuple[int, int]:
    """'120/m' → (120, 60). Accepts s/m/h/d and their long forms."""
    count, _, period = rate.partition("/")
    try:
        return int(count), _PERIODS[period.strip().lower()]
    except (ValueError, KeyError):
        raise ValueError(f"rate must look like '120/m' (per s, m, h or d), got {rate!r}") from None


def hit(key: str, *, limit: int, period: int, now: float | None = None) -> int:
    """Count one request in the current window; return seconds to wait (0 when allowed)."""
    now = time.time() if now is None else now
    window = int(now // period)
    cache_key = f"rl:{key}:{window}"
    cache.add(cache_key, 0, timeout=period + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=period + 1)
        count = 1
    if count <= limit:
        return 0
    return max(1, math.ceil((window + 1) * period - now))


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def ratelimit(rate: str | None = None) -> Callable:
    """Limit a plain Django view to `rate` requests per client IP and path, in fixed windows.

    Without `rate`, `rate_for(path)` is read on each request (SOPDESK_WEBHOOK_RATE or the source's default).
    """
    if rate is not None:
        parse_rate(rate)  # fail at start-up, not on the first request

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            limit, period = parse_rate(rate or rate_for(request.path))
            wait = hit(f"{request.path}:{client_ip(request)}", limit=limit, period=period)
            if wait:
                response = JsonResponse(
                    {
                        "error": {
                            "code": "throttled",
                            "message": f"Too many requests from this address. Try again in {wait} seconds.",
                        }
                    },
                    status=429,
                )
                response["Retry-After"] = str(wait)
                return response
            return view(request, *args, **kwargs)

        wrapped.ratelimited = True
        return wrapped

    return decorate


def ratelimited_urls(module_name: str, *, prefixes: tuple[str, ...], rate: str | None = None) -> tuple[list, str]:
    """An app's URLconf for include(), with the views under `prefixes` wrapped in `ratelimit(rate)`.

    Lets sopdesk/urls.py rate-limit the webhooks without touching the app that owns them.
    """
    module = import_module(module_name)
    patterns = []
    for pattern in module.urlpatterns:
        if isinstance(pattern, URLPattern) and str(pattern.pattern).startswith(prefixes):
            pattern = URLPattern(pattern.pattern, ratelimit(rate)(pattern.callback), pattern.default_args, pattern.name)
        patterns.append(pattern)
    return patterns, module.app_name


class _SettingsRateThrottle(SimpleRateThrottle):
    """Reads its rate from settings on each request (so tests and operators can change it)."""

    def get_rate(self):
        return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(self.scope)

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class TokenRateThrottle(_SettingsRateThrottle):
    """Per API token (by prefix): REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"]."""

    scope = "token"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}


class SessionRateThrottle(_SettingsRateThrottle):
    """Per signed-in person using the browser session: DEFAULT_THROTTLE_RATES["user"]."""

    scope = "user"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken) or not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
