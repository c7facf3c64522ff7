"""The lookup's hot path (lookup.store, lookup.payers, keys.own_view): the payer and our own keys from Redis,
one script per lookup, and the same answers whether Redis is warm, lost or rebuilt.

Real commits (``transaction=True``): the write-through runs on commit, as in production.
"""

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

import grpc
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.tokens import AccessToken

from common import redis_client
from common.grpc_interceptors import server_interceptors
from common.grpc_server import new_server, start_server
from dict_project.grpc import grpc_handlers
from keys.own_view import OWN_READY, WRITE_IF_NEWER_LUA, own_view_key, rebuild_own_view, refresh_own_entry
from lookup.payers import payer_entry_key
from protos.dict.core.v1 import core_dict_pb2 as pb
from protos.dict.core.v1 import core_dict_pb2_grpc
from tests.factories import at_other_psp, look, new_cnpj, unknown_email

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_api_rate_limit")]


def redis() -> redis_client.SharedRedis:
    return redis_client.shared_redis()


def lose_redis() -> None:
    """Everything under this run's prefix is gone, as after a restart of a Redis that keeps nothing on disk."""
    names = list(redis().client.scan_iter(match=redis().key("*"), count=1000))
    if names:
        redis().client.delete(*names)


def tables_read(queries: CaptureQueriesContext) -> set[str]:
    return {
        table for table in ("keys_entry", "auth_user", "accounts_holder") if any(table in q["sql"] for q in queries)
    }


def answer(response) -> tuple[int, dict]:
    """A lookup's answer without its EndToEndId (new on every call)."""
    body = response.json()
    for changing in ("end_to_end_id", "request_id", "instance"):
        body.pop(changing, None)
    return response.status_code, body


@contextmanager
def redis_commands() -> Iterator[list[str]]:
    """The commands this process's hot-path client sends (the real client, counted on the way out)."""
    client, sent = redis().client, []
    original = client.execute_command

    def counting(*args, **options):
        sent.append(str(args[0]).upper())
        return original(*args, **options)

    client.execute_command = counting
    try:
        yield sent
    finally:
        del client.execute_command


@pytest.fixture
def three_keys(make_account, make_entry) -> dict[str, str]:
    ours = make_entry(make_account(legal=True), "EMAIL").key_value
    theirs = at_other_psp("EMAIL", f"loja-{new_cnpj()}@example.com", tax_id=new_cnpj()).key  # a legal person's
    return {"ours": ours, "theirs": theirs, "nobody's": unknown_email()}


def test_redis_lost_and_rebuilt_gives_the_same_answers(make_account, client_for, three_keys) -> None:
    client = client_for(make_account().holder.user)
    first = {name: answer(look(client, key)) for name, key in three_keys.items()}
    assert [status for status, _ in first.values()] == [200, 200, 404]

    rebuild_own_view()
    with CaptureQueriesContext(connection) as warm:
        assert {name: answer(look(client, key)) for name, key in three_keys.items()} == first
    assert tables_read(warm) == set()  # the payer, our key and "not ours" all came from Redis

    lose_redis()
    with CaptureQueriesContext(connection) as cold:
        assert {name: answer(look(client, key)) for name, key in three_keys.items()} == first
    assert tables_read(cold) == {"keys_entry", "auth_user", "accounts_holder"}  # read from the database meanwhile

    rebuild_own_view()
    with CaptureQueriesContext(connection) as rebuilt:
        assert {name: answer(look(client, key)) for name, key in three_keys.items()} == first
    assert "keys_entry" not in tables_read(rebuilt)


def test_a_lookup_of_our_own_key_is_one_redis_call(make_account, client_for, three_keys) -> None:
    client = client_for(make_account().holder.user)
    assert look(client, three_keys["ours"]).status_code == 200  # the payer's entry is in Redis now
    rebuild_own_view()
    with redis_commands() as sent, CaptureQueriesContext(connection) as queries:
        assert look(client, three_keys["ours"]).status_code == 200
    assert sent == ["EVALSHA"]
    assert len(queries) == 0


def test_a_deactivated_user_is_refused_at_once(make_account, client_for, three_keys) -> None:
    user = make_account().holder.user
    client = client_for(user)
    assert look(client, three_keys["ours"]).status_code == 200  # their entry in Redis says active

    user.is_active = False
    user.save(update_fields=["is_active"])  # committed: the write-through rewrites the entry

    assert json.loads(redis().client.get(redis().key(payer_entry_key(user.pk)))) == {"a": 0}
    with CaptureQueriesContext(connection) as queries:
        refused = look(client, three_keys["ours"])
    assert (refused.status_code, refused.json()["code"]) == (401, "Unauthorized")
    assert 'error="invalid_token"' in refused["WWW-Authenticate"]
    assert tables_read(queries) == set()  # refused by the entry, in the lookup's one call


