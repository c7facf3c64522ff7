"""Claims between two PSPs (ISPB A and B) and one directory whose clock the test advances.

Real processes: run_dictsim and two gunicorn instances. The beat jobs are run as their
management commands (claims_poll, claims_sweep --now <directory time>), one call per beat cycle.
"""

import time
import uuid
from base64 import b32decode
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import parse_qs, urlparse

import pytest
from django_otp.oath import totp

from tests.e2e_support import Directory, Instance, call, manage, two_psps

pytestmark = pytest.mark.e2e

ISPB_A, ISPB_B = "33333333", "44444444"


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[Directory, Instance, Instance]]:
    with two_psps(ISPB_A, ISPB_B, redis_db=3) as running_world:
        yield running_world


def directory_now(directory: Directory) -> datetime:
    out = manage(directory.env, "dictsim_clock").stdout
    return datetime.fromisoformat(out.split()[2])


def advance(directory: Directory, span: str) -> datetime:
    manage(directory.env, "dictsim_clock", "--advance", span)
    return directory_now(directory)


def beat(instance: Instance, now: datetime | None = None) -> None:
    """One beat cycle of the instance: poll DICT, then the deadline sweep."""
    manage(instance.env, "claims_poll")
    manage(instance.env, "claims_sweep", *(["--now", now.isoformat()] if now else []))


class Totp:
    """A customer's authenticator app: enrols once, then yields codes (next time step each use)."""

    def __init__(self, instance: Instance, token: str) -> None:
        status, body = call("POST", f"{instance.base}/api/v1/otp/totp/", {}, token)
        assert status == 201, body
        secret = parse_qs(urlparse(body["config_url"]).query)["secret"][0]
        self.key = b32decode(secret + "=" * (-len(secret) % 8))
        self.drift = 0
        status, body = call("POST", f"{instance.base}/api/v1/otp/totp/confirm/", {"otp": self.code()}, token)
        assert status == 204, body

    def code(self) -> str:
        """A code not used before: django-otp refuses a code twice, so each use takes the next step."""
        value = totp(self.key, drift=self.drift)
        self.drift += 1
        return f"{value:06d}"


def start(instance: Instance, token: str, path: str, key_type: str, key: str) -> dict:
    account_id = call("GET", f"{instance.base}/api/v1/accounts/", token=token)[1]["results"][0]["id"]
    body = {"account_id": account_id, "key_type": key_type, "key": key, "request_id": str(uuid.uuid4())}
    status, claim = call("POST", f"{instance.base}/api/v1/{path}/", body, token)
    assert status == 201, claim
    return claim


def incoming(instance: Instance, token: str, key: str) -> dict:
    claims = call("GET", f"{instance.base}/api/v1/claims/incoming/", token=token)[1]["results"]
    return next(c for c in claims if c["key"] == key)


def claim(instance: Instance, token: str, claim_id: str) -> dict:
    return call("GET", f"{instance.base}/api/v1/claims/{claim_id}/", token=token)[1]


def keys(instance: Instance, token: str, key: str) -> list[str]:
    return [
        k["status"]
        for k in call("GET", f"{instance.base}/api/v1/keys/", token=token)[1]["results"]
        if k["key_value"] == key
    ]


def test_a_portability_confirmed_by_the_donors_customer_completes(world) -> None:
    _, a, b = world
    alice_a, alice_b = a.token("alice"), b.token("alice")
    a.create(alice_a, "EMAIL", "alice.moves@example.com")
    outgoing = start(b, alice_b, "portabilities", "EMAIL", "alice.moves@example.com")
    assert outgoing["status"] == "OPEN"
    beat(a)  # one beat cycle at A acknowledges the incoming claim
    donor_side = incoming(a, alice_a, "alice.moves@example.com")
    assert donor_side["status"] == "WAITING_RESOLUTION"
    app = Totp(a, alice_a)
    url = f"{a.base}/api/v1/portabilities/{donor_side['id']}/confirm/"
    refused = call("POST", url, {"otp": "000000"}, alice_a)
    assert (refused[0], refused[1]["code"]) == (403, "SecondFactorInvalid")
    assert claim(a, alice_a, donor_side["id"])["status"] == "WAITING_RESOLUTION"
    time.sleep(1.1)  # django-otp throttles the device for a second after a wrong code
    status, confirmed = call("POST", url, {"otp": app.code()}, alice_a)
    assert (status, confirmed["status"]) == (200, "CONFIRMED")
    beat(b)  # B sees the confirmation and completes
    assert claim(b, alice_b, outgoing["id"])["status"] == "COMPLETED"
    assert keys(b, alice_b, "alice.moves@example.com") == ["ACTIVE"]
    assert keys(a, alice_a, "alice.moves@example.com") == ["DELETED"]


