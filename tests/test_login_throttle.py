"""Password guessing on the token endpoints: per-username lockout (django-axes) and per-address rate."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"


def login(username: str, password: str, address: str = "10.0.0.1"):
    return APIClient(REMOTE_ADDR=address).post(TOKEN, {"username": username, "password": password}, format="json")


def assert_rate_limited(response, *, at_least: int, at_most: int) -> None:
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "RateLimited"
    assert at_least <= int(response["Retry-After"]) <= at_most


def test_wrong_passwords_lock_the_username_even_against_the_right_one(make_user, settings) -> None:
    settings.LOGIN_RATE_PER_ADDRESS = ""  # only the username's lockout here
    make_user("erin", password="erin-Secret-1")
    make_user("frank", password="frank-Secret-1")
    # Each guess from another address: the address limit plays no part.
    statuses = [login("erin", f"guess-{n}", f"10.1.0.{n}").status_code for n in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses == [401] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert_rate_limited(login("erin", "erin-Secret-1", "10.2.0.1"), at_least=890, at_most=901)
    # A different username from another address still gets its token.
    assert login("frank", "frank-Secret-1", "10.3.0.1").status_code == 200


def test_one_address_is_limited_on_the_password_grant_and_a_good_login_below_it_works(make_user, settings) -> None:
    settings.LOGIN_RATE_PER_ADDRESS = "6/h"  # an hour: no window rolls over mid-test
    make_user("gina", password="gina-Secret-1")
    ok = login("gina", "gina-Secret-1", "10.9.9.9")
    assert ok.status_code == 200
    # Guesses on many usernames (each below its own lockout) from one address.
    statuses = [login(f"victim-{n}", "guess", "10.9.9.9").status_code for n in range(4)]
    assert statuses == [401] * 4
    assert login("gina", "gina-Secret-1", "10.9.9.9").status_code == 200  # the sixth of the hour
    assert_rate_limited(login("gina", "gina-Secret-1", "10.9.9.9"), at_least=1, at_most=3601)
    # Another address is not affected.
    assert login("gina", "gina-Secret-1", "10.8.8.8").status_code == 200


def test_a_refresh_is_not_counted_against_the_login_budget(make_user, settings) -> None:
    """A refresh is checked by its signature, not guessed: the address's login limit does not apply."""
    settings.LOGIN_RATE_PER_ADDRESS = "2/h"
    make_user("ivy", password="ivy-Secret-1")
    ok = login("ivy", "ivy-Secret-1", "10.7.7.7")
    assert ok.status_code == 200
    refreshes = [
        APIClient(REMOTE_ADDR="10.7.7.7").post(REFRESH, {"refresh": ok.json()["refresh"]}, format="json").status_code
        for _ in range(3)
    ]
    assert refreshes == [200] * 3
    assert login("ivy", "ivy-Secret-1", "10.7.7.7").status_code == 200  # the second login of the hour
    assert_rate_limited(login("ivy", "ivy-Secret-1", "10.7.7.7"), at_least=1, at_most=3601)
    refused_login_address = APIClient(REMOTE_ADDR="10.7.7.7")
    assert refused_login_address.post(REFRESH, {"refresh": ok.json()["refresh"]}, format="json").status_code == 200


def test_defaults_stop_150_guesses(make_user, settings) -> None:
    make_user("hank", password="hank-Secret-1")
    statuses = [login("hank", f"guess-{n}").status_code for n in range(150)]
    assert statuses.count(401) == settings.AXES_FAILURE_LIMIT - 1
    assert set(statuses[settings.AXES_FAILURE_LIMIT - 1 :]) == {429}
