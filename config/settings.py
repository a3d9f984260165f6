"""Settings for the face-privacy portal.

One module. Every value has an embedded default for local use (SQLite, local files, eager Celery,
console email, DEBUG on); an environment variable switches each piece to its production backend.
Setting DJANGO_SECRET_KEY marks a production deployment: DEBUG then defaults to off and every
secure-by-default switch (HTTPS-only cookies, HSTS, SSL redirect) turns on.
"""

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import environ
from boto3.s3.transfer import TransferConfig
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

_SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=not _SECRET_KEY)
if not _SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DEBUG is off.")
# The fallback key is for local use only: DEBUG is on whenever it is used.
SECRET_KEY = _SECRET_KEY or "insecure-local-only-key-do-not-deploy"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# Every email names the portal; `migrate` also gives the Sites framework's Site this name and SITE_URL's host.
PORTAL_NAME = _("Face privacy portal")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "rest_framework",
    "oauth2_provider",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django_htmx",
    "csp",
    "accounts",
    "consents",
    "partners",
    "media_vault",
    "appearances",
    "find_me",
    "data_rights",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.SessionActivityMiddleware",  # in place of allauth's UserSessionsMiddleware
    "django_htmx.middleware.HtmxMiddleware",
    "config.api.ApiServerErrorMiddleware",  # innermost: the first to see a view's exception (500s under /api/)
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
SITE_ID = 1

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

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Persistent connections in production (hot queries are prepared once per connection); none locally.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0 if DEBUG else 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves several tabs (and scripts) at once, with a background thread writing too.
    # WAL lets readers go on while one writes; IMMEDIATE takes the write lock when a transaction begins, so
    # a transaction that read first never fails on upgrading its lock ("database is locked" at once, which
    # no timeout helps); a writer waits up to `timeout` seconds for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env.float("SQLITE_TIMEOUT_SECONDS", default=20.0),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        **DATABASES["default"].get("OPTIONS", {}),  # options given in DATABASE_URL's query win
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (login rate limits and throttling need a cache shared by every process) ---------
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://portal")}

# --- Accounts and passwords ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",  # Argon2id
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# Changing the email addresses (add, remove, make primary) asks for the password unless given in the last 5 minutes.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = format_lazy("[{}] ", PORTAL_NAME)
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# allauth's default limits (login_failed, signup, password reset, ...) stay on; stated for clarity.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reauthenticate": "10/m/user",
}
# Every sign-in is recorded (accounts.adapter); a browser not seen before is marked as a new device.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Face privacy portal"

# --- Sessions: 30 minutes idle, 12 hours in all ---------------------------------------------
SESSION_COOKIE_AGE = 30 * 60
# Activity renews the idle deadline (and "last seen") at most once a minute: accounts.SessionActivityMiddleware.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_ACTIVITY_INTERVAL = timedelta(minutes=1)
SESSION_ABSOLUTE_LIFETIME = timedelta(hours=12)
# allauth's record of each signed-in session (device, address, last seen), listed at /accounts/sessions/
# with "sign out everywhere else".
USERSESSIONS_TRACK_ACTIVITY = True

# --- HTTP security -------------------------------------------------------------------------
_https = env.bool("DJANGO_HTTPS", default=not DEBUG)
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # pages put the token in the form or in htmx headers, never read the cookie
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = _https
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _https else None
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if _https else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _https
SECURE_HSTS_PRELOAD = _https
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Dates read as on the portal's pages ("1 Dec 2026, 17:05"), in admin too, not Django's American "en" formats.
FORMAT_MODULE_PATH = ["config.formats"]

# Our own English catalogue comes first: it puts allauth's Title Case labels ("Sign In", "Remember Me")
# into the sentence case the rest of the site uses. Rebuild the .mo after editing: msgfmt -o django.mo django.po
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static and media ----------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = None  # face images are never served from a public URL; views check access

