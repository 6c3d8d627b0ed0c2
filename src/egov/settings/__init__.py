"""Settings of Open eGov VN, read from the environment (docs/settings.md lists every variable).

Defaults are safe for production (DEBUG off, secure cookies, HSTS); the embedded demo sets
EGOV_ENV=dev explicitly through `make demo`.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from egov.settings.env import env_bool, env_int, env_list, env_str, parse_email_url

BASE_DIR = Path(__file__).resolve().parent.parent  # src/egov
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(env_str("EGOV_VAR_DIR", str(PROJECT_DIR / "var"), "Folder for data and files"))

# --- environment -------------------------------------------------------------------------
EGOV_ENV = env_str("EGOV_ENV", "production", "production, dev or test")
if EGOV_ENV not in {"production", "dev", "test"}:
    raise ImproperlyConfigured("EGOV_ENV must be production, dev or test")
IS_PRODUCTION = EGOV_ENV == "production"
DEBUG = env_bool("DEBUG", False, "Django debug pages; never in production")

_DEV_SECRET = "dev-only-insecure-secret-key-change-me-0123456789abcdefghijklmnop"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", "" if IS_PRODUCTION else _DEV_SECRET, "Django secret key")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in production (EGOV_ENV=production)")

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS",
    [] if IS_PRODUCTION else ["127.0.0.1", "localhost", "testserver"],
    "Host names this site answers to, comma separated",
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [], "Origins trusted for CSRF (https://…)")

# --- applications ------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves the API docs' assets locally (no CDN)
    "egov.core",
    "egov.directory",
    "egov.procedures",
    "egov.signing",
    "egov.dossiers",
    "egov.assignments",
    "egov.documents",
    "egov.meetings",
    "egov.exchange",
    "egov.payments",
    "egov.api",
    "egov.portal",
]

MIDDLEWARE = [
    "egov.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "egov.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "egov.core.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "egov.directory.middleware.IdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "egov.urls"
WSGI_APPLICATION = "egov.wsgi.application"
AUTH_USER_MODEL = "directory.Account"
LOGIN_URL = "directory:login"
LOGIN_REDIRECT_URL = "directory:workspace"
LOGOUT_REDIRECT_URL = "portal:home"

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

# --- database ----------------------------------------------------------------------------
DATABASE_URL = env_str(
    "DATABASE_URL",
    f"sqlite:///{VAR_DIR / 'egov.sqlite3'}",
    "Database: sqlite:///path or postgres://user:pass@host:5432/name",
)
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, "Seconds"))
_db["CONN_HEALTH_CHECKS"] = True
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    # Tests use a file, not memory, so that multi-process tests share the test database.
    _db["TEST"] = {
        "NAME": env_str("EGOV_TEST_SQLITE", "", "SQLite test database file")
        or f"{_db['NAME']}.test.sqlite3"
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- passwords and sign-in -----------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if EGOV_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("EGOV_PASSWORD_MIN_LENGTH", 10, "Minimum length")},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "egov.directory.passwords.CharacterClassValidator"},
]
EGOV_BOT_MIN_SECONDS = env_int(
    "EGOV_BOT_MIN_SECONDS",
    0 if EGOV_ENV == "test" else 2,
    "Seconds a person needs at least to fill a public form (bot guard)",
)
EGOV_OTP_TTL_MINUTES = env_int("EGOV_OTP_TTL_MINUTES", 10, "Minutes a one-time code stays valid")
EGOV_OTP_MAX_ATTEMPTS = env_int("EGOV_OTP_MAX_ATTEMPTS", 5, "Wrong tries before a code is void")
EGOV_OTP_MAX_SENDS = env_int("EGOV_OTP_MAX_SENDS", 3, "Times one code may be sent (with resends)")
EGOV_OTP_RESEND_SECONDS = env_int(
    "EGOV_OTP_RESEND_SECONDS", 60, "Seconds to wait before a code may be sent again"
)
EGOV_RATE_LIMITS: dict[str, tuple[int, int]] = {
    scope.strip(): (int(hits), int(window))
    for scope, _sep, limit in (
        item.partition("=")
        for item in env_list(
            "EGOV_RATE_LIMITS",
            [],
            "Rate limits overriding the defaults, e.g. submit=30/3600,status_miss=20/600 "
            "(scope=hits/seconds; scopes in egov.core.ratelimit)",
        )
    )
    for hits, _slash, window in [limit.partition("/")]
}
EGOV_LOCKOUT_THRESHOLD = env_int("EGOV_LOCKOUT_THRESHOLD", 5, "Failed sign-ins before lockout")
EGOV_LOCKOUT_MINUTES = env_int("EGOV_LOCKOUT_MINUTES", 15, "Minutes an account stays locked")
EGOV_IDLE_TIMEOUT_MINUTES = env_int("EGOV_IDLE_TIMEOUT_MINUTES", 30, "Officer idle timeout")
EGOV_NATIONAL_ID_PROVINCE_CHECK = env_bool(
    "EGOV_NATIONAL_ID_PROVINCE_CHECK", True, "National ID must start with a province code"
)
EGOV_TOTP_ISSUER = env_str("EGOV_TOTP_ISSUER", "Open eGov VN", "Name shown in authenticator apps")

# --- sessions, cookies, security headers ---------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
SECURE_COOKIES = env_bool("EGOV_SECURE_COOKIES", IS_PRODUCTION, "Cookies only over HTTPS")
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = env_int("EGOV_HSTS_SECONDS", 31536000 if IS_PRODUCTION else 0, "HSTS")
SECURE_HSTS_INCLUDE_SUBDOMAINS = IS_PRODUCTION
SECURE_HSTS_PRELOAD = env_bool("EGOV_HSTS_PRELOAD", IS_PRODUCTION, "Allow HSTS preload listing")
SECURE_SSL_REDIRECT = env_bool("EGOV_SSL_REDIRECT", IS_PRODUCTION, "Redirect HTTP to HTTPS")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
EGOV_TRUST_X_FORWARDED_FOR = env_bool(
    "EGOV_TRUST_X_FORWARDED_FOR", False, "Take the client IP from X-Forwarded-For (behind a proxy)"
)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
EGOV_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SILENCED_SYSTEM_CHECKS = env_list("EGOV_SILENCED_CHECKS", [], "System checks to silence")

# --- language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [PROJECT_DIR / "locale", BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- static and uploaded files ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Outside production the assets are served straight from the source folders, so a forgotten
# collectstatic never leaves the demo without its stylesheet.
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
MEDIA_ROOT = VAR_DIR / "files"
MEDIA_URL = "/files/"
EGOV_STORAGE = env_str("EGOV_STORAGE", "local", "local or s3")
_storage_default: dict[str, object]
if EGOV_STORAGE == "s3":
    _storage_default = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("EGOV_S3_BUCKET", "", "S3 bucket"),
            "endpoint_url": env_str("EGOV_S3_ENDPOINT", "", "S3-compatible endpoint URL") or None,
            "access_key": env_str("EGOV_S3_ACCESS_KEY", "", "S3 access key"),
            "secret_key": env_str("EGOV_S3_SECRET_KEY", "", "S3 secret key"),
            "default_acl": None,
            "querystring_auth": True,
        },
    }
elif EGOV_STORAGE == "local":
    _storage_default = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": "/files/"},
    }
else:
    raise ImproperlyConfigured("EGOV_STORAGE must be local or s3")
STORAGES = {
    "default": _storage_default,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
EGOV_UPLOAD_MAX_BYTES = env_int("EGOV_UPLOAD_MAX_BYTES", 20 * 1024 * 1024, "Largest upload")
EGOV_UPLOAD_ALLOWED_TYPES = env_list(
    "EGOV_UPLOAD_ALLOWED_TYPES",
    [],
    "Upload kinds accepted (pdf, png, jpeg, tiff, docx, xlsx, odt, xml …); empty = all",
)
EGOV_SEARCH_RANK_CAP = env_int(
    "EGOV_SEARCH_RANK_CAP", 1000, "Full-text matches ranked per query (bounds the cost)"
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- e-mail -----------------------------------------------------------------------------------
_email = parse_email_url(
    env_str(
        "EMAIL_URL",
        "smtp://localhost:25" if IS_PRODUCTION else f"file://{VAR_DIR / 'mail'}",
        "Outgoing mail: smtp://user:pass@host:port?tls=1, smtps://…, console://, file:///dir",
    )
)
EMAIL_BACKEND = _email.backend
EMAIL_HOST = _email.host
EMAIL_PORT = _email.port
EMAIL_HOST_USER = _email.user
EMAIL_HOST_PASSWORD = _email.password
EMAIL_USE_TLS = _email.use_tls
EMAIL_USE_SSL = _email.use_ssl
EMAIL_FILE_PATH = _email.file_path
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "no-reply@egov.local", "Sender address")
EGOV_SMS_BACKEND = env_str(
    "EGOV_SMS_BACKEND", "egov.core.notifications.FileSmsBackend", "SMS/Zalo channel backend"
)
EGOV_SMS_FILE_DIR = VAR_DIR / "sms"
EGOV_NOTIFY_MAX_ATTEMPTS = env_int("EGOV_NOTIFY_MAX_ATTEMPTS", 5, "Delivery attempts per message")
EGOV_NOTIFY_RETRY_BASE_SECONDS = env_int(
    "EGOV_NOTIFY_RETRY_BASE_SECONDS", 60, "First retry delay; doubles each attempt (max 6 h)"
)

# --- background tasks -----------------------------------------------------------------------
EGOV_TASK_BACKEND = env_str("EGOV_TASK_BACKEND", "database", "database, immediate or rq")
_task_backends = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "rq": "django_tasks_rq.RQBackend",
}
if EGOV_TASK_BACKEND not in _task_backends:
    raise ImproperlyConfigured("EGOV_TASK_BACKEND must be database, immediate or rq")
TASKS = {"default": {"BACKEND": _task_backends[EGOV_TASK_BACKEND]}}

# --- working-day calendar ---------------------------------------------------------------------
EGOV_OFFICE_OPENS = env_str("EGOV_OFFICE_OPENS", "07:30", "Office opening time (HH:MM)")
EGOV_OFFICE_CLOSES = env_str("EGOV_OFFICE_CLOSES", "17:00", "Office closing time (HH:MM)")
EGOV_INTAKE_CUTOFF = env_str(
    "EGOV_INTAKE_CUTOFF", "17:00", "Intake after this time counts from the next working day"
)

# --- logging ----------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO", "Log level")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "egov.core.logging.RequestIdFilter"}},
    "formatters": {"json": {"()": "egov.core.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

EGOV_PROVINCE_CODE = env_str("EGOV_PROVINCE_CODE", "51", "Province code of this installation")
EGOV_PUBLIC_URL = env_str(
    "EGOV_PUBLIC_URL",
    "http://127.0.0.1:8000",
    "Public address of the platform, printed in QR codes (signed documents, receipts)",
)

# --- inter-agency document exchange (egov.exchange; docs/exchange.md) -------------------------
EGOV_EXCHANGE_MAX_PACKAGE_BYTES = env_int(
    "EGOV_EXCHANGE_MAX_PACKAGE_BYTES", 100 * 1024 * 1024, "Largest edXML package accepted"
)
EGOV_EXCHANGE_MAX_ATTACHMENT_BYTES = env_int(
    "EGOV_EXCHANGE_MAX_ATTACHMENT_BYTES", 50 * 1024 * 1024, "Largest attachment in a package"
)
EGOV_EXCHANGE_MAX_ATTEMPTS = env_int(
    "EGOV_EXCHANGE_MAX_ATTEMPTS", 10, "Delivery attempts before an outbox message is dead"
)
EGOV_EXCHANGE_RETRY_BASE_SECONDS = env_int(
    "EGOV_EXCHANGE_RETRY_BASE_SECONDS", 30, "First retry delay (doubles per attempt, jittered)"
)
EGOV_EXCHANGE_RETRY_MAX_SECONDS = env_int(
    "EGOV_EXCHANGE_RETRY_MAX_SECONDS", 3600, "Longest delay between two delivery attempts"
)
EGOV_EXCHANGE_CLOCK_SKEW_SECONDS = env_int(
    "EGOV_EXCHANGE_CLOCK_SKEW_SECONDS", 300, "Accepted clock difference of a signed request"
)
EGOV_EXCHANGE_TIMEOUT_SECONDS = env_int(
    "EGOV_EXCHANGE_TIMEOUT_SECONDS", 30, "HTTP timeout of one delivery to a peer"
)
EGOV_EXCHANGE_CLAIM_SECONDS = env_int(
    "EGOV_EXCHANGE_CLAIM_SECONDS", 300, "Seconds a sender holds a claimed outbox message"
)

# --- fee payments (egov.payments; docs/payments.md) ------------------------------------------
EGOV_PAYMENT_GATEWAY = env_str("EGOV_PAYMENT_GATEWAY", "vnpay", "Payment adapter of new payments")
EGOV_PAYMENT_VNPAY_TMN_CODE = env_str(
    "EGOV_PAYMENT_VNPAY_TMN_CODE",
    "",
    "Merchant terminal code (vnp_TmnCode); required in production",
)
EGOV_PAYMENT_VNPAY_HASH_SECRET = env_str(
    "EGOV_PAYMENT_VNPAY_HASH_SECRET",
    "",
    "HMAC-SHA512 secret from the gateway; required in production (never commit it)",
)
EGOV_PAYMENT_VNPAY_PAY_URL = env_str(
    "EGOV_PAYMENT_VNPAY_PAY_URL", "", "Gateway payment page (empty: the local sandbox)"
)
EGOV_PAYMENT_VNPAY_API_URL = env_str(
    "EGOV_PAYMENT_VNPAY_API_URL", "", "Gateway query API (empty: the local sandbox's)"
)
EGOV_PAYMENT_EXPIRE_MINUTES = env_int(
    "EGOV_PAYMENT_EXPIRE_MINUTES", 15, "Minutes a payment order stays payable"
)
EGOV_PAYMENT_SANDBOX = env_bool(
    "EGOV_PAYMENT_SANDBOX",
    EGOV_ENV in {"dev", "test"},
    "Mount the local sandbox payment gateway at /sandbox-thanh-toan/ (never in production)",
)
EGOV_PAYMENT_SANDBOX_IPN_URL = env_str(
    "EGOV_PAYMENT_SANDBOX_IPN_URL",
    "",
    "Where the sandbox sends its payment notification (empty: EGOV_PUBLIC_URL/thanh-toan/ipn/)",
)
EGOV_PAYMENT_ACCESS_MAX_AGE = env_int(
    "EGOV_PAYMENT_ACCESS_MAX_AGE", 1800, "Seconds the status page's payment link stays valid"
)

# --- one-stop dossiers (rules marked "to check" in STANDARDS-VN.md are settings) ---------------
EGOV_DOSSIER_CODE_FORMAT = env_str(
    "EGOV_DOSSIER_CODE_FORMAT",
    "{org}-{yymmdd}-{seq:04d}",
    "Dossier code: {org} receiving organisation code, {yymmdd}, {seq} daily number",
)
EGOV_DOSSIER_CLOCK_ON_RESUBMIT = env_str(
    "EGOV_DOSSIER_CLOCK_ON_RESUBMIT",
    "restart",
    "After a supplement: restart the full time, or resume counting where it stopped",
)
EGOV_DOSSIER_SUPPLEMENT_ONCE = env_bool(
    "EGOV_DOSSIER_SUPPLEMENT_ONCE", True, "A supplement may be requested only once"
)
EGOV_DOSSIER_APOLOGY_MIN_WORKING_DAYS = env_int(
    "EGOV_DOSSIER_APOLOGY_MIN_WORKING_DAYS",
    1,
    "Working days before the appointment by which an apology must be issued",
)

# Assignments (giao việc): the "due soon" reminder and board group.
EGOV_ASSIGNMENT_REMIND_DAYS = env_int(
    "EGOV_ASSIGNMENT_REMIND_DAYS",
    2,
    "Working days before an assignment's due date when the assignee is reminded",
)
if EGOV_ASSIGNMENT_REMIND_DAYS < 0:
    raise ImproperlyConfigured("EGOV_ASSIGNMENT_REMIND_DAYS must be 0 or more")

# --- signing ----------------------------------------------------------------------------------
EGOV_SIGNING_TSA_URL = env_str(
    "EGOV_SIGNING_TSA_URL",
    "",
    "RFC 3161 timestamp authority for PAdES B-T (empty: B-B); an active one set in the admin wins",
)
EGOV_SIGNING_TSA_TIMEOUT = env_int("EGOV_SIGNING_TSA_TIMEOUT", 10, "Seconds to wait for the TSA")
EGOV_SIGNING_STAMP_FONT = env_str(
    "EGOV_SIGNING_STAMP_FONT", "", "TrueType font with Vietnamese letters for visible stamps"
)
EGOV_SIGNING_CRL_BASE_URL = env_str(
    "EGOV_SIGNING_CRL_BASE_URL",
    "",
    "Where the development CA's certificates say its CRLs are (empty: PUBLIC_URL/chu-ky-so/crl/)",
)
EGOV_SIGNING_PKCS11_MODULES = env_list(
    "EGOV_SIGNING_PKCS11_MODULES",
    [],
    "PKCS#11 module paths IT admins may register (empty: any existing absolute path)",
)
EGOV_SIGNING_VERIFY_TIMEOUT = env_int(
    "EGOV_SIGNING_VERIFY_TIMEOUT", 20, "Seconds one uploaded PDF may take to verify"
)
EGOV_SIGNING_VERIFY_MEMORY_MB = env_int(
    "EGOV_SIGNING_VERIFY_MEMORY_MB", 768, "Memory (MB) the verification of one PDF may use"
)
EGOV_SIGNING_VERIFY_MAX_BYTES = env_int(
    "EGOV_SIGNING_VERIFY_MAX_BYTES", 20 * 1024 * 1024, "Largest PDF the public page verifies"
)
