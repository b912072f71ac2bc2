"""Pressimus settings: one module, read from the environment with django-environ.

Defaults make a first run work on SQLite with DEBUG on; production must set
SECRET_KEY and ALLOWED_HOSTS (see .env.example).
"""

from __future__ import annotations

import re
from email.utils import parseaddr
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

_DEV_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (50+ random characters), "
            "or set DEBUG=true for local development."
        )
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("SECRET_KEY must be a real secret of at least 50 characters.")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is not set (a comma-separated list of host names).")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "pressimus.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "template_partials",
    "reversion",
    "django_prose_editor",
    "csp",
    "pressimus",
    "accounts",
    "streams",
    "live",
    "invitations",
    "api",
    "notifications",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
]

MIDDLEWARE = [
    # Outermost: it measures the Content-Length the others settled on.
    "pressimus.middleware.SteadyHeaderLengthMiddleware",
    # Outside every middleware that adds a header for documents.
    "pressimus.middleware.DataAnswerHeadersMiddleware",
    "pressimus.middleware.RequestIDMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "pressimus.middleware.ContentSecurityPolicyMiddleware",
    "pressimus.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.UserTimeZoneMiddleware",
    "accounts.admin_mfa.AdminRequiresMFAMiddleware",
]

ROOT_URLCONF = "pressimus.urls"
# Moving the back office off /admin/ keeps it out of drive-by scans; robots.txt follows it.
ADMIN_URL = env.str("ADMIN_URL", default="admin/")
if not ADMIN_URL or not ADMIN_URL.endswith("/") or ADMIN_URL.startswith("/"):
    raise ImproperlyConfigured(
        f"ADMIN_URL must be a path like 'back-office/': not empty, no leading slash, "
        f"a trailing slash (got {ADMIN_URL!r})."
    )
WSGI_APPLICATION = "pressimus.wsgi.application"

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
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes write to one file (web workers, the task worker, a management command):
    # each transaction takes the write lock as it begins, waiting up to 20 s for it. Begun as a
    # reader, one that then writes while another writer waits fails at once, "database is
    # locked", whatever the timeout (it did: `manage.py invite` beside a served site).
    DATABASES["default"].setdefault("OPTIONS", {}).update(transaction_mode="IMMEDIATE", timeout=20)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://pressimus")}
# django-environ lower-cases every option of a URL for Django's own Redis backend, these too,
# where Django reads them upper-case only: ?key_prefix=… would be silently ignored, and two
# sites sharing one Redis database would read each other's sessions and versions.
for _option in ("timeout", "key_prefix", "version", "key_function"):
    if _option in CACHES["default"]:
        CACHES["default"][_option.upper()] = CACHES["default"].pop(_option)

EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Pressimus <noreply@pressimus.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "streams:home"
# Staff and editors enter the admin only after two-factor authentication this session.
ADMIN_REQUIRE_MFA = env.bool("ADMIN_REQUIRE_MFA", default=True)

# django-allauth: sign-in by e-mail, sign-up only with an invitation (accounts.adapter).
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"signup": "invitations.forms.InvitedSignupForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Pressimus] "
ACCOUNT_RATE_LIMITS = {
    # allauth's own defaults stay on; ours is the public invitation request form.
    "invitation_request": env.str("INVITATION_REQUEST_RATE", default="5/h/ip"),
}
# How many proxies in front of the web processes append to X-Forwarded-For.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
MFA_TOTP_ISSUER = "Pressimus"

INVITATION_EXPIRY_DAYS = env.int("INVITATION_EXPIRY_DAYS", default=14)

# The site's address for links in e-mail sent from the task worker, which has no request to
# read it from: scheme and host, no path. Default: http://127.0.0.1:8000 with DEBUG, otherwise
# https:// and the first of ALLOWED_HOSTS.
SITE_URL = env.str("SITE_URL", default="").strip().rstrip("/")
if not SITE_URL:
    _first_host = next((h.lstrip(".") for h in ALLOWED_HOSTS if h.lstrip(".") not in ("", "*")), "")
    SITE_URL = "http://127.0.0.1:8000" if DEBUG or not _first_host else f"https://{_first_host}"
