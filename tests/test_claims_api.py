"""Claims and portabilities over REST: start, lists (order, pages, filters), status, respond and
cancel behind a TOTP second factor, enrolment, visibility, errors as problem+json."""

import uuid
from datetime import timedelta

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from claims.models import Claim
from dictsim import claims as dir_claims
from tests.factories import (
    code,
    device_for,
    incoming_claim,
    key_at_other_psp,
    new_phone,
    owner_of,
    rest_proof,
    stranger,
    wrong_code,
)

pytestmark = pytest.mark.django_db


def test_start_portability_and_ownership_claim(make_account, client_for) -> None:
    account = make_account()
    client = client_for(account.holder.user)
    key_at_other_psp("EMAIL", "mine@example.com", owner_of(account))
    phone = new_phone()
    key_at_other_psp("PHONE", phone, stranger())
    body = {"account_id": account.pk, "key_type": "EMAIL", "key": "Mine@example.com", "request_id": str(uuid.uuid4())}

    portability = client.post("/api/v1/portabilities/", body, format="json")
    replay = client.post("/api/v1/portabilities/", body, format="json")
    ownership = client.post(
        "/api/v1/claims/", {"account_id": account.pk, "key": phone, "request_id": str(uuid.uuid4())}, format="json"
    )

    assert (portability.status_code, replay.status_code, ownership.status_code) == (201, 201, 201)
    assert replay["Idempotent-Replayed"] == "true" and replay.json()["id"] == portability.json()["id"]
    got = portability.json()
    assert (got["type"], got["role"], got["status"], got["key"]) == (
        "PORTABILITY",
        "CLAIMER",
        "OPEN",
        "mine@example.com",
    )
    assert (ownership.json()["type"], ownership.json()["completion_period_end"] is not None) == ("OWNERSHIP", True)