def test_a_deactivated_user_is_refused_over_grpc_too(make_account, three_keys) -> None:
    user = make_account().holder.user
    server = new_server(workers=2, interceptors=server_interceptors())
    port, _ = start_server(server, address="127.0.0.1:0", service_names=grpc_handlers(server))
    metadata = (("authorization", f"Bearer {AccessToken.for_user(user)}"),)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            lookup = core_dict_pb2_grpc.CoreDictServiceStub(channel).LookupKey
            assert lookup(pb.LookupKeyRequest(key=three_keys["ours"]), metadata=metadata).name
            user.is_active = False
            user.save(update_fields=["is_active"])
            with pytest.raises(grpc.RpcError) as refused:
                lookup(pb.LookupKeyRequest(key=three_keys["ours"]), metadata=metadata)
    finally:
        server.stop(None).wait()
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_the_view_follows_a_delete_and_a_new_key_on_commit(make_account, make_entry, client_for, three_keys) -> None:
    owner = make_account()
    client = client_for(make_account().holder.user)
    rebuild_own_view()
    gone = make_entry(owner, "EMAIL")
    assert look(client, gone.key_value).status_code == 200  # written through when it went ACTIVE

    deleted = client_for(owner.holder.user).delete(f"/api/v1/keys/{gone.pk}/")
    assert deleted.status_code in {200, 202}
    assert look(client, gone.key_value).status_code == 404  # a tombstone now: DICT is asked, and has none


def test_a_stale_write_never_overwrites_a_newer_state(make_account, make_entry) -> None:
    """Versions are read times: a rebuild that read before a delete cannot bring the key back."""
    entry = make_entry(make_account(), "EMAIL")
    name = redis().key(own_view_key(entry.key_value))
    entry.status = "DELETED"
    entry.save(update_fields=["status"])  # the on-commit refresh stores a tombstone, stamped now
    refresh_own_entry(entry.key_value)
    stale = json.dumps({"v": 1, "e": {"key": entry.key_value}})
    assert redis().client.eval(WRITE_IF_NEWER_LUA, 1, name, 1, stale, 0) == 0
    assert json.loads(redis().client.get(name))["e"] is None


def test_a_rebuild_prunes_what_is_no_longer_ours_and_marks_the_view_complete(make_account, make_entry) -> None:
    kept = make_entry(make_account(), "EMAIL").key_value
    leftover = redis().key(own_view_key(unknown_email()))
    redis().client.set(leftover, json.dumps({"v": 1, "e": {"key": "x"}}))  # missed a change long ago
    assert rebuild_own_view() >= 1
    assert redis().client.get(leftover) is None
    assert json.loads(redis().client.get(redis().key(own_view_key(kept))))["e"]["key"] == kept
    assert redis().client.exists(redis().key(OWN_READY))


def test_a_payment_report_by_someone_else_leaves_the_payers_record(make_account, client_for, three_keys) -> None:
    payer, other = client_for(make_account().holder.user), client_for(make_account().holder.user)
    e2e = look(payer, three_keys["theirs"]).json()["end_to_end_id"]
    report = {"end_to_end_id": e2e}
    assert other.post("/api/v1/lookup/payments/", report, format="json").status_code == 404
    assert payer.post("/api/v1/lookup/payments/", report, format="json").status_code == 200
    assert payer.post("/api/v1/lookup/payments/", report, format="json").status_code == 404  # once


def test_lookups_count_on_the_same_per_client_limit_as_every_other_call(
    make_account, client_for, three_keys, settings
) -> None:
    """The lookup's script counts on ClientRateThrottle's own counter: one limit on the whole API."""
    settings.RATE_LIMIT_RPS = 2
    client = client_for(make_account().holder.user)
    time.sleep(1 - time.time() % 1 + 0.01)  # the start of a one-second window: the calls below fall in it
    assert [client.get("/api/v1/accounts/").status_code for _ in range(2)] == [200, 200]
    refused = look(client, three_keys["ours"])
    assert (refused.status_code, refused.json()["code"], refused["Retry-After"]) == (429, "RateLimited", "1")


def test_refused_lookups_count_on_the_per_client_limit_too(make_account, client_for, three_keys, settings) -> None:
    """Refusals before the script (a value that is no key) are counted as the edge's throttle counted them."""
    settings.RATE_LIMIT_RPS = 2
    client = client_for(make_account().holder.user)
    time.sleep(1 - time.time() % 1 + 0.01)  # the start of a one-second window: the calls below fall in it
    assert [look(client, "not a key").status_code for _ in range(2)] == [400, 400]
    assert look(client, three_keys["ours"]).status_code == 429


def test_a_key_the_view_missed_is_answered_as_ours_and_written_back(make_account, client_for, three_keys) -> None:
    """DICT refuses to look up our own key (a book transfer): the database says it is ours, so it is."""
    client = client_for(make_account().holder.user)
    expected = answer(look(client, three_keys["ours"]))
    rebuild_own_view()
    redis().client.delete(redis().key(own_view_key(three_keys["ours"])))  # a write the view never got

    assert answer(look(client, three_keys["ours"])) == expected
    assert (
        json.loads(redis().client.get(redis().key(own_view_key(three_keys["ours"]))))["e"]["key"] == three_keys["ours"]
    )


def test_a_holder_moved_to_another_login_is_no_longer_the_old_logins_payer(
    make_user, make_account, client_for, three_keys
) -> None:
    holder = make_account().holder
    old_login = holder.user
    client = client_for(old_login)
    assert look(client, three_keys["ours"]).status_code == 200  # their entry in Redis names the holder

    holder.user = make_user()
    holder.save(update_fields=["user"])

    refused = look(client, three_keys["ours"])
    assert (refused.status_code, refused.json()["code"]) == (403, "Forbidden")  # no holder now: no customer
    assert look(client_for(holder.user), three_keys["ours"]).status_code == 200


def test_the_rebuild_command_marks_the_view_complete(make_account, make_entry) -> None:
    make_entry(make_account(), "EMAIL")
    out = StringIO()
    call_command("own_view_rebuild", stdout=out)
    assert out.getvalue().strip().endswith("own-key view rebuilt: 1 keys")
    assert redis().client.exists(redis().key(OWN_READY))
