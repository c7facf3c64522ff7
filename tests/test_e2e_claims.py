"""Claims between two PSPs (ISPB A and B) and one directory whose clock the test advances.

Real processes: run_dictsim and two gunicorn instances. The beat jobs are run as their
management commands (claims_poll, claims_sweep --now <directory time>), one call per beat cycle.
"""

import time
import uuid
from base64 import b32decode
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import parse_qs, quote, urlparse

import pytest
from django_otp.oath import totp

from tests.e2e_support import Directory, Instance, call, manage, two_psps

pytestmark = pytest.mark.e2e

ISPB_A, ISPB_B = "33333333", "44444444"
BOB_CPF = "39053344705"  # seed_demo's


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


def test_an_ownership_claim_cannot_complete_without_the_claimers_proof(world) -> None:
    """Confirmed by default at day 7; after day 14 DICT would let B complete, but B's customer never proved
    possession of the phone (DICT_RULES §4.4): B's beat waits instead of completing, and at day 30 B cancels.
    (Completing with a proof is tests/test_claims_flow.py's: the customer's API runs on B's clock, which this
    test cannot advance as it advances the directory's.)"""
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
    day15 = advance(directory, "8d")
    beat(b, day15)
    assert claim(b, bob_b, outgoing["id"])["status"] == "CONFIRMED"  # no proof: not completed
    assert keys(b, bob_b, "+5511991110001") == []
    day30 = advance(directory, "15d")
    beat(b, day30)
    cancelled = claim(b, bob_b, outgoing["id"])
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("CANCELLED", "DEFAULT_OPERATION")
    assert keys(b, bob_b, "+5511991110001") == []


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


def test_a_fraud_cancel_in_days_8_to_14_leaves_the_old_holder_with_an_active_key(world) -> None:
    """Confirmed by default at day 7 (A's key deleted); at day 9 A's customer proves possession (the code sent
    to the phone; its TOTP code authenticates it): A cancels with FRAUD and registers the key again at once,
    which DICT keeps for A meanwhile (dict_rules.claims.is_win_back)."""
    directory, a, b = world
    acme_a, bob_b = a.token("acme"), b.token("bob")
    phone = "+5511991110003"
    a.create(acme_a, "PHONE", phone)
    outgoing = start(b, bob_b, "claims", "PHONE", phone)
    beat(a)
    beat(a, advance(directory, "7d"))  # the donor confirms by default and drops its entry
    assert keys(a, acme_a, phone) == ["DELETED"]
    beat(b, advance(directory, "2d"))  # day 9: B sees the confirmation and waits for day 14
    assert claim(b, bob_b, outgoing["id"])["status"] == "CONFIRMED"
    app = Totp(a, acme_a)
    donor_side = incoming(a, acme_a, phone)
    url = f"{a.base}/api/v1/claims/{donor_side['id']}/respond/"
    proof = a.prove(acme_a, "PHONE", phone)
    status, won = call("POST", url, {"decision": "reject", "otp": app.code(), "possession_challenge_id": proof}, acme_a)
    assert (status, won["status"], won["cancel_reason"], won["cancelled_by"]) == (200, "CANCELLED", "FRAUD", "DONOR")
    assert keys(a, acme_a, phone) == ["ACTIVE", "DELETED"]  # the key is back, newest first
    beat(b, advance(directory, "6d"))  # past day 14: nothing for B to complete
    assert claim(b, bob_b, outgoing["id"])["status"] == "CANCELLED"
    status, found = call("GET", f"{b.base}/api/v1/lookup/{quote(phone)}/", token=bob_b)
    assert (status, found["ispb"]) == (200, ISPB_A)


def test_a_suspended_cpf_can_neither_register_nor_claim_and_the_batch_job_deletes_its_keys(world) -> None:
    """A's registry (the simulated one, set with rfb_simulate) says bob's CPF is suspended; B's does not."""
    _, a, b = world
    bob_a, bob_b, alice_b = a.token("bob"), b.token("bob"), b.token("alice")
    kept_at_a = a.create(bob_a, "EVP")
    b.create(bob_b, "CPF", BOB_CPF)
    b.create(alice_b, "PHONE", alices_phone := "+5511991110004")
    manage(a.env, "rfb_simulate", BOB_CPF, "--status", "SUSPENDED")
    account_id = call("GET", f"{a.base}/api/v1/accounts/", token=bob_a)[1]["results"][0]["id"]
    attempts = {
        "keys": {"account_id": account_id, "key_type": "EVP"},
        "portabilities": {"account_id": account_id, "key_type": "CPF", "key": BOB_CPF},
        "claims": {"account_id": account_id, "key": alices_phone},
    }
    for path, body in attempts.items():
        status, problem = call("POST", f"{a.base}/api/v1/{path}/", body | {"request_id": str(uuid.uuid4())}, bob_a)
        assert (status, problem["code"]) == (422, "OwnerTaxIdIrregular"), path

    swept = manage(a.env, "rfb_sweep").stdout
    assert "nonconforming: 1" in swept and "deletions_requested: 1" in swept

    deleted = a.key(bob_a, kept_at_a["id"])
    assert (deleted["status"], deleted["delete_reason"]) == ("DELETED", "RFB_VALIDATION")
    assert keys(b, bob_b, BOB_CPF) == ["ACTIVE"]  # B's registry has nothing against bob
    assert "nonconforming" not in manage(a.env, "rfb_sweep").stdout  # nothing left to delete
    manage(a.env, "rfb_simulate", BOB_CPF, "--clear")
