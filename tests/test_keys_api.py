"""Keys over REST: create each type, limits, idempotency, visibility, delete, errors as problem+json."""

import uuid

import pytest

from dict_rules.possession import needs_possession_proof
from events.models import DomainEvent
from keys.models import Entry
from possession.models import PossessionChallenge
from tests.factories import POSSESSION_CHALLENGES, new_phone, rest_proof, sent_code

# Real commits: a create registers the key at DICT in an on-commit callback of the request's own
# transaction, so the response already says ACTIVE (and a delete finds it ACTIVE). The
# django_capture_on_commit_callbacks fixture would run that callback only after the response.
pytestmark = pytest.mark.django_db(transaction=True)


def create(
    client, account, key_type: str, key_value: str | None = None, request_id: str | None = None, *, prove: bool = True
):
    """POST a key; a PHONE or EMAIL key with its possession proven first over REST, unless ``prove`` is false."""
    body = {"account_id": account.pk, "key_type": key_type, "request_id": request_id or str(uuid.uuid4())}
    if key_value is not None:
        body["key_value"] = key_value
    if prove and needs_possession_proof(key_type):
        body["possession_challenge_id"] = rest_proof(client, key_type, key_value)
    return client.post("/api/v1/keys/", body, format="json")


def test_one_key_of_each_type_becomes_active(make_account, client_for) -> None:
    natural = make_account()
    legal = make_account(legal=True)
    alice = client_for(natural.holder.user)
    acme = client_for(legal.holder.user)
    answers = [
        create(alice, natural, "CPF", natural.holder.tax_id),
        create(alice, natural, "PHONE", "+5511987650001"),
        create(alice, natural, "EMAIL", "Alice@Example.com"),
        create(alice, natural, "EVP"),
        create(acme, legal, "CNPJ", legal.holder.tax_id),
    ]
    assert [r.status_code for r in answers] == [201] * 5
    bodies = [r.json() for r in answers]
    assert [b["status"] for b in bodies] == ["ACTIVE"] * 5
    assert bodies[2]["key_value"] == "alice@example.com"
    assert len(bodies[3]["key_value"]) == 36 and bodies[3]["key_value"] == bodies[3]["key_value"].lower()
    assert all(len(b["cid"]) == 64 for b in bodies)
    events = DomainEvent.objects.filter(aggregate_type="entry", aggregate_id=bodies[0]["id"])
    assert [e.event_type for e in events] == ["EntryCreated", "EntryActivated"]
    assert events[0].actor == natural.holder.user


def test_sixth_key_on_a_natural_persons_account_is_refused(make_account, client_for) -> None:
    account = make_account()
    client = client_for(account.holder.user)
    for i in range(5):
        assert create(client, account, "EMAIL", f"k{i}@example.com").status_code == 201
    refused = create(client, account, "EMAIL", "k5@example.com")
    assert refused.status_code == 422
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "EntryLimitExceeded"
    assert Entry.objects.filter(account=account).count() == 5


def test_legal_person_account_holds_twenty_keys(make_account, client_for) -> None:
    account = make_account(legal=True)
    client = client_for(account.holder.user)
    for _ in range(20):
        assert create(client, account, "EVP").status_code == 201
    assert create(client, account, "EVP").json()["code"] == "EntryLimitExceeded"
    assert Entry.objects.filter(account=account, status="ACTIVE").count() == 20


def test_limit_counts_per_account_and_deleted_keys_free_a_slot(make_account, client_for) -> None:
    first = make_account()
    second = make_account(holder=first.holder, account_type="SVGS")
    client = client_for(first.holder.user)
    ids = [create(client, first, "EVP").json()["id"] for _ in range(5)]
    assert create(client, second, "EVP").status_code == 201
    assert create(client, first, "EVP").status_code == 422
    assert client.delete(f"/api/v1/keys/{ids[0]}/").status_code == 200
    assert create(client, first, "EVP").status_code == 201


def test_retry_with_same_request_id_returns_the_first_result(make_account, client_for) -> None:
    account = make_account()
    client = client_for(account.holder.user)
    request_id = str(uuid.uuid4())
    first = create(client, account, "EMAIL", "same@example.com", request_id)
    again = create(client, account, "EMAIL", "SAME@example.com", request_id)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Entry.objects.filter(account=account).count() == 1


def test_evp_retry_returns_the_same_generated_key(make_account, client_for) -> None:
    account = make_account()
    client = client_for(account.holder.user)
    request_id = str(uuid.uuid4())
    first = create(client, account, "EVP", request_id=request_id).json()
    again = create(client, account, "EVP", request_id=request_id).json()
    assert again["key_value"] == first["key_value"]
    assert Entry.objects.filter(account=account).count() == 1


def test_same_request_id_with_different_data_is_refused(make_account, client_for) -> None:
    account = make_account()
    client = client_for(account.holder.user)
    request_id = str(uuid.uuid4())
    assert create(client, account, "EMAIL", "one@example.com", request_id).status_code == 201
    refused = create(client, account, "EMAIL", "two@example.com", request_id)
    assert refused.status_code == 409
    assert refused.json()["code"] == "RequestIdAlreadyUsed"
    assert list(Entry.objects.values_list("key_value", flat=True)) == ["one@example.com"]