_bucket = env("AWS_STORAGE_BUCKET_NAME", default="")
_s3_transfer = TransferConfig(multipart_chunksize=8 * 1024 * 1024, max_concurrency=2)
_s3_transfer.max_in_memory_upload_chunks = 2  # not a constructor argument; bounds read-ahead while uploading
_media = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": MEDIA_ROOT}}
if _bucket:
    _media = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _bucket,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "access_key": env("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env("AWS_SECRET_ACCESS_KEY", default=None),
            "region_name": env("AWS_S3_REGION_NAME", default="us-east-1"),
            "addressing_style": env("AWS_S3_ADDRESSING_STYLE", default="path"),
            "signature_version": "s3v4",
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            # Reads spill to a temporary file past 8 MB, and uploads go in 8 MB parts two at a time:
            # memory stays flat however large an export archive grows.
            "max_memory_size": 8 * 1024 * 1024,
            "transfer_config": _s3_transfer,
        },
    }
# Face images: size limit, and the master keys that wrap each subject's data key ("id:base64(32 bytes)",
# comma-separated, newest first; older ones still unwrap until `rotate_master_key` re-wraps everything).
FACE_UPLOAD_MAX_BYTES = env.int("FACE_UPLOAD_MAX_BYTES", default=10_000_000)
MEDIA_MASTER_KEYS = env.list("MEDIA_MASTER_KEYS", default=[])
if not MEDIA_MASTER_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("MEDIA_MASTER_KEYS must be set when DEBUG is off.")
    # Local use only (DEBUG is on): a master key derived from the local secret key.
    MEDIA_MASTER_KEYS = [
        "local:" + base64.b64encode(hashlib.sha256(b"media-master:" + SECRET_KEY.encode()).digest()).decode()
    ]
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Signed consent receipts: the Ed25519 keys that sign them ("kid:base64 of the 32-byte raw private key",
# comma-separated, newest first). The first signs; all are published at /.well-known/jwks.json, so receipts
# signed by an older key still verify after a rotation.
RECEIPT_SIGNING_KEYS = env.list("RECEIPT_SIGNING_KEYS", default=[])
if not RECEIPT_SIGNING_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("RECEIPT_SIGNING_KEYS must be set when DEBUG is off.")
    # Local use only (DEBUG is on): a key derived from the local secret key, so receipts verify across restarts.
    _receipt_seed = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"consent-receipt-signing").derive(
        SECRET_KEY.encode()
    )
    RECEIPT_SIGNING_KEYS = ["local-1:" + base64.b64encode(_receipt_seed).decode()]

STORAGES = {
    "default": _media,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Email -----------------------------------------------------------------------------------
_email = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(_email)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Face privacy portal <privacy@localhost>")

# --- Celery ----------------------------------------------------------------------------------
# Embedded: tasks run eagerly in-process; production: Redis, workers and beat.
CELERY_TASK_ALWAYS_EAGER = not env("CELERY_BROKER_URL", default="")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # allowed only because every task is idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A task whose worker died unacknowledged comes back after this; the jobs' own leases and the beat
# sweeps usually take it up sooner. Longer than any job runs, since claims make a rerun a no-op anyway.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=900)}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "webhook-sweep": {"task": "partners.tasks.webhook_sweep", "schedule": 60.0},
    "uploads-sweep": {"task": "media_vault.tasks.uploads_sweep", "schedule": 300.0},
    "data-requests-sweep": {"task": "data_rights.tasks.data_requests_sweep", "schedule": 300.0},
    # Expiring grants end within a minute on the production stack.
    "consents-expire": {"task": "consents.tasks.consents_expire", "schedule": 30.0},
    # Find me: uploads whose comparison was lost, and templates whose consent no longer counts.
    "find-me-sweep": {"task": "find_me.tasks.find_me_sweep", "schedule": 120.0},
    # Proof: a signed checkpoint of the ledger outside the database at least every 10 minutes.
    "ledger-checkpoint": {"task": "consents.tasks.ledger_checkpoint", "schedule": 300.0},
}
# Without a broker (eager Celery) there is no worker and no beat: one thread of each process then runs the
# queued jobs (exports, erasures, orphaned uploads) after the request has answered, and every task of
# CELERY_BEAT_SCHEDULE every EMBEDDED_SWEEP_SECONDS (and once when a server starts, for jobs a restart cut off).
# The test suite turns it off to see results inline.
EMBEDDED_BACKGROUND_JOBS = env.bool("EMBEDDED_BACKGROUND_JOBS", default=True)
EMBEDDED_SWEEP_SECONDS = env.float("EMBEDDED_SWEEP_SECONDS", default=300.0)
# A data request job holds its row this long between progress updates; a job whose worker died is
# taken up again after it (by redelivery or by the sweep).
DATA_REQUEST_LEASE_SECONDS = env.int("DATA_REQUEST_LEASE_SECONDS", default=120)