def test_an_unanswered_portability_is_cancelled_by_the_donor_after_seven_days(world) -> None:
    directory, a, b = world
    acme_a, acme_b = a.token("acme"), b.token("acme")
    a.create(acme_a, "EMAIL", "financeiro@acme.example.com")
    outgoing = start(b, acme_b, "portabilities", "EMAIL", "financeiro@acme.example.com")
    beat(a)
    later = advance(directory, "7d")
    beat(a, later)  # the resolution period is over: the donor must cancel
    beat(b, later)
    cancelled = claim(b, acme_b, outgoing["id"])
    assert (cancelled["status"], cancelled["cancel_reason"], cancelled["cancelled_by"]) == (
        "CANCELLED",
        "DEFAULT_OPERATION",
        "DONOR",
    )
    assert keys(a, acme_a, "financeiro@acme.example.com") == ["ACTIVE"]


def test_an_unanswered_ownership_claim_is_confirmed_at_day_7_and_completed_after_day_14(world) -> None:
    directory, a, b = world
    alice_a, bob_b = a.token("alice"), b.token("bob")
    a.create(alice_a, "PHONE", "+5511991110001")
    outgoing = start(b, bob_b, "claims", "PHONE", "+5511991110001")
    beat(a)
    assert incoming(a, alice_a, "+5511991110001")["status"] == "WAITING_RESOLUTION"
    day7 = advance(directory, "7d")
    beat(a, day7)  # the donor confirms by default and drops its entry
    assert keys(a, alice_a, "+5511991110001") == ["DELETED"]
    beat(b, day7)  # confirmed, but the completion period (days 8-14) is still running
    assert claim(b, bob_b, outgoing["id"])["status"] == "CONFIRMED"
    day14 = advance(directory, "7d")
    beat(b, day14)
    assert claim(b, bob_b, outgoing["id"])["status"] == "COMPLETED"
    assert keys(b, bob_b, "+5511991110001") == ["ACTIVE"]


def test_a_claimer_that_never_completes_cancels_at_day_30(world) -> None:
    directory, a, b = world
    acme_a, bob_b = a.token("acme"), b.token("bob")
    a.create(acme_a, "PHONE", "+5511991110002")
    outgoing = start(b, bob_b, "claims", "PHONE", "+5511991110002")
    beat(a)
    day30 = advance(directory, "30d")
    beat(b, day30)  # B's beat never ran in between: at day 30 the claimer must give up
    cancelled = claim(b, bob_b, outgoing["id"])
    assert (cancelled["status"], cancelled["cancel_reason"], cancelled["cancelled_by"]) == (
        "CANCELLED",
        "DEFAULT_OPERATION",
        "CLAIMER",
    )


def test_illegal_moves_are_refused_with_dicts_codes(world) -> None:
    _, a, b = world
    alice_a, bob_b = a.token("alice"), b.token("bob")
    evp = a.create(alice_a, "EVP")["key_value"]
    account_id = call("GET", f"{b.base}/api/v1/accounts/", token=bob_b)[1]["results"][0]["id"]
    body = {"account_id": account_id, "key_type": "EVP", "key": evp, "request_id": str(uuid.uuid4())}
    status, problem = call("POST", f"{b.base}/api/v1/portabilities/", body, bob_b)
    assert (status, problem["code"]) == (400, "ClaimInvalid")
    body = {"account_id": account_id, "key_type": "EMAIL", "key": "nobody@example.com", "request_id": str(uuid.uuid4())}
    status, problem = call("POST", f"{b.base}/api/v1/portabilities/", body, bob_b)
    assert (status, problem["code"]) == (404, "ClaimKeyNotFound")
