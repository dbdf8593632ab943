"""Settings, configured by environment variables.

Safe production defaults: DEBUG is off, a SECRET_KEY must be provided unless DEBUG is on,
and hosts are restricted. With no DATABASE_URL the embedded SQLite database is used.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # The web server (config/wsgi.py) refuses to start without a real key; tests,
    # management commands and benchmarks may run with a throwaway one.
    if env_bool("REQUIRE_SECRET_KEY") and not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set (or DEBUG=1 for development).")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000"
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "simple_history",
    "config",
    "households",
    "poverty",
    "support",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.api.limits.RequestLimitsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "config.audit.ChannelMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
# Every request is one transaction: a failed request writes nothing.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while one writer commits; a busy timeout instead of
    # immediate "database is locked" errors when two requests write at once.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# SQLite ignores NULLS NOT DISTINCT (review rounds without a month, province-wide budget
# allocations): the services check those duplicates themselves.
SILENCED_SYSTEM_CHECKS = ["models.W047"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("vi", "Tiếng Việt")]
TIME_ZONE = "Asia/Ho_Chi_Minh"  # shown to people; stored as UTC (USE_TZ)
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # also creates var/ for the SQLite file
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and env_bool("HTTPS"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# History is read by row id (config.audit.AuditedRecords), never across rows by date.
SIMPLE_HISTORY_DATE_INDEX = False

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["config.api.permissions.AreaRolePermission"],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_PARSER_CLASSES": [
        "config.api.parsers.JSONParser",
        "config.api.parsers.FormParser",
        "config.api.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["config.api.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "config.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "config.api.errors.ProblemExceptionHandler",
    "EXCEPTION_FORMATTER_CLASS": "config.api.errors.ProblemFormatter",
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Household poverty case management API",
    "DESCRIPTION": (
        "Registry of households and members by administrative unit, for multidimensional "
        "poverty assessment and support (Vietnam; Quảng Ninh first). Errors are RFC 9457 "
        "problem details (`application/problem+json`). Updates require the version they were "
        'based on (`If-Match: "<version>"` header or `version` field).'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
    ],
    "ENUM_NAME_OVERRIDES": {
        "SexEnum": "households.choices.Sex",
        "HouseholdStatusEnum": "households.choices.HouseholdStatus",
        "MemberStatusEnum": "households.choices.MemberStatus",
        "RoleEnum": "config.access.Role",
        "DuplicateReasonEnum": "households.choices.DuplicateReason",
        "DuplicateStatusEnum": "households.choices.DuplicateStatus",
        "SourceEnum": "households.choices.Source",
        "WorkflowStateEnum": "poverty.models.WorkflowState",
        "MaterialEnum": "poverty.choices.Material",
        "ClassificationEnum": "poverty.choices.Classification",
        "CapitalSourceEnum": "support.choices.CapitalSource",
        "AssignmentStateEnum": "support.choices.AssignmentState",
        "UploadKindEnum": "poverty.models.UploadKind",
        "PackageKindEnum": "support.choices.PackageKind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
POVERTY_RELAPSE_YEARS = int(os.environ.get("POVERTY_RELAPSE_YEARS", "3"))  # relapse window

# Background jobs: Celery on Redis when a broker is configured, inline otherwise (so the
# embedded default runs everything in one process).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a job whose worker dies is delivered again, and resumes
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True  # results live in the Job table
MEDIA_ROOT = BASE_DIR / "var" / "files"  # uploaded sync files, exports

# Request limits (config.api.limits, config.api.parsers): a larger body is answered 413 before
# it is read. Bodies are parsed in memory; files are streamed to disk (FILE_UPLOAD_TEMP_DIR)
# beyond FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB).
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 5 * 2**20)  # any JSON or form body
# POST /registry-sync/ with a JSON or NDJSON body (up to 50,000 records of about 1 KB).
REGISTRY_SYNC_MAX_BODY_BYTES = env_int("REGISTRY_SYNC_MAX_BODY_BYTES", 100 * 2**20)
# POST /registry-sync/ with a file (multipart/form-data): a province's register.
REGISTRY_SYNC_MAX_FILE_BYTES = env_int("REGISTRY_SYNC_MAX_FILE_BYTES", 2 * 2**30)
API_MAX_JSON_DEPTH = env_int("API_MAX_JSON_DEPTH", 32)  # nesting levels of a JSON body
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES  # form fields (files excluded), in memory
