"""The per-client request limit (RATE_LIMIT_RPS) answers 429 problem+json with Retry-After."""

import time

import pytest

pytestmark = pytest.mark.django_db


def test_a_client_over_its_rate_gets_429_and_others_do_not(make_user, client_for, settings) -> None:
    settings.RATE_LIMIT_RPS = 2
    greedy = client_for(make_user())
    started = time.time()
    statuses = [greedy.get("/api/v1/accounts/").status_code for _ in range(10)]
    # At most two calls get through per one-second window the ten calls touch (a loaded machine may
    # spread them over more than two windows).
    windows = int(time.time()) - int(started) + 1
    assert statuses.count(200) <= 2 * windows
    assert set(statuses) == {200, 429}
    refused = next(r for r in (greedy.get("/api/v1/accounts/") for _ in range(10)) if r.status_code == 429)
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "RateLimited"
    assert 1 <= int(refused["Retry-After"]) <= 2
    assert client_for(make_user()).get("/api/v1/accounts/").status_code == 200


def test_zero_turns_the_limit_off(make_user, client_for, settings) -> None:
    settings.RATE_LIMIT_RPS = 0
    client = client_for(make_user())
    assert {client.get("/api/v1/accounts/").status_code for _ in range(30)} == {200}
