"""Anti-scan token buckets: the pure math, and the Redis Lua and in-process stores agreeing with it.

Every call passes ``now_ms`` explicitly, so no test sleeps.
"""

import random
import threading
import time

import pytest
from django.core.cache import cache
from django_redis import get_redis_connection

from dict_rules.buckets import BucketPolicy, BucketState, psp_policy, settle
from lookup.buckets import Charge, LocalBuckets, RedisBuckets, get_buckets

NATURAL = BucketPolicy(capacity=100, refill_tokens=2)
LEGAL = BucketPolicy(capacity=1000, refill_tokens=20)
T0 = 1_750_000_000_000
MINUTE = 60_000


def one(policy: BucketPolicy, state: BucketState | None, delta: int, now_ms: int, gated: bool = True):
    return settle([(policy, state, delta)], now_ms=now_ms, gated=gated)


def test_a_new_bucket_starts_full_and_each_call_takes_its_delta() -> None:
    first = one(NATURAL, None, -1, T0)
    assert (first.allowed, first.retry_after_sec, first.states) == (True, 0, (BucketState(99, T0),))


def test_refill_adds_whole_periods_only_and_keeps_the_period_phase() -> None:
    empty = BucketState(tokens=0, refilled_at_ms=T0)
    assert one(NATURAL, empty, 0, T0 + MINUTE - 1, gated=False).states == (BucketState(0, T0),)
    assert one(NATURAL, empty, 0, T0 + MINUTE, gated=False).states == (BucketState(2, T0 + MINUTE),)
    assert one(NATURAL, empty, 0, T0 + 150_000, gated=False).states == (BucketState(4, T0 + 2 * MINUTE),)


def test_refill_stops_at_capacity_and_a_full_bucket_banks_no_time() -> None:
    nearly_full = BucketState(tokens=99, refilled_at_ms=T0)
    after_an_hour = one(NATURAL, nearly_full, -1, T0 + 60 * MINUTE)
    assert after_an_hour.states == (BucketState(99, T0 + 60 * MINUTE),)
    # The clock restarted when the bucket was full: 59 s later nothing has come back yet.
    assert one(NATURAL, after_an_hour.states[0], 0, T0 + 61 * MINUTE - 1).states[0].tokens == 99


def test_the_manuals_example_five_tokens_a_404_gives_minus_fifteen_and_eight_minutes() -> None:
    five = BucketState(tokens=5, refilled_at_ms=T0)
    miss = one(NATURAL, five, -20, T0, gated=False)
    assert miss.states == (BucketState(-15, T0),)
    refused = one(NATURAL, miss.states[0], -1, T0)
    assert (refused.allowed, refused.retry_after_sec, refused.states) == (False, 480, (BucketState(-15, T0),))
    after_seven = one(NATURAL, miss.states[0], -1, T0 + 7 * MINUTE)
    assert (after_seven.allowed, after_seven.retry_after_sec, after_seven.states[0].tokens) == (False, 60, -1)
    after_eight = one(NATURAL, miss.states[0], -1, T0 + 8 * MINUTE)
    assert (after_eight.allowed, after_eight.states[0].tokens) == (True, 0)


def test_zero_tokens_is_refused_and_retry_after_rounds_up_to_at_least_one_second() -> None:
    empty = BucketState(tokens=0, refilled_at_ms=T0)
    assert one(NATURAL, empty, -1, T0 + 1).retry_after_sec == 60  # 59.999 s
    assert one(NATURAL, empty, -1, T0 + MINUTE - 1).retry_after_sec == 1  # 1 ms
    assert one(NATURAL, BucketState(1, T0), -1, T0).allowed is True


def test_an_ungated_debit_goes_negative_and_a_credit_stops_at_capacity() -> None:
    assert one(NATURAL, BucketState(0, T0), -19, T0, gated=False).states[0].tokens == -19
    assert one(NATURAL, BucketState(99, T0), 2, T0, gated=False).states[0].tokens == 100
    assert one(LEGAL, BucketState(997, T0), 2, T0, gated=False).states[0].tokens == 999


def test_a_gated_call_on_two_buckets_is_all_or_nothing_and_waits_for_the_slowest() -> None:
    payer_empty = BucketState(tokens=-3, refilled_at_ms=T0)  # refill 2/min: 2 periods to get above 0
    psp_full = None
    refused = settle([(NATURAL, payer_empty, -1), (psp_policy("H"), psp_full, -1)], now_ms=T0, gated=True)
    assert refused.allowed is False
    assert refused.retry_after_sec == 120
    assert refused.states == (BucketState(-3, T0), BucketState(50, T0))
    allowed = settle([(NATURAL, BucketState(1, T0), -1), (psp_policy("H"), None, -1)], now_ms=T0, gated=True)
    assert allowed.states == (BucketState(0, T0), BucketState(49, T0))


