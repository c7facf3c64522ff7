"""Two Core DICT instances (ISPB A and B) against one simulated directory, all as real processes.

run_dictsim serves the Connect gRPC API on its own database; each instance is gunicorn on its
own database with CONNECT_URL pointing at it (tasks run in-process, as on the embedded default).
This is the directory issue's "done when", end to end over loopback.
"""

import sys
import uuid
from collections.abc import Iterator

import grpc
import pytest

from protos.dict.core.v1 import core_dict_pb2 as pb
from protos.dict.core.v1 import core_dict_pb2_grpc
from tests.e2e_support import Directory, Instance, call, free_port, manage, running, two_psps

pytestmark = pytest.mark.e2e

ISPB_A, ISPB_B = "11111111", "22222222"
ALLOWED_LOOKUP_FIELDS = {"key", "key_type", "name", "trade_name", "tax_id", "person_type", "ispb", "end_to_end_id"}


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[Directory, Instance, Instance]]:
    with two_psps(ISPB_A, ISPB_B, redis_db=9) as running_world:
        yield running_world


def test_a_key_held_at_a_is_refused_at_b_with_dicts_answers(world) -> None:
    _, a, b = world
    entry = a.create(a.token("alice"), "EMAIL", "alice.e2e@example.com")
    assert (entry["status"], len(entry["cid"])) == ("ACTIVE", 64)
    # The same owner (alice has the same CPF at both PSPs): portability is the way.
    same_owner = b.create(b.token("alice"), "EMAIL", "alice.e2e@example.com")
    assert (same_owner["status"], same_owner["failure_code"]) == ("FAILED", "EntryKeyInCustodyOfDifferentParticipant")
    # Another person: an ownership claim is the way.
    other_owner = b.create(b.token("bob"), "EMAIL", "alice.e2e@example.com")
    assert (other_owner["status"], other_owner["failure_code"]) == ("FAILED", "EntryKeyOwnedByDifferentPerson")


def test_a_phone_or_email_key_cannot_become_active_without_its_code(world) -> None:
    """DICT_RULES §1: the code goes to the phone (SMS) or e-mail, and only its holder's confirmation registers it."""
    _, a, b = world
    alice, bob = a.token("alice"), a.token("bob")
    for key_type, key in (("PHONE", "+5511991119001"), ("EMAIL", "alice.proof@example.com")):
        refused = a.create(alice, key_type, key, prove=False)
        assert (refused["code"], refused["errors"][0]["field"]) == ("PossessionNotProven", "possession_challenge_id")
        status, challenge = call(
            "POST", f"{a.base}/api/v1/keys/possession-challenges/", {"key_type": key_type, "key": key}, alice
        )
        assert (status, challenge["status"]) == (201, "PENDING")
        confirm = f"{a.base}/api/v1/keys/possession-challenges/{challenge['id']}/confirm/"
        status, problem = call("POST", confirm, {"code": "000000"}, bob)
        assert (status, problem["code"]) == (404, "NotFound")  # bob cannot confirm alice's challenge
        account = call("GET", f"{a.base}/api/v1/accounts/", token=alice)[1]["results"][0]["id"]
        body = {
            "account_id": account,
            "key_type": key_type,
            "key_value": key,
            "possession_challenge_id": challenge["id"],
        }
        status, unconfirmed = call("POST", f"{a.base}/api/v1/keys/", {**body, "request_id": str(uuid.uuid4())}, alice)
        assert (status, unconfirmed["code"]) == (422, "PossessionNotProven")

        entry = a.create(alice, key_type, key)  # the code read where it was delivered, and confirmed

        assert (entry["status"], entry["key_value"]) == ("ACTIVE", key)
    status, found = call("GET", f"{b.base}/api/v1/lookup/%2B5511991119001/", token=b.token("bob"))
    assert (status, found["ispb"]) == (200, ISPB_A)


def test_bs_customer_looks_up_as_key_and_sees_only_what_a_payer_may(world) -> None:
    _, a, b = world
    a.create(a.token("acme"), "EMAIL", "pagamentos@acme.example.com")
    status, found = call("GET", f"{b.base}/api/v1/lookup/pagamentos@acme.example.com/", token=b.token("bob"))
    assert status == 200, found
    assert set(found) <= ALLOWED_LOOKUP_FIELDS
    assert (found["key"], found["key_type"], found["ispb"]) == ("pagamentos@acme.example.com", "EMAIL", ISPB_A)
    assert (found["name"], found["trade_name"]) == ("ACME COMERCIO DE ALIMENTOS LTDA", "ACME")
    assert found["end_to_end_id"].startswith(f"E{ISPB_B}") and len(found["end_to_end_id"]) == 32