if not re.fullmatch(r"https?://[^/\s?#]+", SITE_URL):
    raise ImproperlyConfigured(
        f"SITE_URL must be the site's scheme and host, such as https://news.example.org "
        f"(got {SITE_URL!r})."
    )
# allauth's links in mail (sign-up, password reset) take the scheme the site is served with.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = SITE_URL.split("://", 1)[0]

# Background work (mail, followers' alerts) through Django's Tasks API (the django-tasks
# backport). TASK_QUEUE_URL "database" (the default) keeps tasks in the database, run by
# `manage.py db_worker`: a first run needs nothing more. A Redis URL keeps them in RQ, run by
# `manage.py rqworker --with-scheduler --job-class django_tasks_rq.Job default`. "immediate" runs
# each task at once in the process that enqueues it: for tests only (nothing is retried later).
TASK_QUEUE_URL = env.str("TASK_QUEUE_URL", default="database").strip()
if TASK_QUEUE_URL == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASK_QUEUE_URL == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
elif TASK_QUEUE_URL.startswith(("redis://", "rediss://")):
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    # Jobs must outlive the cache's evictions: give the queue a Redis of its own, without an
    # eviction policy (docker-compose.yml runs one).
    RQ_QUEUES = {"default": {"URL": TASK_QUEUE_URL, "DEFAULT_TIMEOUT": 300}}
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
else:
    raise ImproperlyConfigured(
        f"TASK_QUEUE_URL must be 'database', 'immediate' or a redis:// URL "
        f"(got {TASK_QUEUE_URL!r})."
    )
# /healthz answers 503 once the oldest task ready to run has waited this long: no worker runs,
# or the workers cannot keep up.
TASK_QUEUE_STUCK_AFTER_S = env.int("TASK_QUEUE_STUCK_AFTER_S", default=600)

# Followers' e-mail alerts (notifications). After a key-event mail to a follower about a stream,
# further key events of that stream wait this long and then go out together in one mail.
ALERT_KEY_EVENT_INTERVAL_MIN = env.int("ALERT_KEY_EVENT_INTERVAL_MIN", default=15)
# Daily digests go out at this hour (0-23) in each member's own time zone.
ALERT_DAILY_DIGEST_HOUR = env.int("ALERT_DAILY_DIGEST_HOUR", default=7)
if not 0 <= ALERT_DAILY_DIGEST_HOUR <= 23:
    raise ImproperlyConfigured("ALERT_DAILY_DIGEST_HOUR must be an hour from 0 to 23.")

LANGUAGE_CODE = "en"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Uploads go to S3-compatible object storage when a bucket is named, so that every web process
# (and every machine) sees the same files; otherwise to MEDIA_ROOT on this machine.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    # An empty variable (as copied from .env.example) means "not set", not "the empty string".
    MEDIA_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            # Credentials may also come from the instance's role: boto3 looks for them.
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            # MinIO, Garage, Ceph, R2 and other S3-compatible services.
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None,
            "url_protocol": env.str("AWS_S3_URL_PROTOCOL", default="https:"),
            # Media are public images: plain, cacheable URLs rather than expiring signed ones.
            "querystring_auth": env.bool("AWS_QUERYSTRING_AUTH", default=False),
            "default_acl": None,
            # A new upload never replaces another one with the same name.
            "file_overwrite": False,
            # Every upload is stored under a fresh random name, so it can be cached forever.
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        },
    }
else:
    MEDIA_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Tests render pages without running collectstatic first.
WHITENOISE_MANIFEST_STRICT = False
# Firefox drops captions not served as text/vtt; WhiteNoise knows no type for .vtt.
WHITENOISE_MIMETYPES = {".vtt": "text/vtt"}

