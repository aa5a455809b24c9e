"""Settings for Evidence KB, all read from the environment.

`make run` turns DEBUG on and serves from PostgreSQL: DATABASE_URL if set, else an embedded server
in .pgdata/ (kb/devdb.py); it records both in .env for `python manage.py` in this checkout. There
is no default database. Production sets DATABASE_URL, DEBUG=0, SECRET_KEY and ALLOWED_HOSTS and
gets HTTPS-only cookies, HSTS and redirects unless SECURE_HTTPS=0 (tests and local serving over
plain HTTP).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent

# `make run` leaves a .env (DEBUG=1) so that `python manage.py ...` in the same checkout works
# as the served site does. The real environment always wins.
load_dotenv(BASE_DIR / ".env", override=False)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "string (50+ characters), or set DEBUG=1 for local development."
        )
    SECRET_KEY = "django-insecure-local-development-only-never-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "ninja",
    "django_htmx",
    "simple_history",
    "django_tasks_db",
    "axes",
    "studies",
    "kb",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Answers anonymous reads of public pages from the content-version cache before the
    # middleware below run (the ones above set headers every response needs), and takes
    # Vary: Cookie off the public pages the session middleware adds it to: kb.page_cache.
    "kb.page_cache.PublicPageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kb.urls"
WSGI_APPLICATION = "kb.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# PostgreSQL only (full-text search, pg_trgm), and never a silent default.
database_url = os.environ.get("DATABASE_URL", "")
if not database_url:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. Use `make run`, which starts a development PostgreSQL and "
        "records its URL in .env, or set DATABASE_URL to a PostgreSQL database, e.g. "
        "postgres://user@127.0.0.1:5432/kb."
    )
# Connections are kept between requests (a new PostgreSQL connection costs more than most of
# our pages) and checked before reuse, so a restarted database costs one failed check, not a 500.
DATABASES = {
    "default": dj_database_url.parse(
        database_url,
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "DATABASE_URL must name a PostgreSQL database (postgres://...): Evidence KB uses "
        "PostgreSQL's full-text search and pg_trgm."
    )
# Clones on one machine share one PostgreSQL: `make test` names each clone's test database.
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in throttling (django-axes): 5 failed sign-ins for one username from one address lock
# that pair out for 15 minutes (429, templates/registration/locked_out.html); a success clears
# the count. The address is REMOTE_ADDR: behind a proxy every client shares the proxy's, so the
# lock is then per account. `manage.py axes_reset` lifts every lock early.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "kb.sign_in.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
# A wrong password during the lock does not restart the 15 minutes: the page's promise holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Locks are lifted with `manage.py axes_reset`, not through the admin: no admin pages of attempts.
AXES_ENABLE_ADMIN = False
# Only failures are counted: successful sign-ins and sign-outs leave no log of addresses.
AXES_DISABLE_ACCESS_LOG = True

# Who the public changelog says published a change: "name" (the editor's full name, else
# username) or "role" ("an editor").
PUBLIC_CREDIT = os.environ.get("PUBLIC_CREDIT", "name")
if PUBLIC_CREDIT not in ("name", "role"):
    raise ImproperlyConfigured('PUBLIC_CREDIT must be "name" or "role".')

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "editor:queue"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", "") or BASE_DIR / "staticfiles")
# Where `manage.py export_kb` writes the bulk dumps that /data/ offers.
DATA_EXPORT_DIR = Path(os.environ.get("DATA_EXPORT_DIR", "") or BASE_DIR / "data-exports")
# Production serves `collectstatic`'s output under hashed, compressed names; development and the
# tests serve the source files (STATIC_MANIFEST=0), so they need no collectstatic.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

if STATIC_MANIFEST:
    # The app server serves them itself, hashed names cached for a year (whitenoise); runserver
    # and the tests' live server serve the source files.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

# Anonymous pages are kept in that cache, keyed by the content version (kb.page_cache); 0 turns
# the server-side copy off (ETags and 304s stay).
PUBLIC_PAGE_CACHE = env_bool("PUBLIC_PAGE_CACHE", True)

# One cache per process unless REDIS_URL names a Redis server that every app server shares.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Editors' reasons ("why") are kept whole in the history, not cut at 100 characters.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Long work (fetching studies, retraction checks, the PubMed watch) runs in background tasks:
# queued in PostgreSQL (django-tasks-db), run by `manage.py db_worker` processes on any machine
# that reaches the database. TASK_BACKEND=immediate runs each task inside the call that queues
# it (the tests do, unless they drive a worker themselves).
TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
}
TASK_BACKEND = os.environ.get("TASK_BACKEND", "database")
if TASK_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured(f"TASK_BACKEND must be one of {', '.join(TASK_BACKENDS)}.")
TASKS = {
    "default": {"BACKEND": TASK_BACKENDS[TASK_BACKEND]},
    # For work a command runs itself (`run_periodic --here`), not through the queue.
    "here": {"BACKEND": TASK_BACKENDS["immediate"]},
}

# Content Security Policy: no inline script or style without the request's nonce, no eval.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    # The nonce: the admin's change lists carry a <style> with it (django/contrib/admin). The
    # one hash: the only inline style attribute any page has, `style="border-top: 0"` in
    # simple_history's admin history list ('unsafe-hashes' allows that exact value, no other).
    "style-src": [
        CSP.SELF,
        CSP.NONCE,
        CSP.UNSAFE_HASHES,
        "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='",
    ],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# HTTPS hardening follows its own switch, not DEBUG: tests, browser tests and `make run` serve
# plain HTTP with DEBUG off or on, production keeps the default (on).
SECURE_HTTPS = env_bool("SECURE_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = SECURE_HTTPS
# Load balancers poll the health check over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if SECURE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# htmx reads the token from the page (hx-headers), never from the cookie.
CSRF_COOKIE_HTTPONLY = True
# Refuse an oversized upload before any of it is read or written to disk (kb/uploads.py).
FILE_UPLOAD_HANDLERS = [
    "kb.uploads.RequestSizeLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# NCBI asks every E-utilities client to identify itself; Crossref's polite pool uses the email too.
NCBI_EMAIL = os.environ.get("NCBI_EMAIL", "")
NCBI_API_KEY = os.environ.get("NCBI_API_KEY", "")
NCBI_TOOL = os.environ.get("NCBI_TOOL", "evidence-kb")

# E-mail (the editors' digest) goes out by SMTP: EMAIL_HOST, else a mail server on this host.
# With DEBUG (`make run`) and no EMAIL_HOST it is printed on the console instead. SITE_URL makes
# the links in e-mails absolute.
_EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
_EMAIL_TLS = env_bool("EMAIL_USE_TLS", bool(_EMAIL_HOST))
MAILERS = {
    "default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if DEBUG and not _EMAIL_HOST
    else {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": _EMAIL_HOST or "localhost",
            "port": int(os.environ.get("EMAIL_PORT", "587" if _EMAIL_TLS else "25")),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": _EMAIL_TLS,
        },
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "evidence-kb@localhost")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# For `make run` only: an editor account from the environment, refused outside DEBUG.
DEMO_EDITOR_USERNAME = os.environ.get("DEMO_EDITOR_USERNAME", "")
DEMO_EDITOR_PASSWORD = os.environ.get("DEMO_EDITOR_PASSWORD", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
