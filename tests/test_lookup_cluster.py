"""The lookup's Redis scripts on a real Redis Cluster (issue 16, "Scaling out").

On a cluster a script may only touch keys of one hash slot. Every name a lookup's script touches
carries the hash tag ``{lookup}`` (common.redis_client), so they all sit in one slot, on one node.
These tests run the scripts with the exact names ``lookup_call`` / ``finish_call`` give, prefixed as
a deployment's cache prefixes them, on three real nodes; and show the same names untagged refused.
"""

import json
from collections.abc import Iterator
from dataclasses import asdict

import pytest
from redis.cluster import RedisCluster
from redis.commands.core import Script
from redis.crc import key_slot
from redis.exceptions import ClusterCrossSlotError

from common.redis_client import LOOKUP_TAG, SharedRedis
from dict_rules.buckets import PAYER_COST, PSP_COST, psp_policy
from dict_rules.lookups import PayerView
from dict_rules.tax_ids import PersonType
from keys.own_view import OWN_READY, WRITE_IF_NEWER_LUA, OwnEntryView, decode_own_view, own_view_key
from lookup.buckets import RedisBuckets
from lookup.payers import Payer, payer_entry_key
from lookup.store import (
    FINISH_LUA,
    LOOKUP_LUA,
    TAKE_LUA,
    Finish,
    finish_call,
    lookup_call,
    payer_charge,
    payer_policy,
    payment_key,
    psp_charge,
)
from tests.redis_cluster import redis_cluster

# What cache.make_key puts before a name in a deployment: KEY_PREFIX "coredict:<ISPB>", version 1.
PREFIX = "coredict:12345678:1:"
USER_ID, HOLDER_ID = 7, 42
PAYER = Payer(user_id=USER_ID, holder_id=HOLDER_ID, tax_id="52998224725", person_type=PersonType.NATURAL_PERSON)
# The user's entry as lookup.payers writes it: active, holder, tax id, person type.
PAYER_ENTRY = {"a": 1, "h": HOLDER_ID, "t": PAYER.tax_id, "p": PAYER.person_type}
OWN = OwnEntryView(
    key="alice@example.com",
    key_type="EMAIL",
    person_type=PersonType.NATURAL_PERSON,
    tax_id="11144477735",
    name="Alice",
    trade_name="",
    ispb="12345678",
    branch="0001",
    account_number="0012345",
    account_type="CACC",
    opening_date="2020-01-01",
    created_at="2024-01-01T00:00:00+00:00",
    key_ownership_date="2024-01-01T00:00:00+00:00",
)
ELSEWHERE = "bob@example.com"  # another PSP's key: the directory is asked
E2E = "E1234567820260101000000000000001"


@pytest.fixture(scope="module")
def cluster_client(tmp_path_factory) -> Iterator[RedisCluster]:
    with redis_cluster(tmp_path_factory.mktemp("redis-cluster")) as client:
        yield client


@pytest.fixture
def cluster(cluster_client: RedisCluster, settings) -> RedisCluster:
    """The cluster emptied, and the per-client limit on, so the rate counter is one of the script's keys."""
    settings.RATE_LIMIT_RPS = 50
    cluster_client.flushall()
    return cluster_client


def _run(script: Script, call: tuple[list[str], list]) -> list:
    keys, args = call
    return script(keys=[PREFIX + name for name in keys], args=args)


def _lookup(
    key: str, *, named: Payer | None = None, end_to_end_id: str = E2E, count: bool = True
) -> tuple[list[str], list]:
    return lookup_call(
        caller_id=USER_ID,
        named=named,
        key=key,
        end_to_end_id=end_to_end_id,
        use_answer_cache=True,
        own_mode="redis",
        count=count,
    )


def _store_payer_entry(cluster: RedisCluster) -> None:
    cluster.set(PREFIX + payer_entry_key(USER_ID), json.dumps(PAYER_ENTRY))


def _tokens(cluster: RedisCluster, name: str) -> int:
    return int(cluster.hget(PREFIX + name, "tokens"))


def test_an_own_key_lookup_runs_on_the_cluster(cluster):
    lookup = cluster.register_script(LOOKUP_LUA)
    first = _lookup(OWN.key)
    assert _run(lookup, first) == [b"need_payer"]
    counter = first[0][7]  # django-ratelimit's per-client counter: the call is counted on its first try

    _store_payer_entry(cluster)
    view = json.dumps({"v": 1, "e": asdict(OWN)})  # as keys.own_view writes it through, by its own script
    assert cluster.eval(WRITE_IF_NEWER_LUA, 1, PREFIX + own_view_key(OWN.key), 1, view, 0) == 1
    status, source, own, entry = _run(lookup, _lookup(OWN.key, count=False))  # the store's retry of that call

    assert (status, source) == (b"ok", b"own")
    assert decode_own_view(own) == OWN
    assert json.loads(entry) == PAYER_ENTRY
    assert cluster.get(PREFIX + counter) == b"1"  # counted in the script, once for the call and its retry
    assert cluster.get(PREFIX + payment_key(E2E)) == f"{USER_ID}:0".encode()
    assert _tokens(cluster, first[0][1]) == payer_policy(PAYER.person_type).capacity - PAYER_COST.found


