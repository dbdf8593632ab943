"""Settings, configured by environment variables.

Safe production defaults: DEBUG is off, a SECRET_KEY must be provided unless DEBUG is on,
and hosts are restricted. With no DATABASE_URL the embedded SQLite database is used.
"""

import os
from datetime import date, timedelta
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


def env_dates(name: str) -> tuple[date, ...]:
    """Comma-separated ISO dates (2026-09-02,2026-09-01)."""
    try:
        return tuple(sorted({date.fromisoformat(item) for item in env_list(name, "")}))
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{name}: expected ISO dates such as 2026-09-02 ({exc})."
        ) from exc


def env_rate(name: str, default: str) -> str | None:
    """A throttle rate such as `600/minute` (per second, minute, hour or day); empty: off."""
    rate = os.environ.get(name, default).strip()
    if not rate:
        return None
    number, _, period = rate.partition("/")
    if not number.isdigit() or not period or period[0] not in "smhd":
        raise ImproperlyConfigured(f"{name}={rate!r}: expected e.g. 600/minute, 20/second.")
    return rate


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
    # Before django.contrib.admin: its templates override the admin's base_site.html (the
    # dashboard link in the admin header); its other templates and static files are namespaced.
    "dashboard",
    "core.apps.Admin",  # django.contrib.admin on core.admin_site.AdminSite
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "axes",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "simple_history",
    "admin_auto_filters",  # the admin's autocomplete list filters (communes, villages)
    "core",
    "geo",
    "accounts",
    "households",
    "poverty",
    "support",
    "cases",
    "reports",
    "integrations",
    "dci",
]
# Synthetic demo data: installed only with DEMO=1 (`./dev serve` and `./dev test` set it),
# never in production.
DEMO = env_bool("DEMO")
if DEMO:
    INSTALLED_APPS.append("demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of each response: the one chosen in the admin (set_language, kept in a
    # cookie), else the Accept-Language header, else LANGUAGE_CODE (Vietnamese).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.api.limits.RequestLimitsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.security.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "core.audit.ChannelMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a login refused by axes into a 429 page
    # A write the database stopped for another (a deadlock) outside the API: 503, not 500.
    "core.api.errors.TryAgainMiddleware",
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
# PostgreSQL's parallel workers take milliseconds to start, more than the API's reads gain by
# them: at 4,000,000 households the name search's p50 fell from 71 to 45 ms without them
# (bench/README.md, "parallel query"). Empty: the server's own setting.
PG_PARALLEL_WORKERS = os.environ.get("PG_PARALLEL_WORKERS", "0")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and PG_PARALLEL_WORKERS:
    if not PG_PARALLEL_WORKERS.isdigit():
        raise ImproperlyConfigured("PG_PARALLEL_WORKERS must be a whole number, or empty.")
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = " ".join(
        filter(
            None,
            [options.get("options"), f"-c max_parallel_workers_per_gather={PG_PARALLEL_WORKERS}"],
        )
    )
# Prepared statements for the reads of a fixed shape (core.statements: the token, a
# household's detail and its members); Django's own queries are never prepared. 0 behind a
# pooler that cannot keep them (PgBouncer in transaction mode without max_prepared_statements).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "PG_PREPARED_STATEMENTS", True
):
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
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

# Client addresses: the number of reverse proxies in front of the app that append the address
# they received to X-Forwarded-For. 0: clients connect directly, their address is REMOTE_ADDR
# (X-Forwarded-For is ignored: a client could write anything there).
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))

# The cache holds the API throttle counts, so every gunicorn worker process must see the same
# one. Embedded default: a directory of files on this machine (outside any database
# transaction: a request that fails and rolls back still counts, and the serialised SQLite
# writer gets no extra write per request). With more than one machine: Redis (CACHE_URL).
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
elif CACHE_URL:
    raise ImproperlyConfigured("CACHE_URL must be a Redis URL (redis://host:6379/1).")
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": BASE_DIR / "var" / "cache",
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }

