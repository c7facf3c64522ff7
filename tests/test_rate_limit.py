"""The per-client request limit (RATE_LIMIT_RPS) answers 429 problem+json with Retry-After."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_client_over_its_rate_gets_429_and_others_do_not(make_user, client_for, settings) -> None:
    settings.RATE_LIMIT_RPS = 2
    greedy = client_for(make_user())
    statuses = [greedy.get("/api/v1/accounts/").status_code for _ in range(10)]
    # Ten calls cross at most two one-second windows, so at most four get through.
    assert statuses.count(200) <= 4
    assert statuses.count(429) >= 6
    assert set(statuses) == {200, 429}
    refused = greedy.get("/api/v1/accounts/")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "RateLimited"
    assert 1 <= int(refused["Retry-After"]) <= 2
    assert client_for(make_user()).get("/api/v1/accounts/").status_code == 200


def test_zero_turns_the_limit_off(make_user, client_for, settings) -> None:
    settings.RATE_LIMIT_RPS = 0
    client = client_for(make_user())
    assert {client.get("/api/v1/accounts/").status_code for _ in range(30)} == {200}
