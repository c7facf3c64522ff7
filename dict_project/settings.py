"""Settings, read from environment variables only (12-factor).

With nothing set the service runs on its embedded defaults: a SQLite file, an in-process
cache, Celery tasks run in-process, the local Connect adapter. Every default is a real
implementation, not a mock.
"""

import os
import tempfile
from datetime import timedelta
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from common.logging import logging_config
from common.secret_key import embedded_key, strong_key

BASE_DIR = Path(__file__).resolve().parent.parent
TRUE_WORDS = {"1", "true", "yes", "on"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    return int(raw) if raw else default


def env_float(name: str, default: float) -> float:
    raw = env_str(name)
    return float(raw) if raw else default


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name).lower()
    if not raw:
        return default
    return raw in TRUE_WORDS


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_host(name: str, default: str) -> str:
    """An interface to listen on; the port is a setting of its own, so "host:port" is refused, not misread."""
    host = env_str(name, default)
    if host.count(":") == 1:
        raise ImproperlyConfigured(f"{name} names an interface such as 0.0.0.0, not host:port ({host!r})")
    return host


def env_networks(name: str, default: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """Comma-separated networks ("10.0.0.0/8,::1/128"); a malformed one stops the settings, naming the variable."""
    try:
        return tuple(ip_network(item) for item in env_list(name, default))
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}: {error}") from None


def env_proxy_ssl_header(name: str) -> tuple[str, str] | None:
    """Django's SECURE_PROXY_SSL_HEADER from "HEADER,value"; a bare true means X-Forwarded-Proto: https."""
    raw = env_str(name)
    if raw.lower() in {"", "0", "false", "no", "off"}:
        return None
    if raw.lower() in TRUE_WORDS:
        return ("HTTP_X_FORWARDED_PROTO", "https")
    header, _, value = (part.strip() for part in raw.partition(","))
    if not (header and value):
        raise ImproperlyConfigured(f'{name} is "HEADER,value", e.g. "HTTP_X_FORWARDED_PROTO,https" (not {raw!r})')
    return (header, value)


DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")

# This PSP's ISPB: the participant every account and entry belongs to.
DICT_ISPB = env_str("DICT_ISPB", "12345678")

# The directory: Connect over gRPC when CONNECT_URL is set, else the simulated DICT in-process.
CONNECT_URL = env_str("CONNECT_URL")
# The directories the homologation rehearsal may act on (CONNECT_URL's host): it registers made-up
# people's keys and plays other participants and BCB, so never at the production DICT.
REHEARSAL_DIRECTORY_HOSTS = env_list("REHEARSAL_DIRECTORY_HOSTS", "127.0.0.1,localhost,::1,dictsim")
# TLS to Connect (PEM files): the gateway's CA, and our client certificate and key for mutual TLS, as DICT
# requires. None set: plaintext (dictsim in tests and demos).
CONNECT_TLS_CA_FILE = env_str("CONNECT_TLS_CA_FILE")
CONNECT_TLS_CERT_FILE = env_str("CONNECT_TLS_CERT_FILE")
CONNECT_TLS_KEY_FILE = env_str("CONNECT_TLS_KEY_FILE")
# One time budget per directory call, retries included; each attempt gets what is left of it.
CONNECT_DEADLINE_SEC = env_float("CONNECT_DEADLINE_SEC", 2.0)
CONNECT_RETRY_ATTEMPTS = env_int("CONNECT_RETRY_ATTEMPTS", 3)  # at most, within the budget
# The breaker opens when, over the window, at least MIN_CALLS calls ended and FAILURE_RATIO of them
# were transport failures; after OPEN_SEC one trial call goes through.
CONNECT_BREAKER_WINDOW_SEC = env_float("CONNECT_BREAKER_WINDOW_SEC", 10.0)
CONNECT_BREAKER_MIN_CALLS = env_int("CONNECT_BREAKER_MIN_CALLS", 5)
CONNECT_BREAKER_FAILURE_RATIO = env_float("CONNECT_BREAKER_FAILURE_RATIO", 0.5)
CONNECT_BREAKER_OPEN_SEC = env_float("CONNECT_BREAKER_OPEN_SEC", 5.0)
# The bulkhead: directory calls in flight per process, and how long a call beyond waits for a slot.
CONNECT_MAX_IN_FLIGHT = env_int("CONNECT_MAX_IN_FLIGHT", 8)
CONNECT_BULKHEAD_WAIT_SEC = env_float("CONNECT_BULKHEAD_WAIT_SEC", 0.1)

