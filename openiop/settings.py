"""Settings, all from the environment (django-environ).

Defaults make a trial run work (`make run` sets DEBUG=1); outside debug the
process refuses to start without a real SECRET_KEY and ALLOWED_HOSTS.
"""

import contextlib
import re
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
_DEV_SECRET = "insecure-development-key-not-for-production"
SECRET_KEY = env.str("SECRET_KEY", default="") or (
    Path(env.str("SECRET_KEY_FILE")).read_text().strip() if env.str("SECRET_KEY_FILE", "") else ""
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])

if DEBUG:
    SECRET_KEY = SECRET_KEY or _DEV_SECRET
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]"]
else:
    if (
        len(SECRET_KEY) < 50
        or SECRET_KEY == _DEV_SECRET
        or SECRET_KEY.startswith("django-insecure")
    ):
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must name this server's host when DEBUG is off.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "ninja",
    "openiop.core",
    "openiop.operations",
    "openiop.accounts",
    "openiop.access",
    "openiop.audit",
    "openiop.organizations",
    "openiop.patients",
    "openiop.care",
    "openiop.directory",
    "openiop.measures",
    "openiop.outcomes",
    "openiop.consent",
    "openiop.interop",
    "openiop.scheduling",
    "openiop.messaging",
    "openiop.billing",
    # background work (django-tasks, database backend; worker: `openiop worker`)
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "openiop.operations.metrics.MetricsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "openiop.core.middleware.RequestContextMiddleware",
    "openiop.operations.logs.RequestLogMiddleware",
    "openiop.core.middleware.SecurityHeadersMiddleware",
    "openiop.core.middleware.ApiErrorShapeMiddleware",
    "openiop.core.middleware.RequestShapeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "openiop.core.clock.SiteTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "openiop.accounts.middleware.IdleLogoffMiddleware",
    "openiop.accounts.middleware.TwoFactorMiddleware",
    "openiop.access.middleware.OutOfScopeAuditMiddleware",
    "openiop.core.middleware.DenyByDefaultMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "openiop.urls"
WSGI_APPLICATION = "openiop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "openiop" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "openiop.core.context_processors.navigation",
            ],
            "builtins": ["openiop.core.templatetags.clock"],
        },
    }
]

_SQLITE_DEFAULT = f"sqlite:///{BASE_DIR / 'var' / 'openiop.sqlite3'}"
DATABASES = {"default": env.db_url_config(env.str("DATABASE_URL", default="") or _SQLITE_DEFAULT)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA busy_timeout=20000; PRAGMA foreign_keys=ON;",
        }
    )
else:
    # a server process keeps its connection between requests (opening one costs
    # PostgreSQL a process start per page); checked before reuse after an error
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=300)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # behind PgBouncer in transaction mode a cursor cannot outlive its
    # transaction: fetch in chunks instead (ADR 0014)
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
        "DATABASE_BEHIND_POOLER", default=False
    )
