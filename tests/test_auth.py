"""JWT: tokens come from the token endpoint and are checked for signature, issuer, audience and expiry."""

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.factories import token_for

pytestmark = pytest.mark.django_db


def get_accounts(token: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get("/api/v1/accounts/")


def test_password_grant_issues_tokens_carrying_issuer_and_audience(make_user) -> None:
    make_user("carol", password="carol-Secret-1")
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "carol", "password": "carol-Secret-1"}, format="json"
    )
    assert response.status_code == 200
    claims = jwt.decode(
        response.json()["access"],
        settings.SIMPLE_JWT["SIGNING_KEY"],
        algorithms=["HS256"],
        audience=settings.SIMPLE_JWT["AUDIENCE"],
        issuer=settings.SIMPLE_JWT["ISSUER"],
    )
    assert claims["token_type"] == "access"
    assert get_accounts(response.json()["access"]).status_code == 200
    refreshed = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": response.json()["refresh"]}, format="json")
    assert refreshed.status_code == 200
    assert get_accounts(refreshed.json()["access"]).status_code == 200


def test_wrong_password_is_401_problem(make_user) -> None:
    make_user("dave", password="dave-Secret-1")
    response = APIClient().post("/api/v1/auth/token/", {"username": "dave", "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "Unauthorized"


def test_a_well_formed_token_is_accepted(make_user) -> None:
    assert get_accounts(token_for(make_user())).status_code == 200


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": "someone-else"},
        {"aud": "another-api"},
        {"iss": None},
        {"aud": None},
        {"exp": datetime.now(UTC) - timedelta(seconds=1)},
        {"token_type": "refresh"},
    ],
    ids=["wrong-issuer", "wrong-audience", "no-issuer", "no-audience", "expired", "refresh-as-access"],
)
def test_tokens_with_bad_claims_are_refused(make_user, overrides: dict) -> None:
    response = get_accounts(token_for(make_user(), **overrides))
    assert response.status_code == 401
    assert response.json()["code"] == "Unauthorized"


def test_a_token_signed_with_another_key_is_refused(make_user) -> None:
    assert get_accounts(token_for(make_user(), key="not-the-secret-" * 3)).status_code == 401