# Partners' consent reads are written to Link.last_consent_read_at at most this often per process.
PARTNER_READ_FLUSH_SECONDS = env.float("PARTNER_READ_FLUSH_SECONDS", default=5.0)

# --- Webhooks (Standard Webhooks) ------------------------------------------------------------
# http and private addresses (loopback) are allowed only when this says so: on by default locally.
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=DEBUG)
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=30)
WEBHOOK_RETRY_MAX_DELAY_SECONDS = env.int("WEBHOOK_RETRY_MAX_DELAY_SECONDS", default=3 * 3600)
WEBHOOK_RETRY_WINDOW_SECONDS = env.int("WEBHOOK_RETRY_WINDOW_SECONDS", default=26 * 3600)  # at least 24 hours
# Without a broker (eager Celery), a thread of the web process sends webhooks, so a slow receiver never
# holds up the subject's request; the test suite turns it off to send inline, where it can see the result.
WEBHOOK_EMBEDDED_BACKGROUND = env.bool("WEBHOOK_EMBEDDED_BACKGROUND", default=True)
WEBHOOK_EMBEDDED_POLL_SECONDS = env.float("WEBHOOK_EMBEDDED_POLL_SECONDS", default=5.0)
WEBHOOK_SHORT_RETRY_SECONDS = 300  # retries due sooner than this are queued with a countdown; later ones by the sweep

# --- REST framework, OAuth2 and OpenAPI ------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "config.api.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "config.api.problem_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Per-partner rates (requests per partner); see partners.api.permissions.PartnerRateThrottle.
    "DEFAULT_THROTTLE_RATES": {
        "partner": env("PARTNER_RATE", default="1200/min"),
        "partner_bulk": env("PARTNER_BULK_RATE", default="120/min"),
    },
}
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "SCOPES_BACKEND_CLASS": "partners.scopes.PartnerScopes",
    "OAUTH2_VALIDATOR_CLASS": "partners.oauth.PartnerOAuth2Validator",
    "PKCE_REQUIRED": True,
    # RFC 9700 (OAuth 2.0 Security BCP): partners only use client credentials, so every legacy
    # behaviour is switched off, tokens are stored as checksums only, and an insecure setting is an error.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Face-privacy portal API",
    "DESCRIPTION": "Partner API v1 and the subject's own API.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",  # served from our static files: nothing loads from a CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One tag per operation (set on each view), shown in this order in /api/docs/ with these descriptions.
    "TAGS": [
        {"name": "purposes", "description": "What a partner may ask consent for: the purposes staff publish."},
        {
            "name": "links",
            "description": "Connecting to a subject: check your token, then redeem the link code that the subject "
            "made in the portal. A link gives you the subject's pairwise id.",
        },
        {"name": "consents", "description": "What linked subjects decided, per purpose: one subject, or up to 1,000."},
        {
            "name": "uploads",
            "description": "Face uploads for a linked subject: upload (only for granted purposes), list, download, "
            "erase.",
        },
        {
            "name": "appearances",
            "description": "Media you made with a linked subject's likeness: report it (only for granted purposes), "
            "list it, and confirm a takedown the subject asked for.",
        },
        {"name": "events", "description": "Your event feed: the webhook payloads, for catching up after downtime."},
        {
            "name": "me",
            "description": "The signed-in subject's own API (session and CSRF), as the portal's pages use it: "
            "consents, uploads, connected apps, export and erasure.",
        },
    ],
    "ENUM_NAME_OVERRIDES": {
        # Import paths, read when the schema is built: each list is defined once, next to its rule.
        "ConsentStateEnum": "consents.models.ConsentStateName",
        "ConsentCheckStateEnum": "partners.selectors.CONSENT_CHECK_STATES",
    },
}

# --- Logging: ids only, never personal data ---------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
