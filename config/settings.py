"""Settings come from the environment so one codebase serves the demo, CI and production.

DATABASE_URL chooses the database: PostgreSQL in production and CI, an SQLite file by default so
that `make demo` works on any machine.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

from grants import secret_key

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not DEBUG and (_key_problem := secret_key.problem(SECRET_KEY)):
    # A production process must never sign sessions with a key that sits in a public repository or
    # can be guessed: stop here, at load, so gunicorn, celery and every manage.py command refuse it.
    raise secret_key.UnfitSecretKey(f"{_key_problem} {secret_key.HOW_TO}")
if not SECRET_KEY:
    SECRET_KEY = "insecure-local-demo-key"

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

# Production is served over HTTPS: cookies never travel in clear and browsers are told to stay on
# HTTPS. HTTPS=0 is for a plain-http deployment (an isolated intranet), never the default. The
# redirect from http is usually the reverse proxy's job; SECURE_SSL_REDIRECT=1 makes it Django's.
HTTPS = env_bool("HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# Probes from a load balancer often speak plain http to the backend: a redirect would read as "down".
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

INSTALLED_APPS = [
    # First: its changepassword and createsuperuser replace Django's, so that they are audited.
    "grants.auth_commands",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "grants",
    "projects",
]

MIDDLEWARE = [
    # Outermost: it times the whole request and sees the final status, error pages included.
    "grants.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Hardening (security review, issue 12): the Content-Security-Policy on every response, static
    # files and error pages included (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor.
    "django_otp.middleware.OTPMiddleware",
    # Staff sessions that have not passed it reach nothing but the MFA pages (grants.mfa).
    "grants.mfa.middleware.MFARequiredMiddleware",
    # Hardening (issue 12): nothing a signed-in user saw stays in a browser's or a proxy's cache. After
    # authentication, whose user it reads (DRF's token user too, once the view has run).
    "grants.cache_control.NoStoreForAuthenticatedMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out login into a clear refusal.
    "axes.middleware.AxesMiddleware",
]

# Login throttling for every login form (portal, admin, password-based API token) by django-axes,
# a maintained library, rather than a hand-written counter. Locking the pair (username, address)
# stops guessing without letting anyone lock a municipality out from elsewhere.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The client's address, for lock-outs and API throttles alike: REMOTE_ADDR unless NUM_PROXIES proxies
# sit in front and append to X-Forwarded-For (a header clients can otherwise forge).
NUM_PROXIES = int(os.environ.get("NUM_PROXIES", "0"))
if NUM_PROXIES:
    # The proxy terminates TLS and says so in X-Forwarded-Proto (it must overwrite a client's).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    AXES_IPWARE_PROXY_COUNT = NUM_PROXIES
    AXES_IPWARE_PROXY_ORDER = "right-most"
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Password-reset requests, counted in the cache (shared by every process with REDIS_URL): beyond
# either limit within the window nothing is sent. Per address high enough for a town hall's offices
# behind one address; per e-mail low, as one link is enough. 0 turns a limit off.
PASSWORD_RESET_LIMIT_PER_ADDRESS = int(os.environ.get("PASSWORD_RESET_LIMIT_PER_ADDRESS", "20"))
PASSWORD_RESET_LIMIT_PER_EMAIL = int(os.environ.get("PASSWORD_RESET_LIMIT_PER_EMAIL", "3"))
PASSWORD_RESET_LIMIT_WINDOW = int(os.environ.get("PASSWORD_RESET_LIMIT_WINDOW", "3600"))

# Content-Security-Policy (django-csp): scripts and styles from this site only, never inline. The one
# inline script left, Swagger UI's initialisation (templates/api/swagger_ui.html), carries the
# response's nonce. Django's admin, the portal (htmx configured not to inject styles) and the reports
# need nothing inline. data: images are Swagger UI's and the admin's icons in their stylesheets.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
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

# Second factor (TOTP + one-time recovery codes, django-otp) for officers, approvers, auditors and
# superusers: on in production, off in the demo unless asked for. Other accounts may enrol.
MFA_REQUIRED = env_bool("MFA_REQUIRED", not DEBUG)
OTP_TOTP_ISSUER = "Smart Cities Grants"
MFA_RECOVERY_CODES = 10

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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # A connection kept for a minute spares each request the connect (and its TLS and auth);
        # the demo (DEBUG) opens one per request, like runserver's threads expect.
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0" if DEBUG else "60")),
        # A persistent connection that the server closed is noticed before a request uses it.
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The covering indexes (Index(include=…)) serve PostgreSQL, the production database; SQLite, the demo's
# database, builds them without the included column, which is harmless there, so its warning is noise.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "el"
LANGUAGES = [("el", _("Greek")), ("en", _("English"))]
# Ours first, so it wins; then Greek for what Django's and the apps' own Greek catalogues lack
# (see locale_django/el/LC_MESSAGES/django.po).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_django"]
# dd/mm/yyyy and 24-hour times in every language (config/formats), as grants/formatting.py writes them.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Europe/Athens"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files only their owner may download (exports built by the worker): rooted outside MEDIA and STATIC
# and with no URL, so they leave only through a permission-checked view. Several hosts share it on a
# network file system or point "private" at an S3-compatible bucket (django-storages).
PRIVATE_STORAGE_ROOT = Path(os.environ.get("PRIVATE_STORAGE_ROOT", BASE_DIR / "private"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "grants.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": PRIVATE_STORAGE_ROOT},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "grants.storage.CompressedStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True
# Files the application writes (export jobs, documents): on this host's disk by default; in an
# S3-compatible store (django-storages, `pip install -e ".[s3]"`) when AWS_STORAGE_BUCKET_NAME is set,
# which several web and worker hosts need, since none of them may keep files of its own. Never served
# from a public URL: permission-checked views read them through the storage API.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    _S3 = {
        "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
        "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
        "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
    }
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _S3}
    # The same bucket under its own prefix: every host sees the worker's files, and nothing is public.
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**_S3, "location": "private"},
    }

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/portal/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Redis, when REDIS_URL is set, is shared by every web and worker process: the cache (API throttles,
# rate limits) counts per deployment, not per process, and it is Celery's broker. Without it (the
# demo, the tests) a local-memory cache and tasks run in the calling process: nothing needs a service.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "scg"),
            # A Redis that stopped answering fails a request in seconds instead of hanging a worker.
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged when it finished, so a worker killed mid-task leaves it to another worker.
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Europe/Athens"
CELERY_BEAT_SCHEDULE = {
    # Finished exports are kept for a week (grants.models.export.EXPORT_KEEP), then deleted. At a
    # fixed time of night rather than every 24 hours from whenever beat last started.
    "expire-exports": {"task": "grants.tasks.expire_exports", "schedule": crontab(hour=3, minute=30)},
    # Deadline reminders and overdue flags (grants.deadlines), each sent once, before the working day.
    "deadline-reminders": {
        "task": "grants.tasks.send_deadline_reminders",
        "schedule": crontab(hour=7, minute=0),
    },
}
# An export of more rows than this is built by the worker, not inside the request; 0 sends every
# export to the worker.
EXPORT_JOB_ROWS = int(os.environ.get("EXPORT_JOB_ROWS", "50000"))

# SMTP when EMAIL_HOST is set; the console only in the demo or when EMAIL_BACKEND names it: with DEBUG
# off, mail printed on a server's console is mail lost (grants.checks refuses it).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587" if env_bool("EMAIL_USE_TLS", True) else "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
EMAIL_BACKEND_EXPLICIT = bool(os.environ.get("EMAIL_BACKEND"))
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "smartcities@example.gov.gr")
# Links in e-mails must point at the public site, not at whatever host served the request.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-smartcities")

# Where `manage.py backup` writes its dumps unless told (--dir); copied off the host from there.
BACKUP_DIR = os.environ.get("BACKUP_DIR", str(BASE_DIR / "backups"))

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header is what makes an anonymous request a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's, refusing staff tokens issued without a one-time code (grants.mfa).
        "grants.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "COERCE_DECIMAL_TO_STRING": True,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "grants.api.exceptions.exception_handler",
    # Unset, DRF would trust whatever address a client writes in X-Forwarded-For, and the throttles
    # below could be dodged by changing it.
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    # Generous for scripts; the token endpoint is strict because it is where passwords are guessed.
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "120/min"),
        "user": os.environ.get("API_THROTTLE_USER", "1200/min"),
        "login": os.environ.get("API_THROTTLE_LOGIN", "10/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Smart Cities Grants API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "grants.api.schema.add_error_responses",
    ],
}

# One JSON line per request on stdout (grants.request_log), for the journal or a log shipper; other
# messages on stderr, each with the request id of the request that wrote it.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "grants.request_log.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "grants.request_log.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]},
        "requests": {
            "class": "grants.request_log.StdoutHandler",
            "formatter": "json",
            "filters": ["request_id"],
        },
    },
    "loggers": {
        "grants.requests": {
            "handlers": ["requests"],
            # The demo's runserver prints its own line per request: the JSON one is for production.
            "level": os.environ.get("REQUEST_LOG_LEVEL", "WARNING" if DEBUG else "INFO"),
            "propagate": False,
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