# Receita Federal's tax id registry (rfb): over HTTP when RFB_URL is set, else the simulated one in our
# database (`manage.py rfb_simulate`). Each call waits at most RFB_TIMEOUT_SEC; no answer refuses the
# operation with a retryable ServiceUnavailable, it never goes on unchecked.
RFB_URL = env_str("RFB_URL")
RFB_TIMEOUT_SEC = env_float("RFB_TIMEOUT_SEC", 2.0)

# Domain events to Apache Pulsar: with PULSAR_URL set (pulsar://host:6650), `manage.py relay_events`
# publishes the outbox (events/relay.py), one topic per aggregate under the prefix; without it events
# stay in the table (the embedded default). A send waits at most PULSAR_SEND_TIMEOUT_MS for the
# broker, any other client operation (connecting, creating a producer) PULSAR_OPERATION_TIMEOUT_SEC.
# An event the broker refuses for its content PULSAR_MAX_ATTEMPTS times is marked failed.
PULSAR_URL = env_str("PULSAR_URL")
PULSAR_TOPIC_PREFIX = env_str("PULSAR_TOPIC_PREFIX", "persistent://public/default/coredict-")
PULSAR_SEND_TIMEOUT_MS = env_int("PULSAR_SEND_TIMEOUT_MS", 5000)
PULSAR_OPERATION_TIMEOUT_SEC = env_int("PULSAR_OPERATION_TIMEOUT_SEC", 10)
PULSAR_MAX_ATTEMPTS = env_int("PULSAR_MAX_ATTEMPTS", 5)
# The relay touches this file after every round (`manage.py relay_alive` reads its age and state).
RELAY_HEARTBEAT_FILE = env_str("RELAY_HEARTBEAT_FILE", str(Path(tempfile.gettempdir()) / "core-dict-relay.alive"))

INSTALLED_APPS = [
    "django_prometheus",  # HTTP, database and cache metrics (served at /metrics by common.metrics_http)
    "backoffice.apps.BackofficeConfig",  # Django's admin app, its site the staff home page (label "admin")
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "common",
    "events",
    "audit",
    "accounts",
    "possession",
    "connect",
    "rfb",
    "keys",
    "lookup",
    "claims",
    "portability",
    "med",
    "dictsim",
    "homologation",
]

MIDDLEWARE = [
    "common.health.ProbeMiddleware",  # first: probes are answered whatever their Host, never redirected
    "common.metrics_http.MetricsMiddleware",  # /metrics to METRICS_ALLOWED_NETWORKS, whatever the Host, as probes
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # after them: probes and scrapes are not traffic
    "common.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # next-to-last: answers the admin login's lockouts (the API's: common.throttling)
    "common.metrics_http.PrometheusAfterMiddleware",  # last: django-prometheus' own, with bounded labels
]

ROOT_URLCONF = "dict_project.urls"
WSGI_APPLICATION = "dict_project.wsgi.application"

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