@pytest.mark.parametrize(
    ("url", "key_type", "key"),
    [
        ("/api/v1/claims/", "EVP", "123e4567-e89b-12d3-a456-426614174000"),
        ("/api/v1/claims/", "EMAIL", "someone@example.com"),
        ("/api/v1/portabilities/", "EVP", "123e4567-e89b-12d3-a456-426614174000"),
    ],
)
def test_claim_type_and_key_type_must_match(make_account, client_for, url: str, key_type: str, key: str) -> None:
    account = make_account()
    body = {"account_id": account.pk, "key_type": key_type, "key": key, "request_id": str(uuid.uuid4())}
    response = client_for(account.holder.user).post(url, body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "ClaimInvalid"
    assert not Claim.objects.exists()


def test_start_on_another_customers_account_is_not_found(make_account, client_for) -> None:
    account, other = make_account(), make_account()
    body = {"account_id": other.pk, "key_type": "EMAIL", "key": "x@example.com", "request_id": str(uuid.uuid4())}
    response = client_for(account.holder.user).post("/api/v1/portabilities/", body, format="json")
    assert (response.status_code, response.json()["code"]) == (404, "NotFound")


def test_incoming_list_is_most_urgent_first_paged_and_filtered(make_account, client_for) -> None:
    account = make_account(legal=True)
    claims = [incoming_claim(account)[0] for _ in range(3)]
    ownership, _ = incoming_claim(account, "PHONE", "OWNERSHIP")
    client = client_for(account.holder.user)

    first = client.get("/api/v1/claims/incoming/", {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    ids = [c["id"] for c in first["results"] + second["results"]]
    assert ids == [str(c.pk) for c in sorted([*claims, ownership], key=lambda c: (c.resolution_period_end, c.pk))]
    assert second["next"] is None
    only_ownership = client.get("/api/v1/claims/incoming/", {"type": "OWNERSHIP"}).json()["results"]
    assert [c["id"] for c in only_ownership] == [str(ownership.pk)]
    assert client.get("/api/v1/claims/incoming/", {"status": "CANCELLED"}).json()["results"] == []
    assert client.get("/api/v1/claims/outgoing/").json()["results"] == []
    bad = client.get("/api/v1/claims/incoming/", {"status": "NOPE"})
    assert (bad.status_code, bad.json()["code"]) == (400, "BadRequest")


def test_outgoing_list_shows_claims_the_customer_made(make_account, client_for) -> None:
    account = make_account()
    client = client_for(account.holder.user)
    key_at_other_psp("EMAIL", "out@example.com", owner_of(account))
    body = {"account_id": account.pk, "key_type": "EMAIL", "key": "out@example.com", "request_id": str(uuid.uuid4())}
    started = client.post("/api/v1/portabilities/", body, format="json").json()
    outgoing = client.get("/api/v1/claims/outgoing/", {"type": "PORTABILITY", "status": "OPEN"}).json()["results"]
    assert [c["id"] for c in outgoing] == [started["id"]]
    assert client.get("/api/v1/claims/incoming/").json()["results"] == []


def test_status_shows_role_periods_and_time_left(make_account, client_for) -> None:
    account = make_account()
    claim, _ = incoming_claim(account)
    body = client_for(account.holder.user).get(f"/api/v1/claims/{claim.pk}/").json()
    assert (body["role"], body["status"], body["type"]) == ("DONOR", "WAITING_RESOLUTION", "PORTABILITY")
    assert body["resolution_period_end"] is not None and body["completion_period_end"] is None
    assert timedelta(days=7) - timedelta(minutes=5) < timedelta(seconds=body["time_left_seconds"]) <= timedelta(days=7)


def test_another_customers_claim_is_not_found(make_account, client_for) -> None:
    claim, _ = incoming_claim(make_account())
    intruder = make_account().holder.user
    device = device_for(intruder)
    client = client_for(intruder)
    assert client.get(f"/api/v1/claims/{claim.pk}/").status_code == 404
    answer = client.post(
        f"/api/v1/claims/{claim.pk}/respond/", {"decision": "accept", "otp": code(device)}, format="json"
    )
    assert (answer.status_code, answer.json()["code"]) == (404, "NotFound")
    assert client.get("/api/v1/claims/incoming/").json()["results"] == []


def test_respond_needs_a_confirmed_second_factor_and_a_right_code(make_account, client_for, settings) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the wrong code below must not delay the right one
    account = make_account()
    claim, entry = incoming_claim(account)
    user = account.holder.user
    client = client_for(user)
    url = f"/api/v1/claims/{claim.pk}/respond/"

    without = client.post(url, {"decision": "accept", "otp": "123456"}, format="json")
    device = device_for(user)
    right = code(device)
    wrong = client.post(url, {"decision": "accept", "otp": wrong_code(device)}, format="json")

    assert (without.status_code, without.json()["code"]) == (403, "SecondFactorRequired")
    assert (wrong.status_code, wrong.json()["code"]) == (403, "SecondFactorInvalid")
    claim.refresh_from_db()
    entry.refresh_from_db()
    assert (claim.status, entry.status) == ("WAITING_RESOLUTION", "ACTIVE")

    accepted = client.post(url, {"decision": "accept", "otp": right}, format="json")
    assert accepted.status_code == 200
    assert (accepted.json()["status"], accepted.json()["confirm_reason"]) == ("CONFIRMED", "USER_REQUESTED")
    entry.refresh_from_db()
    assert entry.status == "DELETED"


def test_a_used_code_cannot_be_replayed(make_account, client_for) -> None:
    account = make_account()
    first, _ = incoming_claim(account)
    second, _ = incoming_claim(account)
    user = account.holder.user
    otp = code(device_for(user))  # six digits, a leading zero kept
    client = client_for(user)
    assert (
        client.post(
            f"/api/v1/claims/{first.pk}/respond/", {"decision": "reject", "otp": otp}, format="json"
        ).status_code
        == 200
    )
    replayed = client.post(f"/api/v1/claims/{second.pk}/respond/", {"decision": "reject", "otp": otp}, format="json")
    assert (replayed.status_code, replayed.json()["code"]) == (403, "SecondFactorInvalid")


def test_reject_ownership_is_proof_of_possession_and_portability_endpoints(make_account, client_for) -> None:
    account = make_account()
    ownership, _ = incoming_claim(account, "PHONE", "OWNERSHIP")
    portability, entry = incoming_claim(account)
    device = device_for(account.holder.user)
    client = client_for(account.holder.user)

    # Rejecting is proving possession: the code sent to the phone; the TOTP code authenticates the customer.
    reject = {
        "decision": "reject",
        "otp": code(device),
        "possession_challenge_id": rest_proof(client, "PHONE", ownership.key),
    }
    rejected = client.post(f"/api/v1/claims/{ownership.pk}/respond/", reject, format="json")
    assert (rejected.json()["status"], rejected.json()["cancel_reason"]) == ("CANCELLED", "FRAUD")
    # An ownership claim is not reachable as a portability.
    assert (
        client.post(f"/api/v1/portabilities/{ownership.pk}/confirm/", {"otp": "000000"}, format="json").status_code
        == 404
    )
    cancelled = client.post(
        f"/api/v1/portabilities/{portability.pk}/cancel/", {"otp": code(device, drift=1)}, format="json"
    )
    assert (cancelled.status_code, cancelled.json()["cancel_reason"]) == (200, "USER_REQUESTED")
    assert dir_claims.claim_get(participant="99999901", claim_id=portability.dict_id).status == "CANCELLED"
    entry.refresh_from_db()
    assert entry.status == "ACTIVE"


def test_claimer_cancels_its_own_claim_with_totp(make_account, client_for) -> None:
    account = make_account()
    client = client_for(account.holder.user)
    key_at_other_psp("EMAIL", "back@example.com", owner_of(account))
    body = {"account_id": account.pk, "key_type": "EMAIL", "key": "back@example.com", "request_id": str(uuid.uuid4())}
    claim_id = client.post("/api/v1/portabilities/", body, format="json").json()["id"]
    device = device_for(account.holder.user)
    response = client.post(f"/api/v1/claims/{claim_id}/cancel/", {"otp": code(device)}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancelled_by"]) == ("CANCELLED", "CLAIMER")


def test_totp_enrolment_and_confirmation(make_account, client_for) -> None:
    user = make_account().holder.user
    client = client_for(user)
    enrolled = client.post("/api/v1/otp/totp/", {}, format="json")
    assert enrolled.status_code == 201
    assert enrolled.json()["config_url"].startswith("otpauth://totp/")
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    wrong = client.post("/api/v1/otp/totp/confirm/", {"otp": wrong_code(device)}, format="json")
    assert (wrong.status_code, wrong.json()["code"]) == (403, "SecondFactorInvalid")
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.save()
    assert client.post("/api/v1/otp/totp/confirm/", {"otp": code(device)}, format="json").status_code == 204
    device.refresh_from_db()
    assert device.confirmed
    # Replacing a confirmed device needs a code of it.
    again = client.post("/api/v1/otp/totp/", {}, format="json")
    assert (again.status_code, again.json()["code"]) == (403, "SecondFactorInvalid")
    assert client.post("/api/v1/otp/totp/", {"otp": code(device, drift=1)}, format="json").status_code == 201
