"""Liveness and readiness probes (no authentication, no PII).

The kernel imports no app, so the directory's state is reported through a hook: the connect app
registers its reporter when Django starts (``register_directory_state``). So is the event broker's
(Pulsar), by the events app and only when the outbox relay is configured (``register_event_broker_state``).

``ProbeMiddleware``, first in MIDDLEWARE, answers them before Django checks the Host header or
redirects to HTTPS: an orchestrator probes the pod's own address over plain HTTP (kubelet sends the
pod IP as Host), which is neither an allowed host nor HTTPS. Every other path keeps both checks.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

_directory_state: Callable[[], str] = lambda: "unknown"  # noqa: E731


def register_directory_state(reporter: Callable[[], str]) -> None:
    """Name the function that tells the directory's state (the Connect breaker's), for the probes."""
    global _directory_state
    _directory_state = reporter


_event_broker_state: Callable[[], str] | None = None  # None: no relay configured, nothing to report


def register_event_broker_state(reporter: Callable[[], str]) -> None:
    """Name the function that tells whether the event broker answers (cheap and bounded), for the probes."""
    global _event_broker_state
    _event_broker_state = reporter


def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving."""
    return JsonResponse({"status": "ok"})


def _check(name: str, probe) -> str:
    try:
        probe()
        return "ok"
    except Exception:  # any failure means not ready; the reason goes to the log only
        logger.warning("readiness check %s failed", name, exc_info=True)
        return "unavailable"


READY_DB_TIMEOUT_MS = 1000  # a probe must answer well within the orchestrator's own timeout


def _database() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # a hung database fails the probe instead of holding it
            cursor.execute(f"SET LOCAL statement_timeout = {READY_DB_TIMEOUT_MS}")
        cursor.execute("SELECT 1")


def _cache() -> None:
    cache.set("readyz", "1", timeout=5)
    if cache.get("readyz") != "1":
        raise RuntimeError("cache did not return what was written")


@dataclass(frozen=True)
class Readiness:
    """The probes' answers, shared by REST's /readyz and the gRPC health services."""

    database: str
    cache: str
    connect: str
    pulsar: str | None = None  # only when the relay is configured

    @property
    def ready(self) -> bool:
        return self.database == "ok" and self.cache == "ok"


def readiness() -> Readiness:
    """Ask the database and the cache; the Connect breaker's state and Pulsar's are reported, never required.

    With the directory down we still take requests, and registrations wait as PENDING; with Pulsar
    down, events wait in the table until the relay can publish them.
    """
    return Readiness(
        database=_check("database", _database),
        cache=_check("cache", _cache),
        connect=_reported("directory", _directory_state),
        pulsar=_reported("event broker", _event_broker_state) if _event_broker_state else None,
    )


def _reported(what: str, reporter: Callable[[], str]) -> str:
    """The reporter's answer; "unknown" if it fails (a probe, or the gRPC health watcher, must not die of it)."""
    try:
        return reporter()
    except Exception:
        logger.warning("the %s state reporter failed", what, exc_info=True)
        return "unknown"


def readyz(request: HttpRequest) -> JsonResponse:
    """The database and the cache answer; 503 otherwise, so a balancer stops routing here."""
    state = readiness()
    body = {
        "status": "ok" if state.ready else "unavailable",
        "checks": {"database": state.database, "cache": state.cache},
        "connect": state.connect,
    }
    if state.pulsar is not None:
        body["pulsar"] = state.pulsar
    return JsonResponse(body, status=200 if state.ready else 503)


PROBES: dict[str, Callable[[HttpRequest], JsonResponse]] = {"/healthz": healthz, "/readyz": readyz}


class ProbeMiddleware:
    """Serve the probes' paths at once, whatever the Host; pass everything else on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        return probe(request) if probe else self.get_response(request)
