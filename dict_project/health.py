"""Liveness and readiness probes (no authentication, no PII)."""

import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse

from connect.client import connect_state

logger = logging.getLogger(__name__)


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


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    cache.set("readyz", "1", timeout=5)
    if cache.get("readyz") != "1":
        raise RuntimeError("cache did not return what was written")


def readyz(request: HttpRequest) -> JsonResponse:
    """The database and the cache answer; 503 otherwise, so a balancer stops routing here.

    The Connect breaker's state is reported but does not make us unready: with the directory
    down we still take requests, and registrations wait as PENDING.
    """
    checks = {"database": _check("database", _database), "cache": _check("cache", _cache)}
    ready = all(v == "ok" for v in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks, "connect": connect_state()}
    return JsonResponse(body, status=200 if ready else 503)
