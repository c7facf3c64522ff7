"""Edges of the login and input hardening: strict token bodies (a newline in a looked-up key is in
test_input_edges), a silent database at connect, axes' failures cleared by a token login, and trusted proxies."""

import threading
from collections.abc import Iterator

import pytest
from axes.helpers import get_client_ip_address
from django.db import OperationalError, connections
from django.test import RequestFactory
from rest_framework.test import APIClient

from common.throttling import client_address
from tests.test_connect_frozen import FrozenDirectory
from tests.test_input_edges import assert_problem
from tests.test_login_throttle import TOKEN, login

pytestmark = pytest.mark.django_db

REFRESH = "/api/v1/auth/token/refresh/"
WATCHDOG_SEC = 60  # only so that a hang fails the test instead of the run; never a measure of speed


# --- 1. the token endpoints read their body strictly ---------------------------------------------


def test_the_password_grant_refuses_unknown_fields_by_name(make_user) -> None:
    make_user("lena", password="lena-Secret-1")
    body = {"username": "lena", "password": "lena-Secret-1", "scope": "admin", "otp": "1"}
    response = APIClient().post(TOKEN, body, format="json")
    problem = assert_problem(response, 400, "BadRequest")
    assert [e["field"] for e in problem["errors"]] == ["otp", "scope"]


def test_a_refresh_refuses_unknown_fields_by_name(make_user) -> None:
    make_user("mia", password="mia-Secret-1")
    refresh = login("mia", "mia-Secret-1").json()["refresh"]
    response = APIClient().post(REFRESH, {"refresh": refresh, "access": "x", "lifetime": 9}, format="json")
    problem = assert_problem(response, 400, "BadRequest")
    assert [e["field"] for e in problem["errors"]] == ["access", "lifetime"]
    assert APIClient().post(REFRESH, {"refresh": refresh}, format="json").status_code == 200


# --- 3. a database that takes the connection and never answers ------------------------------------


@pytest.fixture
def silent_database() -> Iterator[FrozenDirectory]:
    server = FrozenDirectory()  # accepts on 127.0.0.1 and never reads or writes
    yield server
    server.close()


def test_connecting_to_a_silent_database_fails_with_operational_error(silent_database) -> None:
    configured = connections["default"].settings_dict
    assert configured["OPTIONS"]["connect_timeout"] > 0
    wrapper = connections["default"].__class__(
        {**configured, "HOST": "127.0.0.1", "PORT": str(silent_database.port)}, alias="silent"
    )
    outcome: list[BaseException | None] = []

    def connect() -> None:
        try:
            wrapper.ensure_connection()
            outcome.append(None)
        except BaseException as error:  # noqa: BLE001 - judged by the test
            outcome.append(error)

    attempt = threading.Thread(target=connect, daemon=True)
    attempt.start()
    attempt.join(WATCHDOG_SEC)
    hung = attempt.is_alive()
    silent_database.close()  # hung or not, a closed socket releases the attempt
    attempt.join(WATCHDOG_SEC)
    assert not hung, "the connection attempt never gave up"
    assert len(outcome) == 1 and isinstance(outcome[0], OperationalError)


# --- 4. a successful token login clears the username's failures -----------------------------------


def test_a_successful_login_clears_the_failures_before_it(make_user, settings) -> None:
    settings.LOGIN_RATE_PER_ADDRESS = ""  # only the username's failures here
    make_user("nora", password="nora-Secret-1")
    below_limit = settings.AXES_FAILURE_LIMIT - 1
    assert [login("nora", f"guess-{n}").status_code for n in range(below_limit)] == [401] * below_limit
    assert login("nora", "nora-Secret-1").status_code == 200
    assert [login("nora", f"again-{n}").status_code for n in range(below_limit)] == [401] * below_limit
    assert login("nora", "nora-Secret-1").status_code == 200


# --- 5. X-Forwarded-For only from trusted proxies -------------------------------------------------


def login_via(forwarded_for: str, remote: str = "10.0.0.1"):
    body = {"username": "nobody", "password": "guess"}
    return APIClient(REMOTE_ADDR=remote).post(TOKEN, body, format="json", HTTP_X_FORWARDED_FOR=forwarded_for)


def test_without_trusted_proxies_a_forged_forwarded_for_does_not_escape_the_address_limit(settings) -> None:
    settings.LOGIN_RATE_PER_ADDRESS = "3/d"  # a day: no window rolls over mid-test
    statuses = [login_via(f"198.51.100.{n}").status_code for n in range(5)]
    assert statuses == [401, 401, 401, 429, 429]


def test_behind_one_trusted_proxy_the_right_most_forwarded_address_is_the_client(settings) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    settings.LOGIN_RATE_PER_ADDRESS = "2/d"
    # All through the proxy 10.0.0.1; the client writes what it likes left of what the proxy appends.
    statuses = [login_via(f"198.51.100.{n}, 203.0.113.5").status_code for n in range(3)]
    assert statuses == [401, 401, 429]
    assert login_via("203.0.113.5, 203.0.113.6").status_code == 401  # another client behind the proxy


@pytest.mark.parametrize(("proxies", "expected"), [(0, "10.0.0.1"), (1, "203.0.113.5"), (2, "198.51.100.7")])
def test_axes_reads_the_same_client_address_as_the_throttle(proxies, expected, settings) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    request = RequestFactory().post(
        TOKEN, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.7, 203.0.113.5"
    )
    assert client_address(request) == expected
    assert get_client_ip_address(request) == expected
