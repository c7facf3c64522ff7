"""Anti-scan token buckets shared by every replica: one Lua script in Redis, or an in-process twin.

Both apply dict_rules.buckets.settle, the one copy of DICT's math: the in-process store calls it
under a lock, the Lua script mirrors it step for step and runs atomically in Redis
(tests/test_buckets.py checks that the two agree). With Redis, the script reads Redis's own
clock unless the caller passes one, so replicas with skewed clocks still share one timeline.
"""

import functools
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from common.redis_client import LOOKUP_TAG, SharedRedis, shared_redis
from dict_rules.buckets import BucketPolicy, BucketState, Settlement, settle

# The buckets' math in Lua, shared by SETTLE_LUA and the lookup's script (lookup/store.py). ``specs[i]``
# is {capacity, refill_tokens, refill_period_ms, delta} of ``bkeys[i]``; ``now`` is ms. Returns allowed
# (1/0), retry_after_sec, and each bucket's tokens and refilled_at_ms. A bucket's hash expires (timed
# from ``now``) once it would be full again, which a missing bucket already is.
BUCKETS_LUA = """
local function clock_ms(arg)
  local now = tonumber(arg)
  if now then return now end
  local clock = redis.call('TIME')
  return tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
end
local function settle_buckets(bkeys, specs, now, gated)
  local tokens, at = {}, {}
  local empty, longest = false, 0
  for i = 1, #bkeys do
    local cap, refill, period = specs[i][1], specs[i][2], specs[i][3]
    local saved = redis.call('HMGET', bkeys[i], 'tokens', 'at')
    local t, t_at = tonumber(saved[1]), tonumber(saved[2])
    if t == nil then
      t, t_at = cap, now
    else
      local periods = math.max(0, math.floor((now - t_at) / period))
      t = math.min(cap, t + periods * refill)
      if t >= cap then t_at = now else t_at = t_at + periods * period end
    end
    tokens[i], at[i] = t, t_at
    if t <= 0 then
      empty = true
      longest = math.max(longest, t_at + (math.floor(-t / refill) + 1) * period - now)
    end
  end
  if gated and empty then
    return 0, math.max(1, math.ceil(longest / 1000)), tokens, at
  end
  for i = 1, #bkeys do
    local cap, refill, period = specs[i][1], specs[i][2], specs[i][3]
    tokens[i] = math.min(cap, tokens[i] + specs[i][4])
    redis.call('HSET', bkeys[i], 'tokens', tokens[i], 'at', at[i])
    local periods_to_full = math.ceil(math.max(0, cap - tokens[i]) / refill)
    redis.call('PEXPIRE', bkeys[i], at[i] + (periods_to_full + 1) * period - now)
  end
  return 1, 0, tokens, at
end
"""

# KEYS: the buckets. ARGV: now_ms ('' = Redis's clock), gated (1/0), then for each bucket its
# capacity, refill_tokens, refill_period_ms and delta. Returns allowed (1/0), retry_after_sec,
# then tokens and refilled_at_ms of each bucket.
SETTLE_LUA = (
    BUCKETS_LUA
    + """
local specs = {}
for i = 1, #KEYS do
  local a = 2 + (i - 1) * 4
  specs[i] = {tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])}
end
local allowed, retry_after, tokens, at = settle_buckets(KEYS, specs, clock_ms(ARGV[1]), ARGV[2] == '1')
local reply = {allowed, retry_after}
for i = 1, #KEYS do
  reply[#reply + 1] = tokens[i]
  reply[#reply + 1] = at[i]
end
return reply
"""
)


@dataclass(frozen=True)
class Charge:
    """A change to one bucket: ``bucket`` names it (never with PII), ``delta`` < 0 debits."""

    bucket: str
    policy: BucketPolicy
    delta: int


class BucketStore(Protocol):
    def settle(self, charges: Sequence[Charge], *, gated: bool, now_ms: int | None = None) -> Settlement: ...


def _clock_ms() -> int:
    return time.time_ns() // 1_000_000


class LocalBuckets:
    """The embedded default (no Redis): one process's buckets, behind a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[str, BucketState] = {}

    def settle(self, charges: Sequence[Charge], *, gated: bool, now_ms: int | None = None) -> Settlement:
        now = _clock_ms() if now_ms is None else now_ms
        with self._lock:
            buckets = [(c.policy, self._states.get(c.bucket), c.delta) for c in charges]
            result = settle(buckets, now_ms=now, gated=gated)
            self._states.update(zip((c.bucket for c in charges), result.states, strict=True))
        return result


def bucket_key(bucket: str) -> str:
    """A bucket's Redis name, under the hash tag every lookup script's keys share (common.redis_client)."""
    return f"{LOOKUP_TAG}:bucket:{bucket}"


class RedisBuckets:
    """Buckets in Redis, beside the cache and under its key prefix; one atomic script per call."""

    def __init__(self, redis: SharedRedis | None = None) -> None:
        self._redis = redis or shared_redis()
        self._script = self._redis.client.register_script(SETTLE_LUA)

    def settle(self, charges: Sequence[Charge], *, gated: bool, now_ms: int | None = None) -> Settlement:
        keys = [self._redis.key(bucket_key(c.bucket)) for c in charges]
        args: list[int | str] = ["" if now_ms is None else now_ms, 1 if gated else 0]
        for c in charges:
            args += [c.policy.capacity, c.policy.refill_tokens, c.policy.refill_period_ms, c.delta]
        allowed, retry_after, *flat = self._script(keys=keys, args=args)
        states = tuple(
            BucketState(tokens=int(flat[i]), refilled_at_ms=int(flat[i + 1])) for i in range(0, len(flat), 2)
        )
        return Settlement(states=states, allowed=bool(allowed), retry_after_sec=int(retry_after))


_local_buckets = LocalBuckets()


@functools.cache
def _redis_buckets(redis: SharedRedis) -> RedisBuckets:
    return RedisBuckets(redis)


def get_buckets() -> BucketStore:
    """Redis when the cache is Redis (every replica shares it; one store per client), else this process's own."""
    redis = shared_redis()
    return _local_buckets if redis is None else _redis_buckets(redis)
