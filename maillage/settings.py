"""maillage settings: one module, fed by MAILLAGE_* and DATABASE_URL (see README)."""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from maillage.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("MAILLAGE_VAR_DIR", str(BASE_DIR / "var")) or "var")

ENVIRONMENT = env_choice("MAILLAGE_ENV", ("development", "production"), "development")
PRODUCTION = ENVIRONMENT == "production"
# Off in the demo too: people see the translated error pages, never a traceback (MAILLAGE_DEBUG=true to develop).
DEBUG = env_bool("MAILLAGE_DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("MAILLAGE_DEBUG cannot be true when MAILLAGE_ENV=production.")


def _demo_secret_key() -> str:
    """Generated once into var/ so sessions survive restarts of the demo."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env_str("MAILLAGE_SECRET_KEY", required=PRODUCTION) or _demo_secret_key()
if PRODUCTION and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("MAILLAGE_SECRET_KEY must be at least 50 characters long.")

ALLOWED_HOSTS = env_list("MAILLAGE_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("MAILLAGE_ALLOWED_HOSTS must list the host names maillage answers to.")
CSRF_TRUSTED_ORIGINS = env_list("MAILLAGE_CSRF_TRUSTED_ORIGINS")
SITE_URL = (env_str("MAILLAGE_SITE_URL", "http://127.0.0.1:8000") or "").rstrip("/")

INSTALLED_APPS = [
    "maillage.core.admin_app.MaillageAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "maillage.core",  # before allauth, so our templates override its layouts
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "axes",
    "django_prometheus",
    # ours, from the bottom of the dependency arrow to the top (core is above)
    "maillage.taxonomy",
    "maillage.directory",
    "maillage.helpline",
    "maillage.casework",
    "maillage.events",
    "maillage.surveys",
    "maillage.newsletters",
    "maillage.stats",
    "maillage.sector",
]

# Apps of ours, in the order their navigation, home panels and demo data are gathered.
MAILLAGE_APPS = [
    "core",
    "taxonomy",
    "directory",
    "helpline",
    "casework",
    "events",
    "surveys",
    "newsletters",
    "stats",
    "sector",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "maillage.core.observability.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "maillage.core.middleware.RejectControlCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "maillage.core.middleware.SessionIdleTouchMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "maillage.core.replica.ReplicaForReportsMiddleware",
    "maillage.core.middleware.RequireTwoFactorMiddleware",
    "maillage.core.middleware.PrivateResponseHeadersMiddleware",
    # Last: turns a sign-in refused for too many failures into the lock-out page.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "maillage.urls"
WSGI_APPLICATION = "maillage.wsgi.application"
ASGI_APPLICATION = "maillage.asgi.application"

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
                "maillage.core.context_processors.shell",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise.
_database_url = env_str("DATABASE_URL")
if _database_url:
    try:
        _default_db = dj_database_url.parse(_database_url, conn_max_age=env_int("MAILLAGE_DB_CONN_MAX_AGE", 60))
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL we understand: {error}") from None
elif PRODUCTION:
    raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL when MAILLAGE_ENV=production.")
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _default_db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(VAR_DIR / "maillage.sqlite3")}
if _default_db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE write transactions: the re-count inside a scarce-place booking sees the truth.
    _default_db.setdefault("OPTIONS", {})
    _default_db["OPTIONS"].update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # Tests use a file too (not Django's shared in-memory database, whose table locks fail at once
    # instead of waiting): concurrent posts then behave as they do in the demo.
    _test_dir = Path(env_str("MAILLAGE_TEST_DB_DIR", "/dev/shm") or "")  # noqa: S108 - memory-backed, per process
    _test_dir = _test_dir if _test_dir.is_dir() else VAR_DIR
    _default_db.setdefault("TEST", {"NAME": str(_test_dir / f"maillage-test-{os.getpid()}.sqlite3")})
# Behind PgBouncer in transaction mode a connection changes between transactions: no server-side cursors
# (Django's .iterator()) and no prepared statements, which live on one server connection.
MAILLAGE_DB_POOLER = env_choice("MAILLAGE_DB_POOLER", ("none", "pgbouncer-transaction"), "none")
if MAILLAGE_DB_POOLER == "pgbouncer-transaction" and _default_db["ENGINE"].endswith("postgresql"):
    _default_db["DISABLE_SERVER_SIDE_CURSORS"] = True
    _default_db.setdefault("OPTIONS", {})["prepare_threshold"] = None
DATABASES = {"default": _default_db}
# A streaming replica of the primary for reports (maillage/core/replica.py, maillage/replica_reports.py).
_replica_url = env_str("MAILLAGE_REPLICA_URL")
if _replica_url:
    try:
        DATABASES["replica"] = dj_database_url.parse(_replica_url, conn_max_age=_default_db.get("CONN_MAX_AGE", 0))
    except ValueError as error:
        raise ImproperlyConfigured(f"MAILLAGE_REPLICA_URL is not a database URL we understand: {error}") from None
    # In tests the alias points at the test database (the replica copies the whole primary cluster).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["maillage.core.replica.ReplicaRouter"]
MAILLAGE_REPLICA_STICKY_SECONDS = env_int("MAILLAGE_REPLICA_STICKY_SECONDS", 30, minimum=0)
MAILLAGE_REPLICA_MAX_LAG_SECONDS = env_int("MAILLAGE_REPLICA_MAX_LAG_SECONDS", 60, minimum=1)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6 behaviour for URL fields in forms

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache"
        if PRODUCTION
        else "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "maillage_cache",
        # Django's default (300 entries, then a third culled) would evict the sector figures' counts and
        # patterns of one year's warm-up (30 centres × 8 periods) while it runs.
        "OPTIONS": {"MAX_ENTRIES": env_int("MAILLAGE_CACHE_MAX_ENTRIES", 20000, minimum=300)},
    }
}

TASKS = {
    "default": {
        # Database-backed queue: the demo needs no extra server; production runs `maillage db_worker`.
        "BACKEND": env_choice(
            "MAILLAGE_TASKS_BACKEND",
            ("django_tasks_db.DatabaseBackend", "django_tasks.backends.immediate.ImmediateBackend"),
            "django_tasks_db.DatabaseBackend" if PRODUCTION else "django_tasks.backends.immediate.ImmediateBackend",
        ),
    }
}

# Users, passwords, sessions, two-factor
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out (account, client) pair before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
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
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"
SESSION_COOKIE_AGE = env_int("MAILLAGE_SESSION_MINUTES", 120, minimum=5) * 60
# The age above is an idle timeout: SessionIdleTouchMiddleware moves the expiry forward at most
# once a minute instead of writing the session on every request.
MAILLAGE_SESSION_TOUCH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "maillage.core.adapters.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_SESSION_REMEMBER = False
# Sign-in throttling, in two layers (see core.adapters.client_ip for "client"):
# - django-axes counts failures per (account, client) pair: 5 failures lock that pair out for
#   MAILLAGE_LOCKOUT_MINUTES, reset by a successful sign-in (with the second factor) or a password
#   reset. No key is the account alone, so nobody can keep a chosen person locked out from elsewhere.
# - allauth's rate limit is the softer per-client limit (many accounts tried from one client) and
#   a generous per-account ceiling against guesses spread over many clients: both slow down for a
#   few minutes, never lock for good.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env_str("MAILLAGE_LOGIN_FAILED_LIMIT", "30/5m/ip,100/h/key"),
    "reset_password": "5/m/ip,3/5m/key",
}
# The client's address: REMOTE_ADDR, or X-Forwarded-For only when REMOTE_ADDR is one of these
# proxies (addresses or networks), counting MAILLAGE_PROXY_COUNT proxies from the right.
MAILLAGE_TRUSTED_PROXIES = env_list("MAILLAGE_TRUSTED_PROXIES")
for _proxy in MAILLAGE_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"MAILLAGE_TRUSTED_PROXIES: {_proxy!r} is not an address or a network.") from None
MAILLAGE_PROXY_COUNT = env_int("MAILLAGE_PROXY_COUNT", 1 if MAILLAGE_TRUSTED_PROXIES else 0, minimum=0)
ALLAUTH_TRUSTED_PROXY_COUNT = 0  # allauth asks our adapter (client_ip), never the header itself
AXES_CLIENT_IP_CALLABLE = "maillage.core.adapters.client_ip"
AXES_USERNAME_CALLABLE = "maillage.core.adapters.axes_username"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("MAILLAGE_LOCKOUT_FAILURES", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("MAILLAGE_LOCKOUT_MINUTES", 15, minimum=1))
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the cool-off ends, whatever the attacker does
AXES_LOCKOUT_TEMPLATE = "account/locked_out.html"
AXES_ENABLE_ADMIN = False  # lock-outs expire on their own; no table to manage by hand
AXES_VERBOSE = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "maillage"
# allauth.usersessions: the "Sessions" page lists a person's sessions and signs the others out.
USERSESSIONS_TRACK_ACTIVITY = False  # True would write a row on every request
# Roles whose members must have TOTP before they reach anything else (see core.middleware).
MAILLAGE_REQUIRE_2FA = env_bool("MAILLAGE_REQUIRE_2FA", True)

# Internationalisation: French and Dutch are the peers, English complete.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("nl", _("Dutch")), ("en", _("English"))]
# Each app keeps its own catalogue in maillage/<app>/locale/ (French and Dutch; English is the source).
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
# English dates day/month/year as read in Belgium (Django's own `en` formats are US).
FORMAT_MODULE_PATH = ["maillage.formats"]
# Strings Django's own Dutch catalogues lack (the admin fell back to French, our LANGUAGE_CODE).
LOCALE_PATHS = [Path(__file__).resolve().parent / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
# Leaflet's files from the django-leaflet package, served as our own static files under leaflet/ (the
# directory map). Not an installed app: its admin module needs GDAL, which maillage does not use.
STATICFILES_DIRS = [("leaflet", Path(importlib.util.find_spec("leaflet").origin).parent / "static" / "leaflet")]  # type: ignore[arg-type,union-attr]
# Outside production WhiteNoise serves the apps' static files straight from their folders (no collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "media")},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Mail: SMTP in production; the console in the demo unless MAILLAGE_EMAIL_HOST is set.
EMAIL_HOST = env_str("MAILLAGE_EMAIL_HOST", required=PRODUCTION)
EMAIL_PORT = env_int("MAILLAGE_EMAIL_PORT", 587 if PRODUCTION else 25, minimum=1)
EMAIL_HOST_USER = env_str("MAILLAGE_EMAIL_USER", "") or ""
EMAIL_HOST_PASSWORD = env_str("MAILLAGE_EMAIL_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("MAILLAGE_EMAIL_TLS", PRODUCTION)
EMAIL_TIMEOUT = 20
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str("MAILLAGE_FROM_EMAIL", "maillage <noreply@maillage.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security headers; a strict CSP: no inline script or style anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Sent by core.middleware.PrivateResponseHeadersMiddleware on every response.
MAILLAGE_PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(self), payment=(), usb=()"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("MAILLAGE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("MAILLAGE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Domain settings
MAILLAGE_INVITATION_DAYS = env_int("MAILLAGE_INVITATION_DAYS", 7, minimum=1)
# Federation staff's emergency access to a centre (a written reason, shown to its coordinators) ends after this.
MAILLAGE_EMERGENCY_ACCESS_HOURS = env_int("MAILLAGE_EMERGENCY_ACCESS_HOURS", 4, minimum=1)
# Helpline comments are erased after this many days; the coded call data stays.
MAILLAGE_HELPLINE_COMMENT_RETENTION_DAYS = env_int("MAILLAGE_HELPLINE_COMMENT_RETENTION_DAYS", 365, minimum=1)
# Shared figures (sector pages, annual report): counts from 1 to k-1 are hidden, and no hidden count may be
# worked out closer than +-k (maillage.stats.disclosure).
MAILLAGE_DISCLOSURE_K = env_int("MAILLAGE_DISCLOSURE_K", 5, minimum=2)
# A reference given to a helpline caller (to link a later call to the earlier ones) expires after this.
MAILLAGE_HELPLINE_REFERENCE_DAYS = env_int("MAILLAGE_HELPLINE_REFERENCE_DAYS", 90, minimum=1)
# A service's crisis status not confirmed for this many days is flagged stale.
MAILLAGE_DIRECTORY_STALE_DAYS = env_int("MAILLAGE_DIRECTORY_STALE_DAYS", 14, minimum=1)
# The directory map's tile server ({z}/{x}/{y} placeholders) and the attribution it requires; its origin
# is added to the CSP's img-src. Default: OpenStreetMap's standard tiles (mind their usage policy).
MAILLAGE_MAP_TILES_URL = env_str("MAILLAGE_MAP_TILES_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png") or ""
MAILLAGE_MAP_ATTRIBUTION = env_str("MAILLAGE_MAP_ATTRIBUTION", "© OpenStreetMap contributors") or ""
if MAILLAGE_MAP_TILES_URL.startswith(("https://", "http://")):
    _tiles = MAILLAGE_MAP_TILES_URL.split("/")
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(f"{_tiles[0]}//{_tiles[2]}".replace("{s}", "*"))
# A directory worker's card not confirmed for this many months is flagged.
MAILLAGE_DIRECTORY_CARD_MONTHS = env_int("MAILLAGE_DIRECTORY_CARD_MONTHS", 12, minimum=1)
# Closed case files lose their identifying data after this many years.
MAILLAGE_CASEWORK_RETENTION_YEARS = env_int("MAILLAGE_CASEWORK_RETENTION_YEARS", 5, minimum=1)
# Where a full recount of the case-work statistics roll-ups runs (maillage/casework/rollups_rebuild.py):
# "duckdb" copies the rows out once and counts them in an embedded columnar engine (4x faster than
# PostgreSQL's GROUP BYs, both cores), "postgresql" counts in the database. The cells are the same.
MAILLAGE_ROLLUP_ENGINE = env_choice("MAILLAGE_ROLLUP_ENGINE", ("duckdb", "postgresql"), "duckdb")
MAILLAGE_ROLLUP_MEMORY_MB = env_int("MAILLAGE_ROLLUP_MEMORY_MB", 4096, minimum=256)

# Uploads and request bounds (maillage/core/uploads.py, core/middleware.py). A limit per kind of
# upload in MB, checked from the declared size before a byte is read; each overridable by
# MAILLAGE_UPLOAD_MAX_MB_<KIND>, e.g. MAILLAGE_UPLOAD_MAX_MB_HSDS=100.
_UPLOAD_DEFAULT_MB = {"default": 10, "journal": 20, "casework_import": 20, "hsds": 50, "taxonomy": 5}
MAILLAGE_UPLOAD_LIMITS = {
    kind: env_int(f"MAILLAGE_UPLOAD_MAX_MB_{kind.upper()}", megabytes, minimum=1) * 1024 * 1024
    for kind, megabytes in _UPLOAD_DEFAULT_MB.items()
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024  # a request body apart from its files
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # larger files go to a temporary file, not memory
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 20
MAILLAGE_MAX_QUERY_STRING_CHARS = env_int("MAILLAGE_MAX_QUERY_STRING_CHARS", 4096, minimum=256)

# JSON lines in production (one per request with its id, maillage/core/observability.py), text in the demo.
MAILLAGE_LOG_FORMAT = env_choice("MAILLAGE_LOG_FORMAT", ("json", "text"), "json" if PRODUCTION else "text")
# Prometheus metrics at /metrics for a scraper holding this bearer token; none set, nobody reads them.
MAILLAGE_METRICS_TOKEN = env_str("MAILLAGE_METRICS_TOKEN", "") or ""
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": MAILLAGE_LOG_FORMAT}},
    "loggers": {
        # The request line replaces Django's own per-request log lines, which carry the path.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
    },
    "root": {
        "handlers": ["console"],
        "level": env_choice("MAILLAGE_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO"),
    },
}

# Newsletters: editions sent at this many emails per second; a sender that stops renewing its lease for this
# many seconds is taken for dead (its half-sent emails are then sent again); an address refused this many
# times (hard bounce) is suspended.
MAILLAGE_NEWSLETTER_RATE = env_int("MAILLAGE_NEWSLETTER_RATE", 20, minimum=1)
MAILLAGE_NEWSLETTER_LEASE_SECONDS = env_int("MAILLAGE_NEWSLETTER_LEASE_SECONDS", 60, minimum=1)
MAILLAGE_NEWSLETTER_MAX_BOUNCES = env_int("MAILLAGE_NEWSLETTER_MAX_BOUNCES", 3, minimum=1)
