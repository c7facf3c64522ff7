"""Probes: /healthz says the process lives; /readyz checks the real database and Redis."""

import pytest
from django.core.cache import cache

from common import health


@pytest.mark.django_db
def test_healthz_and_readyz_answer_without_a_token(client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}, "connect": "in-process"}


@pytest.mark.django_db
def test_readyz_is_503_when_the_cache_is_unreachable(client, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(cache, "set", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "unavailable"}


@pytest.mark.django_db
def test_readyz_reports_unknown_when_the_directory_reporter_fails(client, monkeypatch) -> None:
    def failing() -> str:
        raise RuntimeError("reporter broken")

    monkeypatch.setattr(health, "_directory_state", failing)
    response = client.get("/readyz")  # before: the error escaped: a 500, and the gRPC health watcher died
    assert (response.status_code, response.json()["connect"]) == (200, "unknown")
    assert health.readiness().connect == "unknown"