def test_a_directory_lookup_reserves_then_finishes_and_a_payment_takes_its_record(cluster, settings):
    _store_payer_entry(cluster)
    cluster.set(PREFIX + OWN_READY, 1)  # the own-key view is complete, and the key is not in it
    call = _lookup(ELSEWHERE)
    keys = call[0]
    payer_capacity = payer_policy(PAYER.person_type).capacity
    psp_capacity = psp_policy(settings.LOOKUP_PSP_CATEGORY).capacity

    assert _run(cluster.register_script(LOOKUP_LUA), call)[:3] == [b"ok", b"directory", b""]
    assert _tokens(cluster, keys[1]) == payer_capacity - PAYER_COST.not_found  # the worst case, reserved
    assert _tokens(cluster, keys[2]) == psp_capacity - PSP_COST.not_found

    answer = PayerView(ELSEWHERE, "EMAIL", PersonType.LEGAL_PERSON, "Bob Ltda", "Bob", "12345678000195", "87654321")
    give_back = (PAYER_COST.not_found - PAYER_COST.found, PSP_COST.not_found - PSP_COST.found)  # DICT found it
    finish = finish_call(Finish(PAYER, ELSEWHERE, give_back, answer=answer, answer_ttl=60, end_to_end_id=E2E))
    assert _run(cluster.register_script(FINISH_LUA), finish) == 1
    assert _tokens(cluster, keys[1]) == payer_capacity - PAYER_COST.found
    assert _tokens(cluster, keys[2]) == psp_capacity - PSP_COST.found
    assert json.loads(cluster.get(PREFIX + finish[0][2])) == asdict(answer)

    take = cluster.register_script(TAKE_LUA)
    record = [PREFIX + payment_key(E2E)]
    assert take(keys=record, args=[f"{USER_ID + 1}:"]) is None  # someone else's report spends nothing
    assert take(keys=record, args=[f"{USER_ID}:"]) == b"1"  # DICT was asked: the PSP's credit too
    assert take(keys=record, args=[f"{USER_ID}:"]) is None


def test_the_buckets_settle_both_buckets_on_the_cluster(cluster):
    buckets = RedisBuckets(SharedRedis(client=cluster, prefix=PREFIX))

    settlement = buckets.settle([payer_charge(PAYER, -PAYER_COST.found), psp_charge(-PSP_COST.found)], gated=True)

    assert settlement.allowed
    assert [state.tokens for state in settlement.states] == [
        payer_charge(PAYER, 0).policy.capacity - PAYER_COST.found,
        psp_charge(0).policy.capacity - PSP_COST.found,
    ]


def _untagged(names: list[str]) -> list[str]:
    return [name.replace(LOOKUP_TAG, LOOKUP_TAG.strip("{}")) for name in names]


def _finish(key: str, *, payer: Payer = PAYER, end_to_end_id: str | None = E2E) -> tuple[list[str], list]:
    return finish_call(Finish(payer, key, (1, 1), end_to_end_id=end_to_end_id))


@pytest.mark.parametrize(("script", "call"), [(LOOKUP_LUA, _lookup), (FINISH_LUA, _finish)], ids=["lookup", "finish"])
def test_without_the_hash_tag_the_cluster_refuses_the_script(cluster, script, call):
    """Sent to the node of the first key's slot by a plain connection: the refusal is the server's own
    (redis-py's cluster client would refuse before sending)."""
    keys, args = call(OWN.key)
    tagged, untagged = [PREFIX + name for name in keys], [PREFIX + name for name in _untagged(keys)]

    def on_first_keys_node(names: list[str]):
        node = cluster.get_redis_connection(cluster.get_node_from_key(names[0]))
        return node.eval(script, len(names), *names, *args)

    on_first_keys_node(tagged)
    with pytest.raises(ClusterCrossSlotError):  # the server's CROSSSLOT error
        on_first_keys_node(untagged)


def test_every_name_of_a_call_hashes_to_the_lookup_slot(settings):
    """For any user, key and EndToEndId, whoever pays: with a deployment's prefix, the rate counter included."""
    settings.RATE_LIMIT_RPS = 50
    slot = key_slot(LOOKUP_TAG.strip("{}").encode())
    names: list[str] = []
    for user_id, key, end_to_end_id in [
        (1, "alice@example.com", E2E),
        (12345, "+5561988887777", "E8765432120261231235959123456789"),
        (987654321, "123e4567-e89b-12d3-a456-426614174000", "E0000000020260615120000abcdef012"),
    ]:
        payer = Payer(user_id=user_id, holder_id=user_id + 1, tax_id="52998224725", person_type=PersonType.LEGAL_PERSON)
        for named in (None, payer):
            names += _lookup(key, named=named, end_to_end_id=end_to_end_id)[0]
        for e2e in (end_to_end_id, None):
            names += _finish(key, payer=payer, end_to_end_id=e2e)[0]

    # Every lookup counts on its caller's counter, a risk engine's (named payer) too: 3 users x 2 lookups.
    assert sum(name.startswith(settings.RATELIMIT_CACHE_PREFIX) for name in names) == 6
    assert {key_slot((PREFIX + name).encode()) for name in names} == {slot}
