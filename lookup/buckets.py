"""Anti-scan token buckets shared by every replica: one Lua script in Redis, or an in-process twin.

Both apply dict_rules.buckets.settle, the one copy of DICT's math: the in-process store calls it
under a lock, the Lua script mirrors it step for step and runs atomically in Redis
(tests/test_buckets.py checks that the two agree). With Redis, the script reads Redis's own
clock unless the caller passes one, so replicas with skewed clocks still share one timeline.
"""

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from django.core.cache import cache, caches
from django_redis import get_redis_connection
from django_redis.cache import RedisCache

from dict_rules.buckets import BucketPolicy, BucketState, Settlement, settle

# KEYS: the buckets. ARGV: now_ms ('' = Redis's clock), gated (1/0), then for each bucket its
# capacity, refill_tokens, refill_period_ms and delta. Returns allowed (1/0), retry_after_sec,
# then tokens and refilled_at_ms of each bucket. A bucket's hash expires (timed from the script's
# ``now``) once it would be full again, which a missing bucket already is.
SETTLE_LUA = """
local now = tonumber(ARGV[1])
if not now then
  local clock = redis.call('TIME')
  now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
end
local gated = ARGV[2] == '1'
local cap, refill, period, delta, tokens, at = {}, {}, {}, {}, {}, {}
local empty, longest = false, 0
for i = 1, #KEYS do
  local a = 2 + (i - 1) * 4
  cap[i], refill[i] = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  period[i], delta[i] = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  local saved = redis.call('HMGET', KEYS[i], 'tokens', 'at')
  local t, t_at = tonumber(saved[1]), tonumber(saved[2])
  if t == nil then
    t, t_at = cap[i], now
  else
    local periods = math.max(0, math.floor((now - t_at) / period[i]))
    t = math.min(cap[i], t + periods * refill[i])
    if t >= cap[i] then t_at = now else t_at = t_at + periods * period[i] end
  end
  tokens[i], at[i] = t, t_at
  if t <= 0 then
    empty = true
    longest = math.max(longest, t_at + (math.floor(-t / refill[i]) + 1) * period[i] - now)
  end
end
local allowed, retry_after = 1, 0
if gated and empty then
  allowed, retry_after = 0, math.max(1, math.ceil(longest / 1000))
else
  for i = 1, #KEYS do tokens[i] = math.min(cap[i], tokens[i] + delta[i]) end
end
local reply = {allowed, retry_after}
for i = 1, #KEYS do
  redis.call('HSET', KEYS[i], 'tokens', tokens[i], 'at', at[i])
  local periods_to_full = math.ceil(math.max(0, cap[i] - tokens[i]) / refill[i])
  redis.call('PEXPIRE', KEYS[i], at[i] + (periods_to_full + 1) * period[i] - now)
  reply[#reply + 1] = tokens[i]
  reply[#reply + 1] = at[i]
end
return reply
"""


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


class RedisBuckets:
    """Buckets in Redis, beside the cache and under its key prefix; one atomic script per call."""

    def __init__(self) -> None:
        self._script = get_redis_connection("default").register_script(SETTLE_LUA)

    def settle(self, charges: Sequence[Charge], *, gated: bool, now_ms: int | None = None) -> Settlement:
        keys = [cache.make_key(f"lookup:bucket:{c.bucket}") for c in charges]
        args: list[int | str] = ["" if now_ms is None else now_ms, 1 if gated else 0]
        for c in charges:
            args += [c.policy.capacity, c.policy.refill_tokens, c.policy.refill_period_ms, c.delta]
        allowed, retry_after, *flat = self._script(keys=keys, args=args)
        states = tuple(
            BucketState(tokens=int(flat[i]), refilled_at_ms=int(flat[i + 1])) for i in range(0, len(flat), 2)
        )
        return Settlement(states=states, allowed=bool(allowed), retry_after_sec=int(retry_after))


_local_buckets = LocalBuckets()


def get_buckets() -> BucketStore:
    """Redis when the cache is Redis (every replica shares it), else this process's own buckets."""
    if isinstance(caches["default"], RedisCache):  # django-redis, or django-prometheus' wrapper of it
        return RedisBuckets()
    return _local_buckets
