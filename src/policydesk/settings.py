"""Django settings for policydesk, read from the environment (see README: Configuration)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
Number = TypeVar("Number", int, float)


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _env_number(name: str, default: Number, parse: Callable[[str], Number], expected: str) -> Number:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return parse(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {expected}, not {value!r}") from None


def env_int(name: str, default: int) -> int:
    return _env_number(name, default, int, "a whole number")


def env_float(name: str, default: float) -> float:
    return _env_number(name, default, float, "a number")


def proxy_ssl_header(value: str) -> tuple[str, str] | None:
    """`X-Forwarded-Proto: https` -> ("HTTP_X_FORWARDED_PROTO", "https"); empty -> None.

    The header the TLS-terminating proxy sets on requests that came in over HTTPS (it must
    also remove or overwrite any such header sent by the client)."""
    if not value.strip():
        return None
    name, separator, expected = value.partition(":")
    if not separator:
        name, separator, expected = value.partition("=")
    name, expected = name.strip(), expected.strip()
    if not separator or not re.fullmatch(r"[A-Za-z0-9_-]+", name) or not re.fullmatch(r"[!-~]+", expected):
        raise ImproperlyConfigured(
            f"POLICYDESK_PROXY_SSL_HEADER must look like 'X-Forwarded-Proto: https', not {value!r}"
        )
    meta_name = name.upper().replace("-", "_")
    return (meta_name if meta_name.startswith("HTTP_") else f"HTTP_{meta_name}", expected)


def origin_of(url: str) -> str:
    """`https://desk.example.com/path` -> `https://desk.example.com` (for CSRF_TRUSTED_ORIGINS)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ImproperlyConfigured(f"POLICYDESK_SITE_URL must be an http(s) URL, not {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


DEBUG = env_bool("POLICYDESK_DEBUG", False)
# The development default is public: with DEBUG off every process refuses to start on it
# (policydesk.E002, tickets/checks.py); `make run` sets POLICYDESK_DEBUG=1.
DEV_SECRET_KEY = "policydesk-development-key-not-for-production"  # noqa: S105 - flagged by a check
SECRET_KEY = env_str("POLICYDESK_SECRET_KEY", DEV_SECRET_KEY)
ALLOWED_HOSTS = env_list("POLICYDESK_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
SITE_URL = env_str("POLICYDESK_SITE_URL", "http://127.0.0.1:8000")

# The support policy this desk enforces (README: Configuration). Empty = the bundled default.
POLICYDESK_POLICY = env_str("POLICYDESK_POLICY", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "ninja",  # serves the API docs' Swagger UI from our static files, not a CDN (CSP)
    "django_tasks",
    "django_tasks_db",
    "django_htmx",  # request.htmx: the console's in-place updates (console/views.py)
    "policydesk.tickets",
    "policydesk.portal",
    "policydesk.console",
    "policydesk.api",
    "policydesk.mail",
    "policydesk.watch",
    "policydesk.inbox",
    "policydesk.status",
    "policydesk.reports",
    "policydesk.search",
    "policydesk.macros",
    "policydesk.helpcentre",
    "policydesk.satisfaction",
    "policydesk.cli",
    "policydesk.ops",
    "policydesk.metrics",
]

MIDDLEWARE = [
    # Outermost: the time to answer, by view, whatever the answer (/metrics), and the request's
    # id for the logs (ops/logs.py).
    "policydesk.metrics.middleware.RequestLatency",
    "policydesk.ops.logs.RequestContext",
    # Then: a body over the cap is refused before anything reads it (docs/security.md).
    "policydesk.security.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, before anything reads the session
    "policydesk.security.CSPMiddleware",  # django-csp's, its site header built once
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "policydesk.security.PrivateCacheMiddleware",
    "policydesk.web.language.PersonLanguageMiddleware",
    "policydesk.web.errors.MethodNotAllowedMiddleware",  # the 405 page, in the person's language
    "policydesk.web.messages.LazyMessageMiddleware",  # Django's, its storage made on first use
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "policydesk.urls"
WSGI_APPLICATION = "policydesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATA_DIR = Path(env_str("POLICYDESK_DATA_DIR", str(Path.cwd() / "var")))
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'policydesk.sqlite3'}"),
        # Persistent connections (seconds a process keeps one open; 0 = one per request): each
        # web, worker and SMTP process holds one, so the database sees N + M + K connections.
        # BENCHMARKS.md ("gunicorn and granian") measures them against a connection per request.
        conn_max_age=env_int("POLICYDESK_DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if "DATABASE_URL" not in os.environ:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
    # WAL and a busy timeout let the web server, SMTP listener and worker share one file. Reads
    # through a memory map of up to 256 MiB (the OS's page cache, shared by every process): at a
    # million people a read no longer copies each page through a system call, and intake costs
    # what it does at 4,000 (BENCHMARKS.md, "People at scale on SQLite by CPU").
    # Writers in line (policydesk/sqlite_writers): Django's backend, each write transaction
    # waiting for the one before it on a file lock rather than in SQLite's busy back-off.
    # The write-ahead log is copied into the database (checkpointed) once it holds
    # POLICYDESK_SQLITE_WAL_AUTOCHECKPOINT pages (of 4 KiB), by the connection whose commit passed
    # the mark, after its writers' lock is let go (sqlite_writers): SQLite's 1,000 made every 15th
    # intake copy the log and wait for two fsyncs; at 10,000 (a log of up to 40 MiB) a page that
    # every intake changes (the newest leaf of each index) is copied once where it was copied ten
    # times (issue 17, BENCHMARKS.md). 0: never (something else must checkpoint, or the log
    # grows without end).
    _wal_pages = env_int("POLICYDESK_SQLITE_WAL_AUTOCHECKPOINT", 10_000)
    if _wal_pages < 0:
        raise ValueError(f"POLICYDESK_SQLITE_WAL_AUTOCHECKPOINT={_wal_pages}: pages, 0 or more")
    DATABASES["default"]["ENGINE"] = "policydesk.sqlite_writers"
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "checkpoint_pages": _wal_pages,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=268435456;",
    }
else:
    # No server-side cursors: every `<select>` of a ModelChoiceField iterates its queryset with
    # .iterator(), which on PostgreSQL becomes DECLARE ... WITH HOLD, FETCH and CLOSE (three round
    # trips, and a cursor materialised outside the transaction) for a list of a few dozen rows; and
    # a connection pooler in transaction mode (PgBouncer) does not support them.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    # Parameters sent apart from the statement (psycopg 3's server-side binding), and a statement
    # a connection has run `POLICYDESK_DB_PREPARE_THRESHOLD` times kept prepared by the server:
    # the desk runs the same few hundred statements (built once, compiled_queries), so the
    # server parses and plans each once per connection, and psycopg no longer quotes every
    # value into the text (issue 17). Behind a pooler in transaction mode that keeps no
    # prepared statements (PgBouncer before 1.21, or without max_prepared_statements), set the
    # threshold to "none".
    _prepare = env_str("POLICYDESK_DB_PREPARE_THRESHOLD", "5").strip().lower()
    if _prepare != "none" and not _prepare.isdigit():
        raise ValueError(f"POLICYDESK_DB_PREPARE_THRESHOLD={_prepare!r}: a whole number, or none")
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # psycopg 3's options
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=None if _prepare == "none" else int(_prepare)
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# /readyz (ops/health.py): which checks make the desk ready, and how old (seconds) the newest
# heartbeat of a worker or SMTP listener may be. A desk that takes mail by IMAP only drops smtpd.
POLICYDESK_READY_CHECKS = env_list("POLICYDESK_READY_CHECKS", "database,migrations,policy,worker,smtpd")
POLICYDESK_HEARTBEAT_STALE = env_float("POLICYDESK_HEARTBEAT_STALE", 60.0)
# /metrics (metrics/views.py): a bearer token for the Prometheus server, or the addresses (CIDRs)
# it scrapes from; anyone else gets 404.
POLICYDESK_METRICS_TOKEN = env_str("POLICYDESK_METRICS_TOKEN", "")
POLICYDESK_METRICS_ALLOW = env_list("POLICYDESK_METRICS_ALLOW", "127.0.0.1/32,::1/128")
AUTH_USER_MODEL = "tickets.Person"

TASKS = {"default": {"BACKEND": "policydesk.ops.tasks_backend.DatabaseBackend"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ja", _("Japanese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# Served by the app (WhiteNoise) with hashed, compressed names once `policydesk collectstatic`
# has run; plain names before (web/static.py).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "policydesk.web.static.DeskStaticStorage"},
}

# -- HTTPS, a TLS-terminating proxy, and what every answer carries (docs/security.md) --------
SITE_IS_HTTPS = origin_of(SITE_URL).startswith("https://")
SESSION_COOKIE_SECURE = env_bool("POLICYDESK_SECURE_COOKIES", not DEBUG and SITE_IS_HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# The proxy's header saying "this came in over HTTPS", e.g. `X-Forwarded-Proto: https`.
SECURE_PROXY_SSL_HEADER = proxy_ssl_header(env_str("POLICYDESK_PROXY_SSL_HEADER", ""))
# Form posts from the public URL pass the CSRF origin check even if the proxy rewrites Host.
# A refused form gets a page of the site that keeps the text typed (web/errors.py).
CSRF_FAILURE_VIEW = "policydesk.web.errors.csrf_failure"
CSRF_TRUSTED_ORIGINS = env_list("POLICYDESK_CSRF_TRUSTED_ORIGINS", origin_of(SITE_URL))
# Redirecting http to https is safe by default only when we can tell (the proxy header):
# without it every request looks like http behind the proxy and would loop.
SECURE_SSL_REDIRECT = env_bool(
    "POLICYDESK_SSL_REDIRECT", SITE_IS_HTTPS and SECURE_PROXY_SSL_HEADER is not None and not DEBUG
)
# A load balancer asks the health endpoints over plain http, on the backend address.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# HSTS binds browsers to https for this long: opt in once https works (docs/security.md).
SECURE_HSTS_SECONDS = env_int("POLICYDESK_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("POLICYDESK_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("POLICYDESK_HSTS_PRELOAD", False)

# Content-Security-Policy on every page (django-csp): our own scripts and styles only, no
# inline code, no framing. Views that need another policy change it per response: the
# in-product widget sets frame-ancestors to POLICYDESK_WIDGET_ORIGINS, and downloads send
# `default-src 'none'; sandbox`.
POLICYDESK_CSP_REPORT_URI = env_str("POLICYDESK_CSP_REPORT_URI", "")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        **({"report-uri": [POLICYDESK_CSP_REPORT_URI]} if POLICYDESK_CSP_REPORT_URI else {}),
    }
}
# No report-only policy beside it (django-csp's second header; security.CSPMiddleware reads both).
CONTENT_SECURITY_POLICY_REPORT_ONLY: dict[str, Any] | None = None

# Logs on standard error; `POLICYDESK_LOG_FORMAT=json`: one JSON line per record, with the
# request id and the ticket number (ops/logs.py).
POLICYDESK_LOG_FORMAT = env_str("POLICYDESK_LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(message)s"},
        "json": {"()": "policydesk.ops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if POLICYDESK_LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("POLICYDESK_LOG_LEVEL", "INFO")},
    # aiosmtpd's line per connection and command: the listener logs what matters itself.
    "loggers": {"mail.log": {"level": "WARNING"}},
}
POLICYDESK_MAX_ATTACHMENT_BYTES = env_int("POLICYDESK_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)
# The largest request body taken: the attachment limit plus room for the form around it.
# Larger bodies get 413 before they are read (policydesk.security.RequestSizeLimitMiddleware).
POLICYDESK_MAX_REQUEST_BYTES = env_int(
    "POLICYDESK_MAX_REQUEST_BYTES", POLICYDESK_MAX_ATTACHMENT_BYTES + 1024 * 1024
)
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"  # never served directly: attachments go through a permission-checked view

# Search (docs/search.md): hours between two compactions of SQLite's full-text index by the
# worker (`policydesk search compact`); 0 never.
POLICYDESK_SEARCH_COMPACT_HOURS: float = env_float("POLICYDESK_SEARCH_COMPACT_HOURS", 24.0)
# Who writes a new ticket's search entries: "worker" (its indexer, within about
# POLICYDESK_SEARCH_INDEX_SECONDS of the intake) or "request" (the intake, in its transaction).
POLICYDESK_SEARCH_INDEX_NEW_TICKETS: str = env_str("POLICYDESK_SEARCH_INDEX_NEW_TICKETS", "worker")
if POLICYDESK_SEARCH_INDEX_NEW_TICKETS not in ("worker", "request"):
    raise ImproperlyConfigured(
        "POLICYDESK_SEARCH_INDEX_NEW_TICKETS must be 'worker' or 'request', not "
        f"{POLICYDESK_SEARCH_INDEX_NEW_TICKETS!r}"
    )
# Seconds between two looks of the worker's indexer for new tickets waiting for their entries.
POLICYDESK_SEARCH_INDEX_SECONDS: float = env_float("POLICYDESK_SEARCH_INDEX_SECONDS", 1.0)
# SQLite: seconds between two checkpoints of the write-ahead log by the worker (ops/checkpoint.py;
# 0: none, the process whose commit passes POLICYDESK_SQLITE_WAL_AUTOCHECKPOINT copies the log).
POLICYDESK_SQLITE_CHECKPOINT_SECONDS: float = env_float("POLICYDESK_SQLITE_CHECKPOINT_SECONDS", 0.5)

# SLA watch and on-call paging (docs/sla-watch.md)
# Share of the first-response target, in business time, at which the warning fires.
POLICYDESK_SLA_WARNING_SHARE: float = env_float("POLICYDESK_SLA_WARNING_SHARE", 0.75)
# Seconds between two passes of the watch loop.
POLICYDESK_WATCH_INTERVAL: float = env_float("POLICYDESK_WATCH_INTERVAL", 5.0)
# How long a claimed delivery belongs to its worker before another may take it over.
POLICYDESK_DELIVERY_LEASE_SECONDS: float = env_float("POLICYDESK_DELIVERY_LEASE_SECONDS", 60.0)
# Sends tried before a delivery is marked failed.
POLICYDESK_DELIVERY_MAX_ATTEMPTS: int = env_int("POLICYDESK_DELIVERY_MAX_ATTEMPTS", 5)
# C6: how long a paged person has to acknowledge before the next one is paged.
POLICYDESK_PAGE_ACK_MINUTES: float = env_float("POLICYDESK_PAGE_ACK_MINUTES", 15.0)
# How long an acknowledgement link works.
# How long a solved ticket's satisfaction survey can be answered, or its answer changed (its
# email links stop working then too): docs/help-centre.md.
POLICYDESK_SATISFACTION_DAYS: float = env_float("POLICYDESK_SATISFACTION_DAYS", 14.0)
POLICYDESK_PAGE_ACK_LINK_HOURS: float = env_float("POLICYDESK_PAGE_ACK_LINK_HOURS", 24.0)
# The paging channels in use: email, webhook.
POLICYDESK_PAGING_CHANNELS: list[str] = env_list("POLICYDESK_PAGING_CHANNELS", "email,webhook")
# Where the webhook channel POSTs pages (empty turns it off), and the HMAC-SHA256 key it signs with.
POLICYDESK_PAGING_WEBHOOK_URL: str = env_str("POLICYDESK_PAGING_WEBHOOK_URL", "")
POLICYDESK_PAGING_WEBHOOK_SECRET: str = env_str("POLICYDESK_PAGING_WEBHOOK_SECRET", "")
# The zone whose Monday 00:00 starts an on-call week.
POLICYDESK_ONCALL_TIME_ZONE: str = env_str("POLICYDESK_ONCALL_TIME_ZONE", "UTC")

# The agent console: how close to its due time a ticket's badge turns amber.
POLICYDESK_CONSOLE_AMBER_MINUTES: int = env_int("POLICYDESK_CONSOLE_AMBER_MINUTES", 240)

# The email channel (docs/email.md).
# The domain of our addresses and Message-IDs; empty: the policy's domain.
POLICYDESK_MAIL_DOMAIN: str = env_str("POLICYDESK_MAIL_DOMAIN", "")
POLICYDESK_MAIL_LOCAL_PART: str = env_str("POLICYDESK_MAIL_LOCAL_PART", "support")
# The From of all our mail (and Django's DEFAULT_FROM_EMAIL, below); empty: '<vendor> Support
# <support address>' from the policy.
POLICYDESK_MAIL_FROM: str = env_str("POLICYDESK_MAIL_FROM", "")
# Only the topmost Authentication-Results header with this authserv-id is read ('' = none).
POLICYDESK_MAIL_AUTHSERV_ID: str = env_str("POLICYDESK_MAIL_AUTHSERV_ID", "")
# Addresses the SMTP listener accepts (with their +tags); empty: the support address alone.
POLICYDESK_MAIL_ACCEPTED_RECIPIENTS: list[str] = env_list("POLICYDESK_MAIL_ACCEPTED_RECIPIENTS", "")
# Caps per message and SMTP transaction (docs/security.md): size, recipients, MIME parts read,
# files attached.
POLICYDESK_MAIL_MAX_BYTES: int = env_int("POLICYDESK_MAIL_MAX_BYTES", 25 * 1024 * 1024)
POLICYDESK_MAIL_MAX_RECIPIENTS: int = env_int("POLICYDESK_MAIL_MAX_RECIPIENTS", 50)
POLICYDESK_MAIL_MAX_PARTS: int = env_int("POLICYDESK_MAIL_MAX_PARTS", 2000)
POLICYDESK_MAIL_MAX_ATTACHMENTS: int = env_int("POLICYDESK_MAIL_MAX_ATTACHMENTS", 100)
# (messages, seconds): at most this many automatic messages to one recipient.
POLICYDESK_MAIL_RATE_LIMIT: tuple[int, int] = (
    env_int("POLICYDESK_MAIL_RATE_LIMIT_COUNT", 10),
    env_int("POLICYDESK_MAIL_RATE_LIMIT_SECONDS", 3600),
)
# Sends of one outgoing message tried before it is marked failed.
POLICYDESK_MAIL_SEND_ATTEMPTS: int = env_int("POLICYDESK_MAIL_SEND_ATTEMPTS", 5)
# A message queued this long with no sender, or claimed this long ago by a sender that never
# marked it (a worker killed mid-send), is enqueued again by the worker's sweep: longer than a
# send can take (EMAIL_TIMEOUT), so a slow send is not taken twice.
POLICYDESK_MAIL_SEND_LEASE_SECONDS: float = env_float("POLICYDESK_MAIL_SEND_LEASE_SECONDS", 300.0)
# The worker claims and sends this many queued messages at a time (one claim, one connection,
# one record of the sent): fewer commits per mail. A worker killed mid-batch sends again, after
# the lease, at most the messages of that batch it had handed over (docs/email.md).
POLICYDESK_MAIL_SEND_BATCH: int = env_int("POLICYDESK_MAIL_SEND_BATCH", 100)
# After a batch that emptied the queue, the worker waits this long before it claims again, so
# that mail recorded meanwhile goes out together: under a steady stream of tickets a batch of
# one or two per claim costs three write transactions each, taken from the intakes (SQLite has
# one writer). The most an acknowledgement waits for it; 0 claims again at once (issue 17).
# 0.25 s, not 0.05: beside a stream of intakes on SQLite, 8-11 % more of them (BENCHMARKS.md).
POLICYDESK_MAIL_SEND_GATHER_SECONDS: float = env_float("POLICYDESK_MAIL_SEND_GATHER_SECONDS", 0.25)
# Processors the SMTP listener runs side by side, each taking its own share of the stored mail
# (by key): 0 chooses by database, 1 on SQLite (one writer: a second only waits) and 2 on
# PostgreSQL, where one processor spends much of its time waiting on round trips (issue 17).
POLICYDESK_MAIL_PROCESSORS: int = env_int("POLICYDESK_MAIL_PROCESSORS", 0)
# The mailbox `policydesk imap-poll` reads (docs/email.md).
POLICYDESK_IMAP: dict[str, str | int | bool] = {
    "host": env_str("POLICYDESK_IMAP_HOST", "127.0.0.1"),
    "port": env_int("POLICYDESK_IMAP_PORT", 993),
    "user": env_str("POLICYDESK_IMAP_USER", ""),
    "password": env_str("POLICYDESK_IMAP_PASSWORD", ""),
    "folder": env_str("POLICYDESK_IMAP_FOLDER", "INBOX"),
    "ssl": env_bool("POLICYDESK_IMAP_SSL", True),
    "move_to": env_str("POLICYDESK_IMAP_MOVE_TO", ""),
    "batch": env_int("POLICYDESK_IMAP_BATCH", 50),
    "mailbox": env_str("POLICYDESK_IMAP_MAILBOX", "imap"),
    "idle_seconds": env_int("POLICYDESK_IMAP_IDLE_SECONDS", 300),
}

LOGIN_URL = "/signin/"
LOGIN_REDIRECT_URL = "/"

# Outgoing email: console in development (make run), SMTP in production.
EMAIL_BACKEND = env_str("POLICYDESK_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("POLICYDESK_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("POLICYDESK_EMAIL_PORT", 25)
# Seconds before a mail server that stops answering is given up on (then retried); Django's
# default waits for ever, holding the worker. Less than POLICYDESK_MAIL_SEND_LEASE_SECONDS.
EMAIL_TIMEOUT = env_float("POLICYDESK_EMAIL_TIMEOUT", 60.0)
EMAIL_HOST_USER = env_str("POLICYDESK_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("POLICYDESK_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("POLICYDESK_EMAIL_TLS", False)
# One From for all mail: `mail.conf.from_address()` (POLICYDESK_MAIL_FROM, else the policy's
# "<vendor> Support <support address>"). Django's own settings for it follow that function,
# read when a message is built (the policy is not loaded while settings are).
DEFAULT_FROM_EMAIL: str = lazy(lambda: import_module("policydesk.mail.conf").from_address(), str)()
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The in-product form (C13): the product's backend signs widget tokens with this secret;
# empty refuses every token. Origins that may frame the widget (Content-Security-Policy).
# In development (POLICYDESK_DEBUG=1, `make run`) a public demo secret, so the widget works out
# of the box on /widget/demo/ (a stand-in for the product's page); production has none.
DEMO_WIDGET_SECRET = "policydesk-development-widget-secret-never-for-production"  # noqa: S105 - public, DEBUG only
POLICYDESK_WIDGET_SECRET: str = env_str("POLICYDESK_WIDGET_SECRET", DEMO_WIDGET_SECRET if DEBUG else "")
POLICYDESK_WIDGET_ORIGINS: list[str] = env_list("POLICYDESK_WIDGET_ORIGINS", "")

# Nothing that must hold across processes lives in the cache: sign-in limits and used
# single-use tokens are in the database (portal/limits.py).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# How many proxies in front of the desk append to X-Forwarded-For: the client whose sign-in
# attempts are counted is the address the outermost of them saw. 0: the connecting address.
POLICYDESK_TRUSTED_PROXY_COUNT = env_int("POLICYDESK_TRUSTED_PROXY_COUNT", 0)

# `policydesk rundesk` (development): where its web server listens, and its SMTP listener's port.
POLICYDESK_ADDR: str = env_str("POLICYDESK_ADDR", "127.0.0.1:8000")
# `policydesk serve` (production, gunicorn): where it listens, processes, threads each, timeout.
POLICYDESK_BIND: str = env_str("POLICYDESK_BIND", POLICYDESK_ADDR)
POLICYDESK_WEB_WORKERS: int = env_int("POLICYDESK_WEB_WORKERS", 2)
POLICYDESK_WEB_THREADS: int = env_int("POLICYDESK_WEB_THREADS", 4)
POLICYDESK_WEB_TIMEOUT: int = env_int("POLICYDESK_WEB_TIMEOUT", 30)
POLICYDESK_SMTP_PORT: int = env_int("POLICYDESK_SMTP_PORT", 2525)