def test_psp_policies_follow_dicts_category_table() -> None:
    assert psp_policy("A") == BucketPolicy(capacity=50_000, refill_tokens=25_000)
    assert psp_policy("E") == BucketPolicy(capacity=5_000, refill_tokens=2_500)
    assert psp_policy("H") == BucketPolicy(capacity=50, refill_tokens=2)
    with pytest.raises(ValueError, match="category 'Z'"):
        psp_policy("Z")


def test_the_psp_bucket_of_category_h_refuses_after_seventeen_misses() -> None:
    """Each miss costs 3 (1 reserved, 2 more after the 404): 50 tokens allow 17, then -1 waits a minute."""
    policy, state, misses = psp_policy("H"), None, 0
    while (reserved := settle([(policy, state, -1)], now_ms=T0, gated=True)).allowed:
        state = settle([(policy, reserved.states[0], -2)], now_ms=T0, gated=False).states[0]
        misses += 1
    assert (misses, state.tokens, reserved.retry_after_sec) == (17, -1, 60)


def scripted_sequence(seed: int) -> list[tuple[int, list[tuple[str, BucketPolicy, int]], bool]]:
    """Calls on two buckets: debits, 404 surcharges, credits, time going on (and once backwards)."""
    rng = random.Random(seed)
    policies = {"payer": BucketPolicy(capacity=10, refill_tokens=2), "psp": BucketPolicy(capacity=7, refill_tokens=3)}
    now, calls = T0, []
    for step in range(300):
        now += rng.choice([0, 0, 1, 999, 1_000, 29_999, 30_000, 60_000, 61_234, 300_000])
        if step == 150:
            now -= 90_000  # another replica's clock behind
        kind = rng.choice(["reserve", "reserve", "miss", "credit"])
        if kind == "reserve":
            calls.append((now, [("payer", policies["payer"], -1), ("psp", policies["psp"], -1)], True))
        elif kind == "miss":
            calls.append((now, [("payer", policies["payer"], -19), ("psp", policies["psp"], -2)], False))
        else:
            calls.append((now, [("payer", policies["payer"], rng.choice([1, 2])), ("psp", policies["psp"], 1)], False))
    return calls


def run(store, prefix: str, calls) -> list:
    return [
        store.settle(
            [Charge(f"{prefix}:{name}", policy, delta) for name, policy, delta in charges], gated=gated, now_ms=now
        )
        for now, charges, gated in calls
    ]


def test_redis_lua_and_in_process_buckets_give_identical_results() -> None:
    calls = scripted_sequence(seed=7)
    local = run(LocalBuckets(), "parity", calls)
    redis = run(RedisBuckets(), "parity", calls)
    assert redis == local
    # The sequence really went through refusals, negative balances and full buckets.
    assert {s.allowed for s in local} == {True, False}
    payer_tokens = {s.states[0].tokens for s in local}
    assert min(payer_tokens) < 0 and max(payer_tokens) == 10


def test_redis_buckets_live_under_the_cache_prefix_and_expire_once_they_would_be_full() -> None:
    RedisBuckets().settle([Charge("ttl-check", NATURAL, -21)], gated=False, now_ms=T0)
    key = cache.make_key("{lookup}:bucket:ttl-check")
    connection = get_redis_connection("default")
    assert connection.hgetall(key) == {b"tokens": b"79", b"at": str(T0).encode()}
    # 21 tokens at 2 a minute come back in 11 periods; the hash lasts one period longer.
    assert 12 * MINUTE - 5_000 < connection.pttl(key) <= 12 * MINUTE


def test_redis_buckets_use_redis_clock_when_no_time_is_given() -> None:
    before = time.time_ns() // 1_000_000
    result = RedisBuckets().settle([Charge("clock-check", NATURAL, -1)], gated=True)
    after = time.time_ns() // 1_000_000
    assert result.allowed is True
    assert before - 1_000 <= result.states[0].refilled_at_ms <= after + 1_000


@pytest.mark.parametrize("store_class", [LocalBuckets, RedisBuckets])
def test_concurrent_reservations_never_take_more_than_the_bucket_holds(store_class) -> None:
    store = store_class()
    policy = BucketPolicy(capacity=5, refill_tokens=1)
    answers: list[bool] = []
    barrier = threading.Barrier(20)

    def reserve() -> None:
        barrier.wait()
        answers.append(store.settle([Charge("race", policy, -1)], gated=True, now_ms=T0).allowed)

    threads = [threading.Thread(target=reserve) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [False] * 15 + [True] * 5


def test_the_store_follows_the_cache_backend(settings) -> None:
    assert isinstance(get_buckets(), RedisBuckets)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert isinstance(get_buckets(), LocalBuckets)
    assert get_buckets() is get_buckets()  # one in-process store, shared by every request