def test_a_key_already_held_here_gives_dicts_duplicate_codes(make_account, client_for) -> None:
    account = make_account()
    other_account_same_holder = make_account(holder=account.holder, account_type="SVGS")
    stranger = make_account()
    owner = client_for(account.holder.user)
    assert create(owner, account, "PHONE", "+5511987650002").status_code == 201
    same_owner = create(owner, other_account_same_holder, "PHONE", "+5511987650002")
    assert (same_owner.status_code, same_owner.json()["code"]) == (409, "EntryAlreadyExists")
    other_person = create(client_for(stranger.holder.user), stranger, "PHONE", "+5511987650002")
    assert (other_person.status_code, other_person.json()["code"]) == (409, "EntryKeyOwnedByDifferentPerson")
    assert Entry.objects.filter(key_value="+5511987650002").count() == 1


def test_cpf_key_of_someone_else_is_refused(make_account, client_for) -> None:
    account = make_account()
    other = make_account()
    response = create(client_for(account.holder.user), account, "CPF", other.holder.tax_id)
    assert response.status_code == 422
    assert response.json()["code"] == "EntryTaxIdNumberByDifferentOwner"
    assert not Entry.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key_type": "EMAIL", "key_value": "x@example.com", "request_id": "not-a-uuid"}, "request_id"),
        ({"key_type": "IBAN", "key_value": "x", "request_id": str(uuid.uuid4())}, "key_type"),
        ({"key_type": "CPF", "key_value": "123", "request_id": str(uuid.uuid4())}, "key_value"),
        ({"key_type": "EVP", "key_value": str(uuid.uuid4()), "request_id": str(uuid.uuid4())}, "key_value"),
        ({"key_type": "EMAIL", "request_id": str(uuid.uuid4())}, "key_value"),
    ],
)
def test_bad_input_is_a_400_problem_naming_the_field(make_account, client_for, body: dict, field: str) -> None:
    account = make_account()
    response = client_for(account.holder.user).post("/api/v1/keys/", {"account_id": account.pk, **body}, format="json")
    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] in {"BadRequest", "EntryInvalid"}
    assert field in [e["field"] for e in problem["errors"]]
    assert problem["request_id"] == response["X-Request-ID"]
    assert not Entry.objects.exists()


