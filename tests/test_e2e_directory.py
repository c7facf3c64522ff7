"""Two Core DICT instances (ISPB A and B) against one simulated directory, all as real processes.

run_dictsim serves the Connect gRPC API on its own database; each instance is gunicorn on its
own database with CONNECT_URL pointing at it (tasks run in-process, as on the embedded default).
This is the directory issue's "done when", end to end over loopback.
"""

from collections.abc import Iterator

import pytest

from tests.e2e_support import Directory, Instance, call, manage, two_psps

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


def test_check_sync_is_ok_for_every_key_type_at_both_psps(world) -> None:
    _, a, b = world
    for instance in (a, b):
        result = manage(instance.env, "check_sync", check=False)
        assert result.returncode == 0, result.stderr
        assert [line.split()[:2] for line in result.stdout.splitlines()] == [
            [key_type, "OK"] for key_type in ("CPF", "CNPJ", "PHONE", "EMAIL", "EVP")
        ]