# Reverse proxies terminate TLS in front of the web processes.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if not SECURE_HSTS_PRELOAD:
    # Turning preload off is a deliberate choice of the operator, not an oversight.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# Sessions live in the database and are read through the cache (Redis in production), so any
# web process can serve any request and a restarted process signs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    # __Host- cookies are refused by browsers unless Secure, Path=/ and without Domain, so
    # neither a subdomain nor plain HTTP can plant or read them.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
# Every page but the embed (streams.embed) refuses framing.
X_FRAME_OPTIONS = "DENY"

# Embed blocks (pressimus.lib.oembed): Mastodon posts are embedded from these servers only, the
# well-known ones and any the operator adds (EMBED_MASTODON_INSTANCES, comma-separated).
_WELL_KNOWN_MASTODON_INSTANCES = [
    "mastodon.social", "mastodon.online", "mstdn.social", "mas.to", "mastodon.world",
    "hachyderm.io", "fosstodon.org", "infosec.exchange", "journa.host", "newsie.social",
]  # fmt: skip
_HOST_NAME = r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}"
EMBED_MASTODON_INSTANCES = list(
    dict.fromkeys(
        [
            *_WELL_KNOWN_MASTODON_INSTANCES,
            *(host.strip().lower() for host in env.list("EMBED_MASTODON_INSTANCES", default=[])),
        ]
    )
)
if bad_hosts := [h for h in EMBED_MASTODON_INSTANCES if not re.fullmatch(_HOST_NAME, h)]:
    raise ImproperlyConfigured(
        "EMBED_MASTODON_INSTANCES must list host names such as social.example.org, without "
        f"scheme, port or path (got {', '.join(map(repr, bad_hosts))})."
    )
# Tests only, never from the environment: "127.0.0.1:port" of a local server standing in for
# every embed provider (see pressimus.lib.oembed.stand_in_server).
EMBED_TEST_SERVER: str | None = None

# Push (live/push.py). PUSH_URL: where the web processes publish, the push engine's Nchan
# publisher (e.g. http://push:8081); when set, every change is announced there the moment it
# commits, and stream pages also listen for it. Empty: pages poll. PUSH_EVENTS_ORIGIN: where the
# readers' pages connect to listen (/streams/<slug>/events/ under it), the push engine's own
# origin: the site's host on another port (e.g. https://example.org:8443), so that the readers'
# cookies come along and the edge's workers never write the announcements.
PUSH_URL = env.str("PUSH_URL", default="").strip()
PUSH_EVENTS_ORIGIN = env.str("PUSH_EVENTS_ORIGIN", default="").strip().removesuffix("/")
if PUSH_URL and not re.fullmatch(r"https?://[^/?#\s]+(:[0-9]+)?", PUSH_EVENTS_ORIGIN):
    raise ImproperlyConfigured(
        "With PUSH_URL set, PUSH_EVENTS_ORIGIN must be the push engine's origin as the readers' "
        "browsers reach it, a scheme, host and port with no path, such as "
        f"https://example.org:8443 (got {PUSH_EVENTS_ORIGIN!r})."
    )

# The edge's refresh port (live/edge.py), e.g. http://proxy:8082: when set, the edge's copy of
# what up-to-date readers poll is replaced the moment a change commits, so polling readers see
# it at their next poll instead of after the copy's max-age too. Never a port readers reach.
EDGE_REFRESH_URL = env.str("EDGE_REFRESH_URL", default="").strip()
if EDGE_REFRESH_URL and not re.fullmatch(r"https?://[^/?#\s]+", EDGE_REFRESH_URL):
    raise ImproperlyConfigured(
        "EDGE_REFRESH_URL must be the edge's refresh port as the web processes reach it, a "
        f"scheme, host and port with no path, such as http://proxy:8082 (got {EDGE_REFRESH_URL!r})."
    )