# Password logins (admin, browsable API at api-auth/) are refused for a cool-off period after
# LOGIN_FAILURE_LIMIT failures for one username, and after as many from one client address.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "core.security.client_ip"
AXES_VERBOSE = False  # no start-up banner in every command's output; lockouts are still logged

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Vietnamese first, English available (README "Languages"). Labels, choices and messages are
# written in English in the code and translated in each app's locale/vi/LC_MESSAGES/django.po
# (compiled .mo files are committed). Dates are shown dd/mm/yyyy (config/formats/); the API's
# JSON keeps ISO 8601 dates and its codes whatever the language.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
FORMAT_MODULE_PATH = ["config.formats"]
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
# HTTPS=1: the site is served over TLS only. Plain-HTTP requests are redirected, browsers are
# told to use HTTPS only (HSTS) and cookies are sent over TLS only. Behind a TLS-terminating
# proxy (PROXY_COUNT >= 1), the proxy must set X-Forwarded-Proto, replacing any value a client
# sent: it is how the app knows the request came over HTTPS.
HTTPS = env_bool("HTTPS")
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", True)
    if PROXY_COUNT:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# API tokens (accounts.ApiToken): how long a new token lives unless its issuer says otherwise.
API_TOKEN_LIFETIME_DAYS = int(os.environ.get("API_TOKEN_LIFETIME_DAYS", "180"))

# DCI (SPDCI social registry API, dci/, README "DCI partners"): the registry's own id in the
# headers it sends, a partner token's lifetime, the clock skew allowed on message and
# signature times, requests per message, records per page, and callbacks' limits (timeout,
# answer size read, attempts before giving up).
DCI_REGISTRY_ID = os.environ.get("DCI_REGISTRY_ID", "vn-poverty-registry")
DCI_TOKEN_SECONDS = env_int("DCI_TOKEN_SECONDS", 3600)
DCI_CLOCK_SKEW_SECONDS = env_int("DCI_CLOCK_SKEW_SECONDS", 600)
DCI_MAX_BATCH = env_int("DCI_MAX_BATCH", 10)
DCI_MAX_PAGE_SIZE = env_int("DCI_MAX_PAGE_SIZE", 100)
DCI_MAX_SUBSCRIPTIONS = env_int("DCI_MAX_SUBSCRIPTIONS", 100)  # live ones per partner
DCI_MAX_RESULT_WINDOW = env_int("DCI_MAX_RESULT_WINDOW", 10_000)  # records a search pages through
DCI_CALLBACK_TIMEOUT_SECONDS = env_int("DCI_CALLBACK_TIMEOUT_SECONDS", 10)
DCI_CALLBACK_MAX_BYTES = env_int("DCI_CALLBACK_MAX_BYTES", 64 * 2**10)
DCI_CALLBACK_ATTEMPTS = env_int("DCI_CALLBACK_ATTEMPTS", 5)
# The registry's Ed25519 private key (PEM), which signs its answers, callbacks and
# notifications (dci.signatures; `manage.py dci_signing_key --create` makes one). No file:
# they go unsigned, and `manage.py check --deploy` warns.
DCI_SIGNING_KEY_FILE = os.environ.get(
    "DCI_SIGNING_KEY_FILE", str(BASE_DIR / "var" / "dci_signing_key.pem")
)

