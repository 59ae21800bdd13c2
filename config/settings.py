"""One settings file, read from the environment.

Every variable has an embedded default that needs no server (SQLite, the kombu filesystem
transport, a database cache, the local WeCom sandbox), so a fresh checkout runs as it is.
A value that cannot be used stops start-up with a message that names the variable.
"""

import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def envstr(name, default):
    return os.environ.get(name) or default


def envbool(name, default):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}: expected true or false, got {raw!r}")


def envint(name, default, minimum=None, maximum=None):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected a whole number, got {raw!r}") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ImproperlyConfigured(f"{name}: must be between {minimum} and {maximum}, got {value}")
    return value


def envurl(name, default, schemes):
    value = envstr(name, default)
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        allowed = ", ".join(sorted(schemes))
        raise ImproperlyConfigured(f"{name}: the scheme must be one of {allowed}, got {value!r}")
    return value


DEBUG = envbool("DEBUG", False)
# The embedded key only serves the local demo; production must set its own.
SECRET_KEY = envstr("SECRET_KEY", "insecure-local-demo-key-set-SECRET_KEY-in-production")
ALLOWED_HOSTS = [h.strip() for h in envstr("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
# A refused CSRF check (a form open too long, a login elsewhere) on a page of the site's own.
CSRF_FAILURE_VIEW = "meetings.error_views.csrf_failure"
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in envstr("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    # The admin with the project's site: 403 for a signed-in person who is not staff.
    "meetings.apps.MeetingsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "axes",
    "wecom",
    "meetings",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "meetings.error_views.method_not_allowed",
    # Last, as django-axes asks: it turns a locked-out log-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "meetings.context_processors.attention",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        envurl(
            "DATABASE_URL",
            f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
            {"sqlite", "postgres", "postgresql", "pgsql"},
        ),
        # A new PostgreSQL connection costs several milliseconds a request; keeping it for
        # a while, checked before reuse, removes that without holding dead connections.
        conn_max_age=envint("DB_CONN_MAX_AGE", 600, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a worker process started by the tests sees the same data;
    # WAL and a busy timeout let the web process and the worker write side by side.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The access_token lives in this cache and every process must see the same one, so the
# default is the database (shared by web and worker), never per-process memory.
CACHE_URL = envurl("CACHE_URL", "db://", {"db", "redis", "rediss", "locmem"})
_cache = urlsplit(CACHE_URL)
if _cache.scheme == "db":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
        }
    }
elif _cache.scheme in ("redis", "rediss"):
    CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": CACHE_URL,
        }
    }
    # Every request reads its session: from Redis that costs less than a database query.
    # The database still holds each session, so one Redis lost or flushed signs nobody out.
    # Not with the other caches: the database cache would only add a query, and memory is
    # per process, where a log-out in one would leave the session alive in the others.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out username or address before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "meetings.auth.RightsBackend",
]
# What failed log-ins are counted against. By default the username at one address: one
# person's typos lock that person out at that address, not the whole office behind it (an
# office shares one address), and not the account everywhere.
AXES_LOCKOUTS = {
    "user_and_address": [["username", "ip_address"]],
    "user_or_address": ["username", "ip_address"],
    "user": ["username"],
    "address": ["ip_address"],
}
_lockout = envstr("AXES_LOCKOUT", "user_and_address")
if _lockout not in AXES_LOCKOUTS:
    raise ImproperlyConfigured(
        f"AXES_LOCKOUT: expected one of {', '.join(AXES_LOCKOUTS)}, got {_lockout!r}"
    )
AXES_LOCKOUT_PARAMETERS = AXES_LOCKOUTS[_lockout]
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_CLIENT_IP_CALLABLE = "meetings.audit.client_ip"
# The admin would list axes' own attempt records; the audit events already say it all.
AXES_ENABLE_ADMIN = False
# Only when the proxy in front sets X-Forwarded-For (and strips what clients send) may its
# first entry stand for the client's address in the record and the log-in throttle.
TRUST_X_FORWARDED_FOR = envbool("TRUST_X_FORWARDED_FOR", False)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "meetings:list"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600, minimum=60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A session also ends with the browser, so a shared office computer does not stay signed in.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Mail, for password reset only. Without a mail server the reset pages do not exist: they
# would promise a message that never leaves.
EMAIL_HOST = envstr("EMAIL_HOST", "")
EMAIL_PORT = envint("EMAIL_PORT", 587, minimum=1, maximum=65535)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "webmaster@localhost")
PASSWORD_RESET = bool(EMAIL_HOST)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = envstr("TIME_ZONE", "Asia/Shanghai")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE: unknown time zone {TIME_ZONE!r}") from None

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Serve straight from the source folders too, so tests and a fresh checkout need no
# collectstatic; production runs collectstatic and gets compressed, cached files.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- WeCom ---------------------------------------------------------------------------
SANDBOX_PORT = envint("SANDBOX_PORT", 8900, minimum=1, maximum=65535)
WECOM_API_BASE = envurl("WECOM_API_BASE", f"http://127.0.0.1:{SANDBOX_PORT}", {"http", "https"})
WECOM_CORP_ID = envstr("WECOM_CORP_ID", "wwsandbox")
WECOM_SECRET = envstr("WECOM_SECRET", "sandbox-secret")
WECOM_AGENT_ID = envint("WECOM_AGENT_ID", 1000002, minimum=1)
WECOM_CONNECT_TIMEOUT = envint("WECOM_CONNECT_TIMEOUT", 5, minimum=1)
WECOM_READ_TIMEOUT = envint("WECOM_READ_TIMEOUT", 15, minimum=1)
# WeCom's limit per corp and API (developer.work.weixin.qq.com/document/path/90454), kept by
# all workers together through the shared cache (wecom/limits.py). Lower them when another
# system calls the same APIs for the same corp.
WECOM_RATE_PER_MINUTE = envint("WECOM_RATE_PER_MINUTE", 10_000, minimum=7)
WECOM_RATE_PER_HOUR = envint("WECOM_RATE_PER_HOUR", 150_000, minimum=7)
# The invitee cap of meeting/update: 100 for an ordinary corp, the purchased capacity up to
# 300 for a paying one.
WECOM_INVITEE_CAP = envint("WECOM_INVITEE_CAP", 100, minimum=1, maximum=300)
# The callback URL's Token and EncodingAESKey, as set on the app's "receive messages" page;
# the defaults are the sandbox's, known to everyone and fit for the local demo only.
WECOM_CALLBACK_TOKEN = envstr("WECOM_CALLBACK_TOKEN", "sandbox-callback-token")
WECOM_CALLBACK_AES_KEY = envstr(
    "WECOM_CALLBACK_AES_KEY", "d2Vjb20tc2FuZGJveC1jYWxsYmFjay1hZXMta2V5ISE"
)
if not re.fullmatch(r"[A-Za-z0-9+/]{43}", WECOM_CALLBACK_AES_KEY):
    raise ImproperlyConfigured(
        "WECOM_CALLBACK_AES_KEY: expected the 43 characters of base64 WeCom shows as EncodingAESKey"
    )