# Database: DATABASE_URL, else DB_HOST/DB_NAME/..., else the embedded SQLite file.
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var")))
if env_str("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL"), conn_max_age=60)}
elif env_str("DB_HOST"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": env_str("DB_HOST"),
            "PORT": env_str("DB_PORT", "5432"),
            "NAME": env_str("DB_NAME", "core_dict"),
            "USER": env_str("DB_USER", "postgres"),
            "PASSWORD": env_str("DB_PASSWORD"),
            "CONN_MAX_AGE": 60,
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "core_dict.sqlite3",
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # A server that takes the connection and never answers would hold a request or worker forever.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5))
# Query and connection metrics: django-prometheus' wrappers of the same engines (postgresql, sqlite3).
DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace(
    "django.db.backends.", "django_prometheus.db.backends."
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The embedded default is the deployment that names no server at all (database, cache, broker, directory,
# Pulsar) and does not ask for the production profile: one process on one machine (`make run`). Only it
# makes its own secret key, kept in DATA_DIR; every other deployment must be given strong keys
# (common/secret_key.py) or refuses to start, so a half-configured production never runs on a made-up key.
SERVER_SETTINGS = ("DATABASE_URL", "DB_HOST", "REDIS_URL", "CELERY_BROKER_URL", "CONNECT_URL", "PULSAR_URL")
EMBEDDED = not any(env_str(name) for name in SERVER_SETTINGS) and env_str("DJANGO_ENV").lower() != "production"
if EMBEDDED and not env_str("SECRET_KEY"):
    SECRET_KEY = embedded_key(DATA_DIR)
else:
    SECRET_KEY = strong_key("SECRET_KEY", env_str("SECRET_KEY"))

# HTTPS. The production profile (DJANGO_ENV; production unless embedded) turns every protection on;
# each can be set apart. Where TLS ends at a proxy, the proxy must overwrite X-Forwarded-Proto and
# SECURE_PROXY_SSL_HEADER trust it (else every request looks plain and the redirect loops), or, if the
# proxy redirects plain HTTP itself, SECURE_SSL_REDIRECT=false. Probes are answered before any redirect
# or Host check (common.health.ProbeMiddleware).
DJANGO_ENV = env_str("DJANGO_ENV", "development" if EMBEDDED else "production").lower()
if DJANGO_ENV not in {"production", "development"}:
    raise ImproperlyConfigured(f"DJANGO_ENV is production or development, not {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header("SECURE_PROXY_SSL_HEADER")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", PRODUCTION)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# Cache (read models, rate limits): Redis when REDIS_URL is set, else in-process memory.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",  # django-redis, counting gets
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", f"coredict:{DICT_ISPB}"),
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "common.locmem_cache.LocMemCache"}}  # django-prometheus' wrapper, fixed

# Celery: a broker when CELERY_BROKER_URL (or REDIS_URL) is set; otherwise tasks run in-process.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_IGNORE_RESULT = True
# A worker survives a broker restart (tests/test_worker_broker_restart.py). With kombu's ack emulation,
# a worker holding unacked messages (countdown retries) died when Redis restarted: Celery closes the
# consumer's channel a second time after detaching the transport, and restoring those messages then
# raised AttributeError(... 'hostname'), an "Unrecoverable error" (STACK_NOTES_2 §9). Plain virtual
# acks restore them from memory and log what they cannot restore. Messages lost that way (or with a
# killed worker) cost a delay, not the work: the row is the intent and sync_pending re-drives it.
CELERY_BROKER_TRANSPORT_OPTIONS = {"ack_emulation": False}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # fewer messages held only in a worker's memory
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # wait out any broker outage; the liveness file shows it
# Liveness (`manage.py worker_alive`): the worker's consumer touches this file while it is connected.
WORKER_HEARTBEAT_FILE = env_str("WORKER_HEARTBEAT_FILE", str(Path(tempfile.gettempdir()) / "core-dict-worker.alive"))
WORKER_HEARTBEAT_INTERVAL_SEC = env_float("WORKER_HEARTBEAT_INTERVAL_SEC", 10.0)
# Beat's liveness (`manage.py worker_alive --beat`): its scheduler touches this file on every tick, and it
# ticks at least every CELERY_BEAT_MAX_LOOP_INTERVAL seconds, broker or not.
CELERY_BEAT_SCHEDULER = "common.worker_liveness:HeartbeatScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = env_int("CELERY_BEAT_MAX_LOOP_INTERVAL", 60)
BEAT_HEARTBEAT_FILE = env_str("BEAT_HEARTBEAT_FILE", str(Path(tempfile.gettempdir()) / "core-dict-beat.alive"))
# Multiplies every period below, and the age at which sync_pending takes work as stuck; tests shorten
# the cycle with it (0.02: every 1.2 s). Keep 1 in production.
SCHEDULE_SCALE = env_float("SCHEDULE_SCALE", 1.0)
# DICT wants every key type's VSync checked at least every 36 h (DICT_RULES §7). Every 6 h (repairing
# what differs) leaves five more runs inside that window for a directory outage; the alert
# CoreDictSyncUnverified (deploy/observability/alerts.yml) fires when a type has not been OK for 24 h.
SYNC_CHECK_MAX_INTERVAL_SEC = 36 * 3600
SYNC_CHECK_INTERVAL_SEC = env_float("SYNC_CHECK_INTERVAL_SEC", 6 * 3600)
if not 0 < SYNC_CHECK_INTERVAL_SEC * SCHEDULE_SCALE <= SYNC_CHECK_MAX_INTERVAL_SEC / 2:
    raise ImproperlyConfigured("SYNC_CHECK_INTERVAL_SEC must leave at least two checks inside DICT's 36 h window")
# A sync repair (keys.sync) fixes this many differing CIDs at most per run (each a getEntryByCid and at most
# one more directory call); the rest wait for the next run. Two repairs never overlap: one holds a lease
# in the cache, which expires after SYNC_REPAIR_LEASE_SEC should its holder die.
SYNC_REPAIR_MAX_DIFFERENCES = env_int("SYNC_REPAIR_MAX_DIFFERENCES", 1000)
SYNC_REPAIR_LEASE_SEC = env_int("SYNC_REPAIR_LEASE_SEC", 3600)
if SYNC_REPAIR_MAX_DIFFERENCES < 1 or SYNC_REPAIR_LEASE_SEC < 1:
    raise ImproperlyConfigured("SYNC_REPAIR_MAX_DIFFERENCES and SYNC_REPAIR_LEASE_SEC must be positive")
# The claims deadline sweep (claims.services.claims_sweep) asks DICT from this many threads at most, each with
# its own database connection: 4, half the Connect bulkhead (CONNECT_MAX_IN_FLIGHT), leaves the other half to
# the calls the process serves meanwhile. A run stops taking new claims after CLAIMS_SWEEP_BUDGET_SEC, so a beat
# tick (every 60 s) never runs into the next for long: the next run goes on with what is still due.
CLAIMS_SWEEP_WORKERS = env_int("CLAIMS_SWEEP_WORKERS", 4)
CLAIMS_SWEEP_BUDGET_SEC = env_float("CLAIMS_SWEEP_BUDGET_SEC", 50.0)
if CLAIMS_SWEEP_WORKERS < 1 or CLAIMS_SWEEP_BUDGET_SEC <= 0:
    raise ImproperlyConfigured("CLAIMS_SWEEP_WORKERS and CLAIMS_SWEEP_BUDGET_SEC must be positive")
CELERY_BEAT_SCHEDULE = {
    "sync-pending": {
        "task": "keys.tasks.sync_pending",
        "schedule": 60.0 * SCHEDULE_SCALE,
        "kwargs": {"older_than_seconds": 60.0 * SCHEDULE_SCALE},
    },
    # DICT has no push for claims, and a donor acknowledges within one minute of a claim's creation (DICT_RULES
    # §4.4, §11 item 4): a poll every 60 s would find a claim opened just after it a full minute late, so 30 s.
    "claims-poll": {"task": "claims.tasks.poll", "schedule": 30.0 * SCHEDULE_SCALE},
    "claims-sweep": {"task": "claims.tasks.sweep", "schedule": 60.0 * SCHEDULE_SCALE},
    # MED has no push either: poll reports and refunds, acknowledging incoming reports at once (DICT_RULES §8).
    "med-poll": {"task": "med.tasks.poll", "schedule": 60.0 * SCHEDULE_SCALE},
    "med-sweep": {"task": "med.tasks.sweep", "schedule": 60.0 * SCHEDULE_SCALE},
    "check-sync": {"task": "keys.tasks.check_sync", "schedule": SYNC_CHECK_INTERVAL_SEC * SCHEDULE_SCALE},
    # Closed accounts with keys or claims the closure left (a key registered or brought by a claim after it):
    # run the closure again until nothing is left (keys.updates.closed_accounts_finish).
    "finish-account-closures": {"task": "keys.tasks.finish_account_closures", "schedule": 600.0 * SCHEDULE_SCALE},
    # Owners who became irregular at Receita Federal lose their keys (RFB_VALIDATION), once a day.
    "rfb-sweep": {"task": "keys.tasks.rfb_sweep", "schedule": 86400.0 * SCHEDULE_SCALE},
    # The lookups' Redis view of our own keys is written through on commit; every hour it is rebuilt from the
    # database and pruned, so a change no write-through reached (a bulk load, a Redis failover that lost a
    # write) lives an hour at most (keys.own_view). 1M keys: about a minute of a worker's time.
    "own-view-rebuild": {"task": "keys.tasks.own_view_rebuild", "schedule": 3600.0 * SCHEDULE_SCALE},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/Sao_Paulo"
# Pages show times to the second with their UTC offset (dict_project/formats), in TIME_ZONE.
FORMAT_MODULE_PATH = ["dict_project.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request if it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "common.authentication.HolderJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["common.throttling.ClientRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["common.parsers.BoundedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "common.openapi.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "common.http_errors.problem_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "URL_FORMAT_OVERRIDE": None,  # JSON is the only format: ?format=xml would be a 404 nobody documents
    # Proxies of ours in front of the API, each appending to X-Forwarded-For (common.throttling.client_address);
    # with 0 the header is ignored, so a client cannot forge its address.
    "NUM_PROXIES": env_int("TRUSTED_PROXY_COUNT", 0),
}

# The CoreDictService gRPC server (`manage.py grpcserver`): port, thread pool, and TLS when
# both a certificate chain and its private key (PEM files) are given; plaintext otherwise.
GRPC_PORT = env_int("GRPC_PORT", 9090)
# Interfaces the gRPC server and its metrics listen on: loopback, as the web server; containers set 0.0.0.0.
GRPC_BIND = env_host("GRPC_BIND", "127.0.0.1")
METRICS_BIND = env_host("METRICS_BIND", "127.0.0.1")
# django-grpc-framework's convention: one function adds every app's servicers to the server.
GRPC_FRAMEWORK = {"ROOT_HANDLERS_HOOK": "dict_project.grpc.grpc_handlers"}
GRPC_WORKERS = env_int("GRPC_WORKERS", 10)
GRPC_TLS_CERT_FILE = env_str("GRPC_TLS_CERT_FILE")
GRPC_TLS_KEY_FILE = env_str("GRPC_TLS_KEY_FILE")

# Port of the Prometheus /metrics HTTP endpoint the gRPC server exposes.
GRPC_METRICS_PORT = env_int("GRPC_METRICS_PORT", 9091)
# The web's /metrics answers only clients (common.throttling.client_address) in these networks; anyone else
# gets what any unknown path gets (a 404). Loopback by default: set the scraper's network in a deployment.
METRICS_ALLOWED_NETWORKS = env_networks("METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")

# `manage.py serve` prints the demo logins at start; seed_demo, which creates them, owns the list.
DEMO_LOGINS_HOOK = "accounts.management.commands.seed_demo.demo_logins"

# The staff home page (/admin/) lists keys still PENDING or DELETE_PENDING after this many minutes: the
# re-drive (sync_pending, every minute) has not moved them, so a person should look (keys admin's "stuck" filter).
KEYS_STUCK_AFTER_MIN = env_int("KEYS_STUCK_AFTER_MIN", 15)

# Proof of possession of PHONE and EMAIL keys (possession/): the code goes by e-mail through Django's backend and
# by SMS through the adapter POSSESSION_SMS_SENDER names (possession.delivery). The embedded default writes both
# to files under DATA_DIR/outbox (read the code there); elsewhere e-mail is SMTP (Django's EMAIL_* settings) and
# SMS the logging adapter, which delivers nothing (it logs a warning per code) until a gateway's adapter is named.
# No adapter ever logs the code.
POSSESSION_SMS_SENDER = env_str(
    "POSSESSION_SMS_SENDER",
    "possession.delivery.FileSmsSender" if EMBEDDED else "possession.delivery.LoggingSmsSender",
)
POSSESSION_SMS_DIR = Path(env_str("POSSESSION_SMS_DIR", str(DATA_DIR / "outbox" / "sms")))
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend" if EMBEDDED else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(DATA_DIR / "outbox" / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "no-reply@core-dict.invalid")

# Requests per second per client on the whole API (0 turns the limit off).
RATE_LIMIT_RPS = env_int("RATE_LIMIT_RPS", 50)
# django-ratelimit's counters carry the lookup's hash tag: the lookup's one Redis script counts the same
# per-client limit, and on Redis Cluster a script's keys must share a slot (common.redis_client).
RATELIMIT_CACHE_PREFIX = "rl:{lookup}:"
# The lookups' Redis view of our own keys (keys.own_view): rebuilt in the background when found incomplete
# (a fresh or flushed Redis) and at start. Off, lookups read the database until `manage.py own_view_rebuild`.
OWN_VIEW_AUTO_REBUILD = env_bool("OWN_VIEW_AUTO_REBUILD", True)

# Password guessing (see common/throttling.py). django-axes counts failed logins per username
# (token endpoint and admin login alike) in the default cache, so Redis shares the counts
# between processes; at the limit the username is locked for the cool-off, even with the
# right password. Requests to the token endpoints per client address: django-ratelimit's
# syntax ("20/m", "100/15m"; empty turns it off).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out username before any password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 asks for ip_address above; addresses are limited by common.throttling.LoginAddressThrottle instead,
# because one failure limit for every parameter would lock out many customers behind one NAT.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
if EMBEDDED:
    # axes.W001: failures counted in a per-process LocMemCache. True, and fine for the embedded default, which
    # is one process by design (`manage.py serve`). Anywhere else processes must share the counts: it stays.
    SILENCED_SYSTEM_CHECKS.append("axes.W001")
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(seconds=env_int("LOGIN_LOCKOUT_SEC", 900))
AXES_RESET_ON_SUCCESS = True  # the token endpoint tells axes of a success (common.throttling.login_succeeded)
AXES_CLIENT_IP_CALLABLE = "common.throttling.client_address"  # the login throttle's address, trusted proxies alike
AXES_ENABLE_ADMIN = False  # its tables stay empty with the cache handler, and would show login names unmasked
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address"]  # axes' own log lines: a login name may be a CPF
LOGIN_RATE_PER_ADDRESS = env_str("LOGIN_RATE_PER_ADDRESS", "20/m")

# Lookups (DICT_RULES §6). Directory answers about legal persons are cached at most 180 s
# (the code caps it); natural persons' answers never are. DICT assigns the PSP's category
# (A-H). The payer buckets default to DICT's own numbers: ours must be equal or stricter, so
# raise them only for benchmarks.
LOOKUP_CACHE_TTL_LEGAL_SEC = env_int("LOOKUP_CACHE_TTL_LEGAL_SEC", 180)
LOOKUP_PSP_CATEGORY = env_str("LOOKUP_PSP_CATEGORY", "E").upper()
LOOKUP_PAYER_NATURAL_CAPACITY = env_int("LOOKUP_PAYER_NATURAL_CAPACITY", 100)
LOOKUP_PAYER_NATURAL_REFILL_PER_MIN = env_int("LOOKUP_PAYER_NATURAL_REFILL_PER_MIN", 2)
LOOKUP_PAYER_LEGAL_CAPACITY = env_int("LOOKUP_PAYER_LEGAL_CAPACITY", 1000)
LOOKUP_PAYER_LEGAL_REFILL_PER_MIN = env_int("LOOKUP_PAYER_LEGAL_REFILL_PER_MIN", 20)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env_int("JWT_ACCESS_TTL_SEC", 900)),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=env_int("JWT_REFRESH_TTL_SEC", 86400)),
    "ALGORITHM": "HS256",
    "SIGNING_KEY": strong_key("JWT_SECRET_KEY", env_str("JWT_SECRET_KEY") or SECRET_KEY),
    "ISSUER": env_str("JWT_ISSUER", "core-dict"),
    "AUDIENCE": env_str("JWT_AUDIENCE", "core-dict-api"),
    "LEEWAY": 0,
    "UPDATE_LAST_LOGIN": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Core DICT API",
    "DESCRIPTION": "A PSP's PIX keys against BCB's DICT: entries, claims and lookups.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Two fields share each of these choice sets: one name for each (drf-spectacular warns otherwise).
    "ENUM_NAME_OVERRIDES": {
        "ClaimReasonEnum": "dict_rules.claims.ClaimReason",
        "ClaimRoleEnum": "dict_rules.claims.Role",
        "KeyTypeEnum": "dict_rules.keys.KeyType",
        "PossessionKeyTypeEnum": ["EMAIL", "PHONE"],  # the key types whose possession a code proves
        "UpdateReasonEnum": "dict_rules.keys.UpdateReason",
    },
    # Swagger UI from drf-spectacular-sidecar's static files: /api/docs/ needs no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOG_FORMAT = env_str("LOG_FORMAT", "text").lower()
# One configuration for every process (common.logging.logging_config): gunicorn is handed it as
# its logconfig_dict (dict_project/gunicorn_conf.py, `serve`), Celery's worker and beat keep it
# (dict_project/celery.py); JSON lines when LOG_FORMAT=json, PII masked either way.
LOGGING_CONFIG = "common.logging.configure"
LOGGING = logging_config(level=LOG_LEVEL, fmt=LOG_FORMAT)