# a read replica (PostgreSQL streaming replication) for the finder and the
# outcome reports (core/replica.py); tests read it through the primary
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **DATABASES["default"],
        **env.db_url_config(env.str("DATABASE_REPLICA_URL")),
        "TEST": {"MIRROR": "default"},
    }
    if DATABASES["replica"]["ENGINE"].endswith("postgresql"):
        # a replica that does not answer is given up quickly (reads go to the primary)
        DATABASES["replica"]["OPTIONS"] = {
            **DATABASES["replica"].get("OPTIONS", {}),
            "connect_timeout": 3,
        }
    DATABASE_ROUTERS = ["openiop.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache: each process's memory by default (`make run` needs nothing more);
# CACHE_URL=redis://host:6379/0 shares it across processes and machines: the
# finder's rate limit, its settings check, and sessions (kept in the database,
# read through the cache).
CACHE_URL = env.str("CACHE_URL", default="")
CACHES = {"default": env.cache_url_config(CACHE_URL or "locmemcache://openiop")}
if CACHE_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_USER_MODEL = "accounts.User"
# one sign-in path: this backend restores sessions and accepts no password
AUTHENTICATION_BACKENDS = ["openiop.accounts.backends.SessionOnlyBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"

# Security policy (HIPAA 164.312): lockout, automatic logoff, two-factor.
LOGIN_MAX_FAILURES = env.int("LOGIN_MAX_FAILURES", default=5)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
SESSION_IDLE_TIMEOUT_MINUTES = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=15)
REQUIRE_2FA = env.bool("REQUIRE_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = "OpenIOP"
CREDENTIAL_EXPIRY_WARNING_DAYS = 30
# Measurement-based care: how long a patient's one-time link works; outcomes
# below this count are not shown (small numbers identify people).
MEASURES_LINK_HOURS = env.int("MEASURES_LINK_HOURS", default=72)
OUTCOMES_MIN_COUNT = env.int("OUTCOMES_MIN_COUNT", default=11)

# FHIR exchange: the base URL Bundles name their entries by (the /fhir/R4/ API
# answers with its own), and where bulk exports are written.
FHIR_BASE_URL = env.str("FHIR_BASE_URL", default="http://localhost:8000/fhir/R4")
# Where people outside the application reach it (links in email): in
# production, https on the first allowed host unless set
_SITE_DEFAULT = "http://127.0.0.1:8000" if DEBUG else f"https://{ALLOWED_HOSTS[0].lstrip('.')}"
SITE_URL = env.str("SITE_URL", default=_SITE_DEFAULT).rstrip("/")
# The right-hand side of calendar event UIDs (<session uuid>@SITE_DOMAIN): set
# once and never changed, whatever host or proxy the feeds are fetched through
SITE_DOMAIN = env.str("SITE_DOMAIN", default="openiop.invalid").strip().lower()
if not re.fullmatch(
    r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*", SITE_DOMAIN
):
    raise ImproperlyConfigured("SITE_DOMAIN must be a domain name such as iop.example.org.")

# Email: EMAIL_URL (smtp://user:password@host:587, with TLS: submission://...),
# or EMAIL_BACKEND (a dotted path, with EMAIL_FILE_PATH for the file backend),
# else files under var/mail in debug (open them to read what was sent), else
# the console (the safety net page warns that nothing leaves the server).
# Tests use Django's memory backend.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
elif env.str("EMAIL_BACKEND", default=""):
    EMAIL_BACKEND = env.str("EMAIL_BACKEND")
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="OpenIOP <no-reply@openiop.invalid>")
FHIR_EXPORT_DIR = Path(env.str("FHIR_EXPORT_DIR", default=str(BASE_DIR / "var" / "exports")))
# Hours a finished export's files are kept (then deleted: the worker or the next access)
BULK_EXPORT_EXPIRE_HOURS = env.float("BULK_EXPORT_EXPIRE_HOURS", default=24.0)
if not 0 < BULK_EXPORT_EXPIRE_HOURS <= 24 * 30:
    raise ImproperlyConfigured("BULK_EXPORT_EXPIRE_HOURS is more than 0 and at most 720.")
# Background tasks: "database" (a worker process runs them) or "immediate" (in the request).
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[env.str("TASKS_BACKEND", default="database")]}}

SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_FAILURE_VIEW = "openiop.core.views.csrf_failure"
# messages name patients (and give back an unsaved note): kept in the
# server-side session, never in a cookie
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = _SECURE
CSRF_COOKIE_SECURE = _SECURE
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# load balancers and Prometheus ask over plain HTTP on the private network
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# rate limits per scope (openiop/core/ratelimit.py), e.g.
# RATE_LIMITS=directory-page=600/minute,directory-api=off (a load test from one address)
RATE_LIMITS = dict(
    item.split("=", 1) for item in env.list("RATE_LIMITS", default=[]) if "=" in item
)
# /metrics answers only with this bearer token (off while empty)
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
if METRICS_TOKEN and (len(METRICS_TOKEN) < 24 or METRICS_TOKEN == "change-me"):
    raise ImproperlyConfigured(
        "METRICS_TOKEN must be a random value of at least 24 characters (or unset: no metrics)."
    )
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
# How many proxies in front of the application append to X-Forwarded-For. The
# client's address is the one the outermost trusted proxy saw; whatever a
# client writes into the header itself is ignored. 0: use the socket's address.
TRUSTED_PROXIES = env.int(
    "TRUSTED_PROXIES", default=1 if env.bool("BEHIND_TLS_PROXY", default=False) else 0
)
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'"
)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "openiop" / "static"]
STATIC_ROOT = BASE_DIR / "var" / "static"
# WhiteNoise serves static files in production too; with finders on, a
# deployment works before (or without) `collectstatic`.
WHITENOISE_USE_FINDERS = True
# WhiteNoise warns when the collectstatic target does not exist yet; a
# read-only deployment that ran collectstatic elsewhere skips this.
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

NINJA_PAGINATION_PER_PAGE = 25

# Logs: JSON lines with the request id (LOG_FORMAT=json, the default outside
# debug) or plain text; LOG_LEVEL=INFO adds a line per request (its route
# pattern, never the address or query string: openiop/operations/logs.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "openiop.operations.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