def test_malformed_json_is_a_400_not_a_500(make_account, client_for) -> None:
    account = make_account()
    response = client_for(account.holder.user).post("/api/v1/keys/", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "BadRequest"


def test_another_customers_key_and_account_are_not_found(make_account, client_for) -> None:
    mine = make_account()
    theirs = make_account()
    their_client = client_for(theirs.holder.user)
    key_id = create(their_client, theirs, "EMAIL", "theirs@example.com").json()["id"]
    me = client_for(mine.holder.user)
    assert me.get(f"/api/v1/keys/{key_id}/").status_code == 404
    assert me.delete(f"/api/v1/keys/{key_id}/").status_code == 404
    assert me.get("/api/v1/keys/").json()["results"] == []
    using_their_account = create(me, theirs, "EMAIL", "sneaky@example.com")
    assert (using_their_account.status_code, using_their_account.json()["code"]) == (404, "NotFound")
    assert Entry.objects.get(pk=key_id).status == "ACTIVE"
    assert [a["id"] for a in me.get("/api/v1/accounts/").json()["results"]] == [mine.pk]


def test_list_is_cursor_paginated_and_filtered(make_account, client_for) -> None:
    account = make_account(legal=True)
    client = client_for(account.holder.user)
    created = [create(client, account, "EVP").json()["id"] for _ in range(5)]
    create(client, account, "EMAIL", "filter@example.com")
    seen: list[str] = []
    url = "/api/v1/keys/?key_type=EVP&page_size=2"
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 2
        seen += [k["id"] for k in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(created)
    assert seen == list(reversed(created))  # newest first
    assert client.get("/api/v1/keys/?status=DELETED").json()["results"] == []
    bad = client.get("/api/v1/keys/?status=GONE")
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (400, "status")


def test_delete_is_soft_and_keeps_history(make_account, client_for) -> None:
    account = make_account()
    client = client_for(account.holder.user)
    key_id = create(client, account, "EMAIL", "bye@example.com").json()["id"]
    deleted = client.delete(f"/api/v1/keys/{key_id}/")
    assert deleted.status_code == 200
    assert deleted.json()["status"] == "DELETED"
    assert deleted.json()["delete_reason"] == "USER_REQUESTED"
    again = client.delete(f"/api/v1/keys/{key_id}/")
    assert again.status_code == 200 and again.json()["deleted_at"] == deleted.json()["deleted_at"]
    assert client.get(f"/api/v1/keys/{key_id}/").json()["status"] == "DELETED"
    events = DomainEvent.objects.filter(aggregate_id=key_id).values_list("event_type", flat=True)
    assert list(events) == ["EntryCreated", "EntryActivated", "EntryDeleteRequested", "EntryDeleted"]
    # The key is free again for anyone.
    assert create(client, account, "EMAIL", "bye@example.com").status_code == 201


def test_customers_cannot_use_the_psps_delete_reasons(make_account, client_for) -> None:
    account = make_account()
    client = client_for(account.holder.user)
    key_id = create(client, account, "EVP").json()["id"]
    refused = client.delete(f"/api/v1/keys/{key_id}/?reason=FRAUD")
    assert (refused.status_code, refused.json()["code"]) == (400, "InvalidReason")
    unknown = client.delete(f"/api/v1/keys/{key_id}/", {"reason": "ENTRY_INACTIVITY"}, format="json")
    assert unknown.status_code == 400
    assert Entry.objects.get(pk=key_id).status == "ACTIVE"
    closure = client.delete(f"/api/v1/keys/{key_id}/", {"reason": "ACCOUNT_CLOSURE"}, format="json")
    assert closure.json()["delete_reason"] == "ACCOUNT_CLOSURE"


def test_every_endpoint_needs_a_token(make_account) -> None:
    from rest_framework.test import APIClient

    anonymous = APIClient()
    for method, url in [("get", "/api/v1/keys/"), ("post", "/api/v1/keys/"), ("get", "/api/v1/accounts/")]:
        response = getattr(anonymous, method)(url)
        assert response.status_code == 401
        assert response.json()["code"] == "Unauthorized"


def test_unknown_path_is_a_json_404(client) -> None:
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"


def test_a_phone_or_email_key_needs_its_confirmed_challenge(make_account, client_for) -> None:
    account = make_account()
    client = client_for(account.holder.user)
    phone = new_phone()
    unproven = create(client, account, "PHONE", phone, prove=False)
    assert (unproven.status_code, unproven.json()["code"]) == (422, "PossessionNotProven")
    assert [e["field"] for e in unproven.json()["errors"]] == ["possession_challenge_id"]
    started = client.post(POSSESSION_CHALLENGES, {"key_type": "PHONE", "key": phone}, format="json").json()
    assert (started["status"], started["attempts_left"]) == ("PENDING", 5)
    body = {"account_id": account.pk, "key_type": "PHONE", "key_value": phone, "request_id": str(uuid.uuid4())}
    pending = client.post("/api/v1/keys/", {**body, "possession_challenge_id": started["id"]}, format="json")
    assert pending.json()["code"] == "PossessionNotProven"  # sent, not confirmed

    confirm_url = f"{POSSESSION_CHALLENGES}{started['id']}/confirm/"
    code = sent_code(phone)
    wrong = client.post(confirm_url, {"code": f"{(int(code) + 1) % 10**6:06d}"}, format="json")
    assert (wrong.status_code, wrong.json()["code"]) == (403, "PossessionCodeInvalid")
    confirmed = client.post(confirm_url, {"code": code}, format="json")
    assert (confirmed.status_code, confirmed.json()["status"], confirmed.json()["attempts_left"]) == (
        200,
        "CONFIRMED",
        3,
    )
    created = client.post("/api/v1/keys/", {**body, "possession_challenge_id": started["id"]}, format="json")
    assert (created.status_code, created.json()["status"]) == (201, "ACTIVE")
    assert PossessionChallenge.objects.get(pk=started["id"]).used_for == f"entry:{created.json()['id']}"


def test_possession_challenges_refuse_bad_input_and_other_customers(make_account, client_for) -> None:
    mine, theirs = make_account(), make_account()
    me = client_for(mine.holder.user)
    their_id = rest_proof(client_for(theirs.holder.user), "EMAIL", "theirs@example.com")
    cases = [
        (POSSESSION_CHALLENGES, {"key_type": "CPF", "key": mine.holder.tax_id}, 400, "BadRequest"),
        (POSSESSION_CHALLENGES, {"key_type": "PHONE", "key": "+12025550123"}, 400, "EntryInvalid"),
        (POSSESSION_CHALLENGES, {"key_type": "EMAIL", "key": "x@example.com", "extra": 1}, 400, "BadRequest"),
        (f"{POSSESSION_CHALLENGES}{their_id}/confirm/", {"code": "123456"}, 404, "NotFound"),
        (f"{POSSESSION_CHALLENGES}{their_id}/confirm/", {"code": "12ab"}, 400, "BadRequest"),
    ]
    for url, body, status, code in cases:
        response = me.post(url, body, format="json")
        assert (response.status_code, response.json()["code"]) == (status, code), body
    body = {"account_id": mine.pk, "key_type": "EMAIL", "key_value": "theirs@example.com"}
    stolen = me.post(
        "/api/v1/keys/", {**body, "request_id": str(uuid.uuid4()), "possession_challenge_id": their_id}, format="json"
    )
    assert stolen.json()["code"] == "PossessionNotProven"
    assert not Entry.objects.filter(account=mine).exists()