# History is read by row id (core.audit.AuditedRecords), never across rows by date.
SIMPLE_HISTORY_DATE_INDEX = False

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.AreaRolePermission"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    # JSON bodies only (a form or multipart body is a 415); the registry sync alone also
    # takes NDJSON and a multipart file upload (integrations.api.sync).
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "core.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": ["core.api.filters.FilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        "core.api.throttling.ClientRateThrottle",
        "core.api.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "client": env_rate("API_THROTTLE_RATE", "600/minute"),  # per token or browser session
        "anon": env_rate("API_ANON_THROTTLE_RATE", "60/minute"),  # per address (schema, docs)
    },
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "core.api.errors.ProblemExceptionHandler",
    "EXCEPTION_FORMATTER_CLASS": "core.api.errors.ProblemFormatter",
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Household poverty case management API",
    "DESCRIPTION": """\
Registry of households and members by administrative unit, for multidimensional poverty \
assessment, review and support (Vietnam; Quảng Ninh first).

**Authentication.** `Authorization: Token <key>`; keys are issued by a province officer and \
expire. Each key belongs to a user with one role and an area (provinces, communes or villages).

**Roles and areas.** Each operation names the roles that may call it and its area rule. A \
record outside your area is answered as if it did not exist. Personal data (names, citizen \
IDs, contacts, incomes) is null for roles without the right to read it.

**Bodies** are JSON (`application/json`); the registry sync also takes NDJSON and a file \
(multipart). Another media type is a 415.

**Errors** are RFC 9457 problem details (`application/problem+json`) with a stable `code` \
(the `type` is `https://poverty.quangninh.gov.vn/problems/<code>`) and, for invalid input, \
`errors` naming each field (dotted path) with its reason. Every status an operation can \
return is listed with it.

**Versions.** A changeable record carries `version`, and its responses an `ETag`. A change \
sends the version it is based on as `If-Match: "<version>"` (or the body's `version`): without \
it 428, with an old one 412 (409 when it came in the body), and nothing is written.

**Safe retries.** A create may carry an `Idempotency-Key`: the same key with the same request \
answers the first response again, kept for 24 hours. Field apps upload by client UUID.

**Lists** are cursor-paginated (`cursor`, `page_size` 1–500). An unknown or empty query \
parameter is a 400.

**Units.** Money is whole VND (integers). Incomes are over the 12 months before the survey; \
`income_per_person_month` and the income `line` are per person per month. Dates are ISO 8601 \
(`2026-11-29`), times UTC with an offset. Codes: provinces 2 digits, communes 5 digits (General \
Statistics Office, as reorganised in 2025), ethnic groups `01`–`54`.

**Versioning and deprecation.** Paths under `/api/v1/` keep their meaning for the life of v1: \
within v1 changes are additive only (new operations, new optional request fields, new \
response fields, new enum values that clients must tolerate), and this document's `version` \
rises with each (minor for additions, patch for fixes). A change that would break a client \
comes as `/api/v2/`, served beside v1 for at least 12 months. An operation or field to be \
removed is first marked `deprecated: true` here, and its responses carry a `Deprecation` \
header and a `Sunset` header with the date of removal, announced at least 6 months ahead. \
No v1 operation is deprecated today.""",
    "VERSION": "1.2.0",
    # The document is written in English for integrators, whatever the request's language.
    "DEFAULT_GENERATOR_CLASS": "core.api.schema.SchemaGenerator",
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.serializers.mark_masked_nullable",
        "core.api.schema.document_tags",
        "core.api.schema.document_units",
    ],
    "ENUM_NAME_OVERRIDES": {
        "SexEnum": "households.choices.Sex",
        "HouseholdStatusEnum": "households.choices.HouseholdStatus",
        "MemberStatusEnum": "households.choices.MemberStatus",
        "RoleEnum": "accounts.roles.Role",
        "DuplicateReasonEnum": "households.choices.DuplicateReason",
        "DuplicateStatusEnum": "households.choices.DuplicateStatus",
        "ComplaintStatusEnum": "poverty.models.ComplaintStatus",
        "SourceEnum": "households.choices.Source",
        "WorkflowStateEnum": "poverty.models.WorkflowState",
        "MaterialEnum": "poverty.choices.Material",
        "ClassificationEnum": "poverty.choices.Classification",
        "CapitalSourceEnum": "support.choices.CapitalSource",
        "AssignmentStateEnum": "support.choices.AssignmentState",
        "UploadKindEnum": "poverty.models.UploadKind",
        "PackageKindEnum": "support.choices.PackageKind",
        "RuleEnum": "poverty.choices.Rule",
        "FindingRuleEnum": "cases.supervision.choices.FindingRule",
        "FindingStatusEnum": "cases.supervision.choices.FindingStatus",
        "CaseStateEnum": "cases.choices.CaseState",
        "GoalStatusEnum": "cases.choices.GoalStatus",
        "FollowUpKindEnum": "cases.choices.FollowUpKind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
POVERTY_RELAPSE_YEARS = int(os.environ.get("POVERTY_RELAPSE_YEARS", "3"))  # relapse window
# The review's public posting of results (poverty.workflow): at least this many working days,
# Monday–Friday, the public holidays below excepted. Default 3: Decision 24/2021/QĐ-TTg,
# art. 4, as far as we know — TO CONFIRM against the decision's text (not read here).
POVERTY_POSTING_MIN_WORKING_DAYS = env_int("POVERTY_POSTING_MIN_WORKING_DAYS", 3)
if POVERTY_POSTING_MIN_WORKING_DAYS < 1:
    raise ImproperlyConfigured("POVERTY_POSTING_MIN_WORKING_DAYS must be at least 1.")
POVERTY_PUBLIC_HOLIDAYS = env_dates("POVERTY_PUBLIC_HOLIDAYS")  # not counted as working days

# Background jobs (core.jobs) never run inside a request. A worker takes them from the Job
# table: `manage.py run_worker` (started by `./dev serve`), or Celery on Redis when a broker
# is configured. A running job holds a lease renewed while it works; a worker that died
# loses its job to another one this long after its last sign of life.
JOB_LEASE_SECONDS = int(os.environ.get("JOB_LEASE_SECONDS", "60"))
# Background jobs one user may have queued or running at once (core.jobs.require_room).
JOBS_MAX_PENDING_PER_USER = env_int("JOBS_MAX_PENDING_PER_USER", 5)
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
CELERY_TASK_ACKS_LATE = True  # a job whose worker dies is delivered again, and resumes
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True  # results live in the Job table
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Uploaded sync files, reports and exports: private to the server's user (0600 files, 0700
# directories), removed FILE_RETENTION_HOURS after their job finished (`manage.py
# cleanup_files`, also run by the worker).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "files"))
FILE_RETENTION_HOURS = float(os.environ.get("FILE_RETENTION_HOURS", "72"))

# Responses to creates sent with an Idempotency-Key header are kept this long for retries
# (core.api.idempotency), then removed by `manage.py cleanup_files` (also run by the worker).
# Cases (cases/): how long a household that escaped poverty stays monitored before its case
# closes, and how many days late a cadre's follow-ups may run before supervision flags them.
CASE_MONITORING_YEARS = int(os.environ.get("CASE_MONITORING_YEARS", "2"))
FOLLOW_UP_OVERDUE_DAYS = int(os.environ.get("FOLLOW_UP_OVERDUE_DAYS", "30"))
# Supervision (cases.supervision, README "Supervision"): a commune is flagged when its share
# of the province's disbursements in a period exceeds SUPERVISION_SPENDING_FACTOR times its
# share of the province's poor households, and it disbursed at least
# SUPERVISION_SPENDING_MIN_VND; the worker scans every SUPERVISION_SCAN_HOURS (0: never).
SUPERVISION_SPENDING_FACTOR = float(os.environ.get("SUPERVISION_SPENDING_FACTOR", "2"))
SUPERVISION_SPENDING_MIN_VND = int(os.environ.get("SUPERVISION_SPENDING_MIN_VND", "100000000"))
SUPERVISION_SCAN_HOURS = float(os.environ.get("SUPERVISION_SCAN_HOURS", "24"))
IDEMPOTENCY_KEY_HOURS = float(os.environ.get("IDEMPOTENCY_KEY_HOURS", "24"))

# Request limits (core.api.limits, core.api.parsers): a larger body is answered 413 before
# it is read. Bodies are parsed in memory; files are streamed to disk (FILE_UPLOAD_TEMP_DIR)
# beyond FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB).
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 5 * 2**20)  # any JSON or form body
# POST /registry-sync/ with a JSON or NDJSON body (up to 50,000 records of about 1 KB).
REGISTRY_SYNC_MAX_BODY_BYTES = env_int("REGISTRY_SYNC_MAX_BODY_BYTES", 100 * 2**20)
# POST /registry-sync/ with a file (multipart/form-data): a province's register.
REGISTRY_SYNC_MAX_FILE_BYTES = env_int("REGISTRY_SYNC_MAX_FILE_BYTES", 2 * 2**30)
API_MAX_JSON_DEPTH = env_int("API_MAX_JSON_DEPTH", 32)  # nesting levels of a JSON body
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES  # form fields (files excluded), in memory
