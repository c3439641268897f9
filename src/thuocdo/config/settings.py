"""Django settings, read from the environment.

Every setting has a safe default: debug is off, cookies are secure behind HTTPS, and the
Content Security Policy admits no external origin (everything the pages need is vendored).
`make run` turns debug on explicitly; production sets THUOCDO_SECRET_KEY and DATABASE_URL.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
import django_stubs_ext
from csp.constants import NONCE
from django.utils.translation import gettext_lazy as _

# Lets typed code write ModelAdmin[Model], QuerySet[Model] at run time, not only under mypy.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent  # src/thuocdo
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("THUOCDO_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("THUOCDO_DEBUG", False)
TESTING = env_bool("THUOCDO_TESTING", False) or "pytest" in sys.modules
# An insecure key is tolerated only in debug or test runs; production must set one.
SECRET_KEY = os.environ.get("THUOCDO_SECRET_KEY") or (
    "insecure-development-key-change-me" if DEBUG or TESTING else ""
)
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Set THUOCDO_SECRET_KEY (or THUOCDO_DEBUG=1 for local development).")

ALLOWED_HOSTS = env_list("THUOCDO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("THUOCDO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "thuocdo.web",
    "thuocdo.audit",
    "thuocdo.accounts",
    "thuocdo.calendars",
    "thuocdo.units",
    "thuocdo.catalog",
    "thuocdo.dossiers",
    "thuocdo.surveys",
    "thuocdo.feedback",
    "thuocdo.indices",
    "thuocdo.publication",
]

MIDDLEWARE = [
    "thuocdo.web.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Survey submissions (web form, OpenRosa) are answered here, before the page middleware (surveys issue, speed).
    "thuocdo.surveys.middleware.SubmissionLane",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "thuocdo.accounts.middleware.SessionEpochMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "thuocdo.config.urls"
WSGI_APPLICATION = "thuocdo.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)  # whitenoise warns at every start without it
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'thuocdo.sqlite3'}"),
        conn_max_age=int(os.environ.get("THUOCDO_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE transactions: readers never block the writer and writers queue instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = True  # transactions are committed at the edge (the request)

# --- Cache (surveys issue #4) -----------------------------------------------------------------------
# Rate limits (open survey link, ODK devices, kiosks) and short memos must be shared by every gunicorn
# worker, or a limit is N times looser. THUOCDO_CACHE_URL chooses the backend:
#   db://[table]       (default, zero setup) a table in the main database, created by migration
#                      surveys 0003; shared by every process and host using that database
#   redis://host:port/db  Redis (needs the `redis` package); the fastest, and atomic counters
#   file:///dir        files under dir: shared by the processes of one host
#   locmem://          per process: only for a single-process server
# docs/benchmarks.md ("Survey submissions") gives what each costs per rate-limited submission.
# Test runs default to per-process memory (many tests touch no database); tests/surveys/test_shared_cache.py
# runs the real backends in separate processes.
CACHE_URL = os.environ.get("THUOCDO_CACHE_URL", "locmem://" if TESTING else "db://thuocdo_cache")


def cache_from_url(url: str) -> dict[str, object]:
    scheme, _sep, rest = url.partition("://")
    if scheme in ("redis", "rediss"):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if scheme == "file":
        return {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": rest,
                "OPTIONS": {"MAX_ENTRIES": 100_000}}  # fmt: skip
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": rest or "thuocdo"}
    if scheme == "db":
        # Culling at the default 300 entries would drop live rate-limit counters; expired rows are culled.
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": rest or "thuocdo_cache",
                "OPTIONS": {"MAX_ENTRIES": 1_000_000, "CULL_FREQUENCY": 10}}  # fmt: skip
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"THUOCDO_CACHE_URL: unknown scheme «{scheme}» (db, redis, file, locmem)")


CACHES = {"default": cache_from_url(CACHE_URL)}
# --- end cache ---------------------------------------------------------------------------------------

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "thuocdo.accounts.backends.RolePermissionBackend",  # admin permissions follow roles, never granted by hand
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

# Login throttling (django-axes): lock a username+IP pair after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("THUOCDO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_ENABLED = env_bool("THUOCDO_LOGIN_THROTTLING", True)

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# Security headers. HTTPS-only cookies and HSTS switch on when the site is served over HTTPS.
HTTPS = env_bool("THUOCDO_HTTPS", not (DEBUG or TESTING))
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_HSTS_SECONDS = int(os.environ.get("THUOCDO_HSTS_SECONDS", "31536000"))
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("THUOCDO_SSL_REDIRECT", False)

# Content Security Policy: same origin only. Inline scripts are refused; the few that are needed carry a nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Upload limits (feedback attachments, imports). Larger imports go through the CLI.
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

EMAIL_BACKEND = os.environ.get("THUOCDO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("THUOCDO_FROM_EMAIL", "thuocdo@localhost")

# Structured logs: one JSON object a line on stderr, ready for any log shipper.
LOG_LEVEL = os.environ.get("THUOCDO_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            # msgspec encodes the line (already a dependency): a third less of a request's logging CPU.
            "()": "pythonjsonlogger.msgspec.MsgspecFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}

# Rule-bound parameters that are data (not constants) live in the database as versioned rule sets;
# these are only operational knobs.
THUOCDO = {
    "ANONYMITY_MIN_CELL": int(os.environ.get("THUOCDO_ANONYMITY_MIN_CELL", "5")),
    "UNCERTAIN_HOLIDAYS_ARE_OFF": env_bool("THUOCDO_UNCERTAIN_HOLIDAYS_ARE_OFF", False),
    # Unknown DonViXuLy codes: accepted and reported (default), or quarantined when strict.
    "DOSSIERS_STRICT_AGENCIES": env_bool("THUOCDO_DOSSIERS_STRICT_AGENCIES", False),
    # Survey submissions use server-side prepared statements on PostgreSQL; turn off behind a transaction-mode pooler.
    "PREPARED_STATEMENTS": env_bool("THUOCDO_PREPARED_STATEMENTS", True),
    # Survey submissions skip the page middleware (surveys.middleware.SubmissionLane); off = the full stack.
    "SUBMISSION_LANE": env_bool("THUOCDO_SUBMISSION_LANE", True),
    # The province this installation publishes for (GSO code); empty = the one with the most figures.
    "PROVINCE_CODE": os.environ.get("THUOCDO_PROVINCE_CODE", ""),
}