def test_a_scan_of_unknown_keys_is_stopped_by_429(world) -> None:
    _, _, b = world
    token = b.token("bob")
    answers = [call("GET", f"{b.base}/api/v1/lookup/scan{i}@example.com/", token=token)[0] for i in range(30)]
    # 100 tokens, 20 per unknown key: five misses spend them, then every lookup is refused.
    assert answers == [404] * 5 + [429] * 25


def test_creates_wait_while_connect_is_down_and_none_is_lost(world) -> None:
    directory, a, _ = world
    token = a.token("bob")
    directory.stop()
    pending = [a.create(token, key_type) for key_type in ("EVP", "EVP", "EVP")]
    assert [e["status"] for e in pending] == ["PENDING"] * 3
    status, ready = call("GET", f"{a.base}/readyz")
    assert status == 200  # still taking requests; the work waits
    directory.start()
    redrive = manage(a.env, "sync_pending", "--older-than", "0")
    assert "registered: 3" in redrive.stdout
    assert [a.key(token, e["id"])["status"] for e in pending] == ["ACTIVE"] * 3


def test_update_key_changes_the_account_over_rest_and_grpc_and_the_lookup_shows_it(world) -> None:
    """A moves alice's CPF key to her savings account over REST, then back over gRPC; B's lookup of the
    key through its Connect client gets each new account from DICT, and B's customers still pay alice at A."""
    _, a, b = world
    alice, key = a.token("alice"), "52998224725"
    checking, savings = call("GET", f"{a.base}/api/v1/accounts/", token=alice)[1]["results"][:2]
    entry = a.create(alice, "CPF", key)
    assert b.account_at_dict(key) == {"ispb": ISPB_A, "number": checking["number"]}

    body = {"account_id": savings["id"], "request_id": str(uuid.uuid4())}
    status, moved = call("PATCH", f"{a.base}/api/v1/keys/{entry['id']}/", body, alice)

    assert (status, moved["account_id"], moved["update_pending"]) == (200, savings["id"], False), moved
    assert moved["cid"] != entry["cid"]
    assert b.account_at_dict(key) == {"ispb": ISPB_A, "number": savings["number"]}

    port = free_port()
    grpcserver = [sys.executable, "manage.py", "grpcserver", "--host", "127.0.0.1", "--port", str(port)]
    with (
        running([*grpcserver, "--metrics-port", "0"], a.env, port),
        grpc.insecure_channel(f"127.0.0.1:{port}") as channel,
    ):
        request = pb.UpdateKeyRequest(id=entry["id"], account_id=checking["id"], request_id=str(uuid.uuid4()))
        back = core_dict_pb2_grpc.CoreDictServiceStub(channel).UpdateKey(
            request, metadata=(("authorization", f"Bearer {alice}"),), timeout=30
        )

    assert (back.entry.account_id, back.entry.update_pending, back.replayed) == (checking["id"], False, False)
    assert b.account_at_dict(key) == {"ispb": ISPB_A, "number": checking["number"]}
    # A payer at B (bob spent his lookups on the scan above): the key still resolves to alice at A.
    status, found = call("GET", f"{b.base}/api/v1/lookup/{key}/", token=b.token("acme"))
    assert (status, found["ispb"], found["name"]) == (200, ISPB_A, "Alice Pereira"), found


def test_closing_an_account_deletes_its_keys_at_dict(world) -> None:
    _, a, b = world
    alice = a.token("alice")
    savings = call("GET", f"{a.base}/api/v1/accounts/", token=alice)[1]["results"][1]
    body = {"account_id": savings["id"], "key_type": "EVP", "request_id": str(uuid.uuid4())}
    keys = [call("POST", f"{a.base}/api/v1/keys/", {**body, "request_id": str(uuid.uuid4())}, alice)[1] for _ in "ab"]
    assert [b.account_at_dict(k["key_value"]) for k in keys] == [{"ispb": ISPB_A, "number": savings["number"]}] * 2

    closed = manage(a.env, "close_account", str(savings["id"]))

    assert "keys sent for deletion: 2, keys left: 0" in closed.stdout, closed.stdout
    assert [a.key(alice, k["id"])["status"] for k in keys] == ["DELETED"] * 2
    assert [b.account_at_dict(k["key_value"]) for k in keys] == [None, None]
    status, refused = call("POST", f"{a.base}/api/v1/keys/", body, alice)
    assert (status, refused["code"]) == (409, "EntryStateInvalid")


def test_check_sync_is_ok_for_every_key_type_at_both_psps(world) -> None:
    _, a, b = world
    for instance in (a, b):
        result = manage(instance.env, "check_sync", check=False)
        assert result.returncode == 0, result.stderr
        assert [line.split()[:2] for line in result.stdout.splitlines()] == [
            [key_type, "OK"] for key_type in ("CPF", "CNPJ", "PHONE", "EMAIL", "EVP")
        ]
