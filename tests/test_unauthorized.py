"""Every REST authentication failure is a readable 401: problem+json, one plain sentence, RFC 6750's challenge."""

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from common import authentication
from tests.factories import token_for

pytestmark = pytest.mark.django_db

REALM = 'Bearer realm="api"'


def refused(reason: str) -> str:
    return f'{REALM}, error="invalid_token", error_description="{reason}"'


def assert_readable_401(response, detail: str, challenge: str) -> None:
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == challenge
    body = response.json()
    assert body["detail"] == detail
    assert body["code"] == "Unauthorized"
    assert "ErrorDetail" not in response.content.decode() and "{" not in body["detail"]


def accounts(authorization: str | None):
    client = APIClient()
    if authorization is not None:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    return client.get("/api/v1/accounts/")


def forged(user) -> str:
    return token_for(user, key="not-the-secret-" * 3)


@pytest.mark.parametrize("authorization", [None, "Basic YWxpY2U6cHc=", ""], ids=["none", "basic", "empty"])
def test_no_bearer_token_gets_the_bare_challenge(authorization) -> None:
    assert_readable_401(accounts(authorization), "Authentication credentials were not provided.", REALM)


@pytest.mark.parametrize("authorization", ["Bearer", "Bearer two tokens"], ids=["no-token", "two-tokens"])
def test_a_malformed_bearer_header_is_refused_plainly(authorization) -> None:
    assert_readable_401(accounts(authorization), authentication.MALFORMED, refused(authentication.MALFORMED))


@pytest.mark.parametrize(
    "make_token, detail",
    [
        (lambda user: token_for(user, exp=datetime.now(UTC) - timedelta(seconds=1)), authentication.EXPIRED),
        (forged, authentication.INVALID),
        (lambda user: token_for(user, aud="another-api"), authentication.INVALID),
        (lambda user: token_for(user, iss="someone-else"), authentication.INVALID),
        (lambda user: str(RefreshToken.for_user(user)), authentication.INVALID),
        (lambda user: "not-a-jwt", authentication.INVALID),
        (lambda user: token_for(user, user_id=None), authentication.INVALID),
    ],
    ids=["expired", "forged", "wrong-audience", "wrong-issuer", "refresh-as-access", "garbage", "no-user-id"],
)
def test_a_refused_token_says_why_in_the_body_and_the_challenge(make_user, make_token, detail: str) -> None:
    response = accounts(f"Bearer {make_token(make_user())}")
    assert_readable_401(response, detail, refused(detail))


def test_the_token_of_an_inactive_user_is_refused(make_user) -> None:
    user = make_user()
    token = token_for(user)
    user.is_active = False
    user.save()
    assert_readable_401(accounts(f"Bearer {token}"), authentication.NO_USER, refused(authentication.NO_USER))


def test_the_token_endpoints_refuse_bad_credentials_readably(make_user) -> None:
    make_user("erin", password="erin-Secret-1")
    client = APIClient()
    wrong_password = client.post("/api/v1/auth/token/", {"username": "erin", "password": "nope"}, format="json")
    assert_readable_401(wrong_password, "No active account found with the given credentials", REALM)
    bad_refresh = client.post("/api/v1/auth/token/refresh/", {"refresh": "not-a-jwt"}, format="json")
    assert_readable_401(bad_refresh, "Token is invalid", REALM)
