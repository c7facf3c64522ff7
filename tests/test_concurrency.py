"""Concurrent calls on real PostgreSQL and Redis: the database and the buckets, not luck, keep keys
unique, limits exact, retries idempotent and lookups within DICT's anti-scan allowance."""

import threading
import uuid
from collections import Counter

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, transaction

from claims.models import Claim
from dict_rules.buckets import PAYER_COST, PSP_COST
from keys.models import Entry
from keys.services import entry_create
from lookup.buckets import RedisBuckets, get_buckets
from tests.factories import (
    at_other_psp,
    key_at_other_psp,
    look,
    owner_of,
    possession_proof,
    proof_for,
    tokens_left,
    unknown_email,
)

pytestmark = pytest.mark.django_db(transaction=True)


def run_concurrently(calls) -> list:
    """Start every call at the same moment on its own thread (own DB connection); return results."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(i: int, call) -> None:
        try:
            barrier.wait()
            results[i] = call()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def post_key(client, account, key_type: str, key_value: str | None, proof: uuid.UUID | None = None):
    """A POST of a key, to run on its own thread; ``proof``: the possession challenge it names (else one is
    obtained now, before the threads start, for a PHONE or EMAIL key)."""
    proof = proof or proof_for(account.holder.user, key_type, key_value)

    def call():
        body = {"account_id": account.pk, "key_type": key_type, "request_id": str(uuid.uuid4())}
        if key_value:
            body["key_value"] = key_value
        if proof:
            body["possession_challenge_id"] = str(proof)
        response = client.post("/api/v1/keys/", body, format="json")
        return response.status_code, response.json().get("code")

    return call


def test_twenty_concurrent_creates_of_one_key_exactly_one_wins(make_account, client_for) -> None:
    holder_account = make_account(legal=True)
    accounts = [holder_account] + [make_account(holder=holder_account.holder, account_type=t) for t in ("SVGS", "TRAN")]
    strangers = [make_account() for _ in range(3)]
    # One proof per holder: a holder's calls all name it, and only the one that registers the key spends it.
    holders = {a.holder_id: a.holder.user for a in accounts + strangers}
    proofs = {holder: possession_proof(user, "EMAIL", "contested@example.com") for holder, user in holders.items()}
    calls = []
    for i in range(20):
        account = (accounts + strangers)[i % 6]
        client = client_for(account.holder.user)
        calls.append(post_key(client, account, "EMAIL", "contested@example.com", proofs[account.holder_id]))
    outcomes = run_concurrently(calls)
    statuses = Counter(status for status, _ in outcomes)
    assert statuses[201] == 1
    assert statuses[409] + statuses[422] == 19
    assert {code for status, code in outcomes if status == 409} <= {
        "EntryAlreadyExists",
        "EntryKeyOwnedByDifferentPerson",
    }
    # The proof is checked first: a call naming the proof the winner spent is told only that.
    winner = Entry.objects.get(key_value="contested@example.com").account.holder_id
    losers_by_proof = [i for i, (status, _) in enumerate(outcomes) if status == 422]
    assert all((accounts + strangers)[i % 6].holder_id == winner for i in losers_by_proof)
    assert {code for status, code in outcomes if status == 422} <= {"PossessionNotProven"}


def test_concurrent_creates_never_exceed_the_account_limit(make_account, client_for) -> None:
    account = make_account()
    client = client_for(account.holder.user)
    outcomes = run_concurrently([post_key(client, account, "EMAIL", f"k{i}@example.com") for i in range(8)])
    assert Counter(status for status, _ in outcomes) == {201: 5, 422: 3}
    assert Entry.objects.filter(account=account).count() == 5


@pytest.mark.parametrize("run", range(3))  # a race: several runs, so a lucky interleaving cannot hide it
@pytest.mark.usefixtures("no_api_rate_limit")
def test_ten_concurrent_retries_of_one_create_all_get_the_first_result(make_account, client_for, run) -> None:
    account = make_account()
    body = {
        "account_id": account.pk,
        "key_type": "EMAIL",
        "key_value": f"retry-{run}@example.com",
        "request_id": str(uuid.uuid4()),
        "possession_challenge_id": str(possession_proof(account.holder.user, "EMAIL", f"retry-{run}@example.com")),
    }
    clients = [client_for(account.holder.user) for _ in range(10)]

    def create(client):
        def call():
            response = client.post("/api/v1/keys/", body, format="json")
            return response.status_code, response.json(), response.get("Idempotent-Replayed")

        return call

    outcomes = run_concurrently([create(c) for c in clients])
    assert [status for status, _, _ in outcomes] == [201] * 10, [o[1].get("code") for o in outcomes]
    assert len({answer["id"] for _, answer, _ in outcomes}) == 1
    assert Counter(replayed for _, _, replayed in outcomes) == {"true": 9, None: 1}
    assert Entry.objects.filter(requested_by=account.holder.user).count() == 1


def test_a_create_never_waits_on_the_users_own_row(make_account) -> None:
    """Nothing serialises one user's creates: with another transaction holding the user's row, a
    create still completes (retries of one request id are replayed from the duplicate check)."""
    account = make_account()
    user = account.holder.user
    locked, release = threading.Event(), threading.Event()

    def hold_the_users_row() -> None:
        try:
            with transaction.atomic():
                list(get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk"))
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    def create() -> None:
        try:
            entry_create(user=user, account_id=account.pk, key_type="EVP", key_value=None, request_id=uuid.uuid4())
        finally:
            connections.close_all()

    holder, creator = threading.Thread(target=hold_the_users_row), threading.Thread(target=create)
    holder.start()
    assert locked.wait(10)
    creator.start()
    creator.join(5)
    waited = creator.is_alive()
    release.set()
    holder.join(30)
    creator.join(30)
    assert not waited
    assert Entry.objects.filter(requested_by=user).count() == 1


@pytest.mark.usefixtures("no_api_rate_limit")
def test_concurrent_reuses_of_a_request_id_with_other_data_are_refused(make_account, client_for) -> None:
    account = make_account()
    request_id = str(uuid.uuid4())
    calls = []
    for i in range(6):
        client = client_for(account.holder.user)
        body = {
            "account_id": account.pk,
            "key_type": "EMAIL",
            "key_value": f"k{i}@example.com",
            "request_id": request_id,
            "possession_challenge_id": str(possession_proof(account.holder.user, "EMAIL", f"k{i}@example.com")),
        }
        calls.append(lambda client=client, body=body: client.post("/api/v1/keys/", body, format="json"))
    outcomes = run_concurrently(calls)
    assert Counter(r.status_code for r in outcomes) == {201: 1, 409: 5}
    assert {r.json()["code"] for r in outcomes if r.status_code == 409} == {"RequestIdAlreadyUsed"}
    assert Entry.objects.filter(requested_by=account.holder.user).count() == 1


@pytest.mark.parametrize("run", range(3))  # a race: several runs, so a lucky interleaving cannot hide it
@pytest.mark.usefixtures("no_api_rate_limit")
def test_thirty_parallel_misses_by_a_fresh_natural_person_get_no_more_answers_than_dict_allows(
    make_account, client_for, directory_calls, run
) -> None:
    """DICT: 100 tokens, a 404 costs 20, so five misses; the worst case is reserved before asking."""
    assert isinstance(get_buckets(), RedisBuckets)  # the shared Lua store
    payer = make_account()
    clients = [client_for(payer.holder.user) for _ in range(30)]
    outcomes = run_concurrently([lambda c=c: look(c, unknown_email()) for c in clients])
    statuses = Counter(r.status_code for r in outcomes)
    allowance = settings.LOOKUP_PAYER_NATURAL_CAPACITY // PAYER_COST.not_found
    assert statuses == {404: allowance, 429: 30 - allowance}
    assert {r.json()["code"] for r in outcomes if r.status_code == 429} == {"RateLimited"}
    assert all(1 <= int(r["Retry-After"]) <= 60 for r in outcomes if r.status_code == 429)
    assert len(directory_calls) == allowance
    assert tokens_left(payer.holder)[0] == 0


def test_a_found_lookup_still_costs_only_the_found_price(make_account, client_for) -> None:
    at_other_psp("EMAIL", "found@example.com")
    payer = make_account()
    payer_before, psp_before = tokens_left(payer.holder)
    assert look(client_for(payer.holder.user), "found@example.com").status_code == 200
    assert tokens_left(payer.holder) == (payer_before - PAYER_COST.found, psp_before - PSP_COST.found)
    assert look(client_for(payer.holder.user), unknown_email()).status_code == 404
    assert tokens_left(payer.holder) == (
        payer_before - PAYER_COST.found - PAYER_COST.not_found,
        psp_before - PSP_COST.found - PSP_COST.not_found,
    )


@pytest.mark.usefixtures("no_api_rate_limit")
def test_concurrent_retries_of_one_portability_start_never_conflict_with_themselves(make_account, client_for) -> None:
    """claim_start holds the request id from before DICT is asked: a retry arriving meanwhile is told
    to try again shortly (503), one arriving after replays the claim; none is a 409 about its own key."""
    account = make_account()
    key_at_other_psp("EMAIL", "moving@example.com", owner_of(account))
    body = {"account_id": account.pk, "key_type": "EMAIL", "key": "moving@example.com", "request_id": str(uuid.uuid4())}
    clients = [client_for(account.holder.user) for _ in range(10)]
    outcomes = run_concurrently([lambda c=c: c.post("/api/v1/portabilities/", body, format="json") for c in clients])
    assert {r.status_code for r in outcomes} <= {201, 503}, [r.json().get("code") for r in outcomes]
    created = [r for r in outcomes if r.status_code == 201]
    assert len({r.json()["id"] for r in created}) == 1
    assert [r.get("Idempotent-Replayed") for r in created].count(None) == 1
    assert {r.json()["code"] for r in outcomes if r.status_code == 503} <= {"ServiceUnavailable"}
    assert Claim.objects.filter(requested_by=account.holder.user).count() == 1