# No 'unsafe-inline': our pages, the admin, allauth and the prose editor load only files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # allauth draws the authenticator QR code as a data: URI.
        "img-src": ["'self'", "data:"],
        # A publisher's explainer video may live on another site.
        "media-src": ["'self'", "https:"],
        "font-src": ["'self'"],
        # The push engine's origin, where the pages' EventSource connects.
        "connect-src": ["'self'", *([PUSH_EVENTS_ORIGIN] if PUSH_URL else [])],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        # Exactly the players of embed blocks, loaded when a reader asks: the origins of the
        # player addresses pressimus.lib.oembed builds (tests/test_embeds.py checks they agree).
        "frame-src": [
            "https://www.youtube-nocookie.com",
            "https://player.vimeo.com",
            "https://platform.twitter.com",
            "https://embed.bsky.app",
            "https://t.me",
            *(f"https://{host}" for host in EMBED_MASTODON_INSTANCES),
        ],
        # With the HTTPS redirect, as production runs; a site served over plain HTTP on
        # purpose (docker-compose on a LAN) would otherwise have its CSS and scripts upgraded
        # to an HTTPS that does not exist.
        "upgrade-insecure-requests": SECURE_SSL_REDIRECT,
    }
}
# Features no page of ours uses; sent as Permissions-Policy by pressimus.middleware.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "camera",
        "microphone",
        "geolocation",
        "payment",
        "usb",
        "interest-cohort",
        "browsing-topics",
    )
}

# Stream pages show this many entries before "Load older".
STREAM_PAGE_SIZE = env.int("STREAM_PAGE_SIZE", default=20)
# Every open stream page follows the interval in each poll's answer, so raising this slows
# all readers at once (a kill switch under load).
LIVE_POLL_INTERVAL_MS = env.int("LIVE_POLL_INTERVAL_MS", default=5000)
# How long a web process answers an unchanged poll (or an anonymous stream page) from its own
# memory before asking the shared cache again; 0 turns it off (see live.versions). Off by
# default behind an edge that is refreshed on each change (EDGE_REFRESH_URL): the edge asks
# for each URL once per max-age, so memory saves little there, and an answer remembered from
# before a change could take the place of the edge's refreshed copy for a whole max-age.
LIVE_MEMO_MS = env.int("LIVE_MEMO_MS", default=0 if EDGE_REFRESH_URL else 1000)

# The public API (api/): requests per client (a token, a signed-in member, else an address)
# per window, as "N/s", "N/m" or "N/h"; past it, 429 with Retry-After. Counted in CACHE_URL.
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="300/m").strip()
if not re.fullmatch(r"[1-9][0-9]*/[smh]", API_RATE_LIMIT):
    raise ImproperlyConfigured(
        "API_RATE_LIMIT must be a number of requests per s, m or h, such as 300/m "
        f"(got {API_RATE_LIMIT!r})."
    )

# Feeds name their entries (and themselves) by tag: URIs (RFC 4151) under this authority, a
# domain name or e-mail address the site's owner holds: ids that stay the same whatever host
# a feed is fetched from, as Atom wants them. Feed readers know entries by these ids, so set
# it once: changing it shows every entry to every subscriber again as new.
FEED_ID_AUTHORITY = env.str("FEED_ID_AUTHORITY", default="").strip().lower() or (
    parseaddr(DEFAULT_FROM_EMAIL)[1].rpartition("@")[2].lower()
)
_TAG_DNS_NAME = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*"
if not re.fullmatch(rf"(?:[a-z0-9._-]+@)?{_TAG_DNS_NAME}", FEED_ID_AUTHORITY):
    raise ImproperlyConfigured(
        "FEED_ID_AUTHORITY must be a domain name or an e-mail address the site's owner holds, "
        f"such as news.example.org (got {FEED_ID_AUTHORITY!r}; by default it is the domain of "
        "DEFAULT_FROM_EMAIL)."
    )

# "json" (one object per line, for log collectors) by default in production, "text" in DEBUG.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'json' or 'text' (got {LOG_FORMAT!r}).")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "pressimus.lib.logging.RequestIDFilter"}},
    "formatters": {
        "json": {"()": "pressimus.lib.logging.JSONFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