# The app messages (message/send) that tell an administrator in WeCom when a change of
# theirs failed for good or ended in a conflict (meetings/notify.py).
WECOM_MESSAGES = envbool("WECOM_MESSAGES", True)
# Where people open this site: the links in those messages are absolute.
SITE_URL = envurl("SITE_URL", "http://127.0.0.1:8000", {"http", "https"})

# --- Celery --------------------------------------------------------------------------
CELERY_BROKER_URL = envurl(
    "CELERY_BROKER_URL",
    "filesystem://",
    {"filesystem", "redis", "rediss", "amqp", "amqps", "pyamqp", "memory"},
)
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue = VAR_DIR / "broker"
    for _sub in ("out", "processed", "control"):
        (_queue / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue / "out"),
        "data_folder_out": str(_queue / "out"),
        "processed_folder": str(_queue / "processed"),
        "control_folder": str(_queue / "control"),
        "store_processed": False,
        # The transport polls its folder; the default second would be felt after every save.
        "polling_interval": 0.1,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A save publishes its sync task: a broker that does not answer must not hold it up.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_DEFAULT_QUEUE = envstr("CELERY_TASK_DEFAULT_QUEUE", "celery")
# A save publishes its task after the commit, in the request. A broker that is down must cost
# the administrator a moment, not a hung page: one quick retry, then the sweep's turn.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The sweep re-queues every meeting whose edit has not reached WeCom and whose run is due:
# the safety net under lost messages, a broker that was down and workers that died.
SYNC_SWEEP_INTERVAL = envint("SYNC_SWEEP_INTERVAL", 60, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "sync-sweep": {
        "task": "meetings.tasks.sweep",
        "schedule": SYNC_SWEEP_INTERVAL,
        "options": {"expires": SYNC_SWEEP_INTERVAL},
    },
}

# --- Sync ----------------------------------------------------------------------------
# Tries of one version before it is marked failed, and the exponential back-off between
# them (seconds, doubled each try up to the maximum, with jitter).
SYNC_MAX_TRIES = envint("SYNC_MAX_TRIES", 8, minimum=1)
SYNC_BACKOFF_BASE = envint("SYNC_BACKOFF_BASE", 5, minimum=1)
SYNC_BACKOFF_MAX = envint("SYNC_BACKOFF_MAX", 600, minimum=1)
# How long a worker's claim on a meeting lasts: longer than a call, its token refresh and
# its re-send, so that only a dead worker's claim runs out.
SYNC_LEASE_SECONDS = envint(
    "SYNC_LEASE_SECONDS", 3 * (WECOM_CONNECT_TIMEOUT + WECOM_READ_TIMEOUT) + 10, minimum=1
)
# The worker starts this long after a save, so that a burst of saves goes out as one call.
SYNC_SETTLE_SECONDS = envint("SYNC_SETTLE_SECONDS", 1, minimum=0)
# …but no longer than this after the first save WeCom does not have, however many follow.
SYNC_SETTLE_MAX_SECONDS = envint("SYNC_SETTLE_MAX_SECONDS", 30, minimum=0)
# WeCom answers a create of a meeting it is creating already with 400301 and asks to wait
# five minutes (meeting/create, 98148): the next try comes this long after (plus a tenth).
SYNC_CREATE_WAIT = envint("SYNC_CREATE_WAIT", 300, minimum=1)

# One line per record whatever a request puts in it (config/logs.py), and 403s without a
# traceback.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_refusals": {"()": "config.logs.OneLineRefusals"}},
    "formatters": {
        "plain": {
            "class": "config.logs.OneLineFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["one_line_refusals"],
        }
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    # django-axes says every login and failure at INFO, four lines each; the audit record
    # has them all, so its warnings (a lockout) are what the log needs.
    "loggers": {"axes": {"level": "WARNING"}},
}
# The worker logs through the same handler rather than Celery's own, which would not escape.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Behind a TLS proxy in production ------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
HTTPS = envbool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
