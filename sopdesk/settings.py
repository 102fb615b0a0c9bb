"""sopdesk settings: one module, every value from the environment.

The README's configuration table lists each variable. Defaults are safe for a
laptop: SQLite under SOPDESK_DATA_DIR, the django-q2 ORM broker, mail printed
to the console, DEBUG off.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import dj_database_url

from sopdesk.env import env_bool, env_file_use, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("SOPDESK_DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

# Variables missing from the environment are read from the data dir's env file, which `manage.py demo`
# writes (sopdesk/env.py). SOPDESK_ENV_FILE names another file; empty reads none. A pytest session reads
# none unless told to, so a demo running from the same checkout never points the suite at its sandbox.
DEMO_ENV_FILE = DATA_DIR / "sopdesk.env"
_env_file = env_str("SOPDESK_ENV_FILE", "" if "pytest" in sys.modules else str(DEMO_ENV_FILE))
ENV_FILE = Path(_env_file) if _env_file else None
env_file_use(ENV_FILE)


def _secret_key() -> str:
    """SOPDESK_SECRET_KEY, or a random key kept in the data directory."""
    configured = env_str("SOPDESK_SECRET_KEY")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("SOPDESK_DEBUG", False)
ALLOWED_HOSTS = env_list("SOPDESK_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("SOPDESK_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SOPDESK_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Behind TLS in production: secure cookies, HSTS and an HTTPS redirect.
HTTPS = env_bool("SOPDESK_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_htmx",
    "django_q",
    "simple_history",
    "connectors",
    "procedures",
    "cases",
    "cases.sla",
    "reviews",
    "sopdesk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "sopdesk.urls"
WSGI_APPLICATION = "sopdesk.wsgi.application"
ASGI_APPLICATION = "sopdesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sopdesk.context.roles",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# SQLite by default. WAL, IMMEDIATE transactions and a busy timeout keep
# django-q2 from losing task results under concurrent writes (shared/STACK.md).
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
DATABASE_URL = env_str("DATABASE_URL")
CONN_MAX_AGE = env_int("SOPDESK_CONN_MAX_AGE", 60)
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=True)
else:
    _db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "sopdesk.sqlite3")}
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {**SQLITE_OPTIONS, **_db.get("OPTIONS", {})}
    # Kept open like PostgreSQL's: closing the last connection to a WAL database checkpoints and
    # deletes the WAL, so a connection per request or per task cost ~20 ms to close and reopen.
    _db["CONN_MAX_AGE"] = CONN_MAX_AGE
    # A file, not :memory:, so a django-q2 cluster in another process sees the test data.
    _db["TEST"] = {"NAME": str(DATA_DIR / "test-sopdesk.sqlite3")}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Task queue (django-q2) ---------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
Q_CLUSTER = {
    "name": "sopdesk",
    "workers": env_int("SOPDESK_WORKERS", 2),
    "timeout": env_int("SOPDESK_TASK_TIMEOUT", 120),
    # retry must exceed timeout or a long task runs twice (shared/STACK.md).
    "retry": env_int("SOPDESK_TASK_TIMEOUT", 120) + 60,
    "max_attempts": 5,
    "queue_limit": 50,
    "save_limit": 500,
    "catch_up": False,
    "label": "Task queue",
    "poll": env_float("SOPDESK_QUEUE_POLL", 0.2),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- Auth, i18n, static -------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/inbox/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("SOPDESK_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("SOPDESK_MAX_REQUEST_BYTES", 2 * 1024 * 1024)

# --- Mail -----------------------------------------------------------------------
EMAIL_HOST = env_str("SOPDESK_EMAIL_HOST")
EMAIL_PORT = env_int("SOPDESK_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("SOPDESK_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_str("SOPDESK_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("SOPDESK_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 20
EMAIL_BACKEND = env_str(
    "SOPDESK_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("SOPDESK_FROM_EMAIL", "sopdesk <sopdesk@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- REST API -------------------------------------------------------------------
# Wiring in sopdesk/api.py; errors in sopdesk/api_errors.py; tokens in sopdesk/api_auth.py.
# The bearer token comes first so an anonymous caller is told 401 with WWW-Authenticate.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "sopdesk.api_schema.ApiAutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "sopdesk.api_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["sopdesk.api_auth.RoleAccess"],
    "DEFAULT_PARSER_CLASSES": ["sopdesk.api_base.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "sopdesk.api_base.Cursor",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["sopdesk.ratelimit.TokenRateThrottle", "sopdesk.ratelimit.SessionRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": env_str("SOPDESK_API_TOKEN_RATE", "600/min"),
        "user": env_str("SOPDESK_API_USER_RATE", "1200/min"),
    },
    "EXCEPTION_HANDLER": "sopdesk.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Plain Django views (the webhooks) use sopdesk.ratelimit.ratelimit with this rate; empty: per-source defaults.
WEBHOOK_RATE = env_str("SOPDESK_WEBHOOK_RATE", "")
SPECTACULAR_SETTINGS = {
    "TITLE": "sopdesk API",
    "DESCRIPTION": (
        "Procedures, cases, runs, review items, inbound events and the connector registry.\n\n"
        "Authenticate with your browser session, or with an API token (admin → API tokens) sent as "
        "`Authorization: Bearer sd_<prefix>_<secret>`. Every error answers "
        '`{"error": {"code", "message", "fields"}}`. Lists are cursor-paginated: follow `next`.'
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"CaseSourceEnum": "cases.models.Source"},
    # Swagger UI's JavaScript and CSS from the drf-spectacular-sidecar package: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": False, "displayOperationId": True},
}
# The sidecar's static files are found through its app (kept here, with the API settings it serves).
INSTALLED_APPS.append("drf_spectacular_sidecar")

# --- Cache ------------------------------------------------------------------------
# Rate limits and API throttles count here. Redis when REDIS_URL is set (shared by
# every process and host); otherwise LocMemCache, which is per process: with N
# gunicorn workers a client effectively gets N times the limit.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sopdesk"}}

# --- Case engine -------------------------------------------------------------------
ENGINE = {
    # How long a started step belongs to the worker performing it; after that
    # another worker may re-perform it with the same idempotency key.
    "step_lease_seconds": env_int("SOPDESK_STEP_LEASE_SECONDS", 300),
    # Retryable connector failures per step visit before the run is held for review.
    "retry_limit": env_int("SOPDESK_RETRY_LIMIT", 5),
    # Bearer secret for the generic event endpoint POST /api/events/.
    "api_events_token": env_str("SOPDESK_API_EVENTS_TOKEN"),
    # TEST HOOK, inert unless set: the worker exits right after this step's
    # connector call returns, before its trace row is completed.
    "crash_after_write": env_str("SOPDESK_TEST_CRASH_AFTER_WRITE"),
}

# --- Language model (optional) ---------------------------------------------------
# With no key, sopdesk compiles with its rules compiler and sends every
# judgement to a person.
OPENAI_API_KEY = env_str("OPENAI_API_KEY")
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL")
SOPDESK_MODEL = env_str("SOPDESK_MODEL", "gpt-4o-mini")
SOPDESK_MODEL_TIMEOUT = env_float("SOPDESK_MODEL_TIMEOUT", 60.0)

# --- Outside systems ---------------------------------------------------------------
# Credentials come from the environment only; they are never stored in the
# database or returned by any API. SOPDESK_SANDBOX_URL=http://127.0.0.1:8100
# points every connector at the bundled emulators instead, one port per system
# from that base port (`manage.py sandbox`; details in connectors/config.py).
SANDBOX_URL = env_str("SOPDESK_SANDBOX_URL")
CONNECTOR_TIMEOUT = env_float("SOPDESK_CONNECTOR_TIMEOUT", 20.0)
# One retry loop for every connector (connectors/retry.py): capped exponential
# backoff with jitter. Tests set the base delay to 0 so retries cost no time.
CONNECTOR_RETRY = {
    "attempts": env_int("SOPDESK_RETRY_ATTEMPTS", 6),
    "base_delay": env_float("SOPDESK_RETRY_BASE_DELAY", 0.5),
    "max_delay": env_float("SOPDESK_RETRY_MAX_DELAY", 30.0),
}
CONNECTORS = {
    "salesforce": {
        "instance_url": env_str("SALESFORCE_INSTANCE_URL"),
        "session_id": env_str("SALESFORCE_SESSION_ID"),
        "username": env_str("SALESFORCE_USERNAME"),
        "password": env_str("SALESFORCE_PASSWORD"),
        "security_token": env_str("SALESFORCE_SECURITY_TOKEN"),
        "domain": env_str("SALESFORCE_DOMAIN", "login"),
    },
    "jira": {
        "url": env_str("JIRA_URL"),
        "user": env_str("JIRA_USER"),
        "token": env_str("JIRA_TOKEN"),
    },
    "zendesk": {
        "subdomain": env_str("ZENDESK_SUBDOMAIN"),
        "email": env_str("ZENDESK_EMAIL"),
        "token": env_str("ZENDESK_TOKEN"),
    },
    "carrier": {
        "url": env_str("CARRIER_URL"),
        "token": env_str("CARRIER_TOKEN"),
    },
    # Named endpoints for http.request: SOPDESK_HTTP_ENDPOINTS=status_page=https://...,paging=https://...
    "http": {
        "endpoints": dict(item.split("=", 1) for item in env_list("SOPDESK_HTTP_ENDPOINTS", []) if "=" in item),
    },
}
# An MCP session idle this long is pinged before a write is sent on it (a dead server must not swallow a write).
SOPDESK_MCP_IDLE_PING_SECONDS = env_float("SOPDESK_MCP_IDLE_PING_SECONDS", 30.0)
# Zendesk groups the compiler may route to ("escalate to Tier 2" → the ticket's group); default: the sandbox's groups.
ZENDESK_GROUPS = env_list("SOPDESK_ZENDESK_GROUPS", ["Support", "Tier 2", "Claims"])
WEBHOOK_SECRETS = {
    "zendesk": env_str("ZENDESK_WEBHOOK_SECRET"),
    "jira": env_str("JIRA_WEBHOOK_SECRET"),
    "salesforce_org_id": env_str("SALESFORCE_ORG_ID"),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("SOPDESK_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Insights and the weekly report (reviews/insights, reviews/report; issue 13) ---------------
SOPDESK_INSIGHTS_WINDOW_DAYS = env_int("SOPDESK_INSIGHTS_WINDOW_DAYS", 30)
SOPDESK_INSIGHTS_MIN_SUPPORT = env_int("SOPDESK_INSIGHTS_MIN_SUPPORT", 10)
SOPDESK_INSIGHTS_MIN_LIFT = env_float("SOPDESK_INSIGHTS_MIN_LIFT", 1.5)
SOPDESK_INSIGHTS_ALPHA = env_float("SOPDESK_INSIGHTS_ALPHA", 0.05)
SOPDESK_INSIGHTS_REPLAY_CASES = env_int("SOPDESK_INSIGHTS_REPLAY_CASES", 50)
SOPDESK_INSIGHTS_WORKERS = env_int("SOPDESK_INSIGHTS_WORKERS", 2)
SOPDESK_MODEL_PRICE_PER_MILLION = env_float("SOPDESK_MODEL_PRICE_PER_MILLION", 0.6)
SOPDESK_REPORT_TO = env_list("SOPDESK_REPORT_TO", [])
SOPDESK_REPORT_WEEKDAY = env_int("SOPDESK_REPORT_WEEKDAY", 0)
SOPDESK_REPORT_HOUR = env_int("SOPDESK_REPORT_HOUR", 7)
# Functions called with the version about to be published; their results are shown with the publish.
SOPDESK_PUBLISH_CHECKS = env_list("SOPDESK_PUBLISH_CHECKS", ["reviews.insights.regression.publish_check"])
