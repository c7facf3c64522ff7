"""Where a lookup keeps its state: one Redis script per lookup, or the in-process twin without Redis.

With Redis, everything a lookup needs before it answers is one round trip (``LOOKUP_LUA``): the
payer's entry (active, holder, tax id, person type: ``lookup.payers``), the per-client request limit
(django-ratelimit's own counter, so REST and gRPC calls of any kind share it), the own-key view
(``keys.own_view``) or a legal person's cached directory answer, the anti-scan buckets (the worst
case reserved when the directory must be asked), and the EndToEndId's payment record for an answer
given here. A directory answer costs one more (``FINISH_LUA``): the give-back, the legal person's
answer cached and the payment record. A miss keeps the whole reservation and records nothing.

Every key one script touches carries the hash tag ``{lookup}`` (``common.redis_client``), so the
scripts run on Redis Cluster too: all of them live in one slot, on one node (docs/performance.md).

Rare paths cost a second round trip, never a wrong answer: a payer entry not in Redis yet is read
from the database and the script runs again; so is a key absent from an incomplete own-key view.
"""

import functools
import json
from dataclasses import asdict, dataclass
from hashlib import sha256
from typing import Protocol

from django.conf import settings
from django.core.cache import cache
from redis.commands.core import Script

from common.redis_client import LOOKUP_TAG, SharedRedis, shared_redis
from common.throttling import count_user_request, user_counter
from dict_rules.buckets import PAYER_COST, PSP_COST, BucketPolicy, psp_policy
from dict_rules.errors import Forbidden, RateLimited, ServiceUnavailable, Unauthenticated
from dict_rules.lookups import PayerView
from dict_rules.tax_ids import PersonType
from keys.own_view import OWN_READY, OwnEntryView, decode_own_view, own_entry_from_db, own_view_key, warm_own_view
from lookup.buckets import BUCKETS_LUA, Charge, bucket_key, get_buckets
from lookup.metrics import count_refusal
from lookup.payers import Payer, payer_entry, payer_entry_key, payer_from_entry, store_missing_payer_entry

# A payment order may follow a lookup for this long and still earn its tokens back.
END_TO_END_ID_TTL_SEC = 24 * 3600
NO_USER = "The access token's user does not exist or is inactive."
NOT_A_CUSTOMER = "Only a customer (an account holder) may look up keys."

# KEYS: 1 payer entry, 2 payer bucket, 3 PSP bucket, 4 own view, 5 own view's ready marker, 6 cached answer,
# 7 payment record, 8 per-client counter (counted first, as the edge's throttle would: every call counts,
# whatever refuses it; a retry of the script passes limit 0, so one call counts once).
# ARGV: 1 now_ms ('' = Redis's clock), 2 payer mode ('entry': read KEYS[1]; 'named': person type in 3),
# 4 own mode ('redis', 'given': ours, read by the caller; 'absent'),
# 5 use the answer cache (1/0), 6 per-client limit (0: off), 7 its counter's seconds, 8 payment record,
# 9 its seconds, 10-12 natural payer policy, 13-15 legal payer policy, 16-18 PSP policy (capacity,
# refill tokens, period ms), 19 payer's found price, 20 payer's 404 price, 21 PSP's 404 price.
LOOKUP_LUA = (
    BUCKETS_LUA
    + """
if tonumber(ARGV[6]) > 0 then
  local count = redis.call('INCR', KEYS[8])
  if count == 1 then redis.call('EXPIRE', KEYS[8], ARGV[7]) end
  if count > tonumber(ARGV[6]) then return {'rate_limited'} end
end
local entry, person = false, ARGV[3]
if ARGV[2] == 'entry' then
  entry = redis.call('GET', KEYS[1])
  if not entry then return {'need_payer'} end
  local e = cjson.decode(entry)
  if e['a'] == 0 then return {'inactive'} end
  if e['h'] == cjson.null then return {'not_customer'} end
  person = e['p']
end
local view, source = false, 'directory'
if ARGV[4] == 'given' then
  source = 'own'
elseif ARGV[4] == 'redis' then
  local own = redis.call('GET', KEYS[4])
  if own then
    if cjson.decode(own)['e'] ~= cjson.null then view, source = own, 'own' end
  elseif redis.call('EXISTS', KEYS[5]) == 0 then
    return {'need_own'}
  end
end
if source == 'directory' and ARGV[5] == '1' then
  local cached = redis.call('GET', KEYS[6])
  if cached then view, source = cached, 'answer' end
end
local p = (person == 'LEGAL_PERSON') and 13 or 10
local payer = {tonumber(ARGV[p]), tonumber(ARGV[p + 1]), tonumber(ARGV[p + 2])}
local bkeys, specs = {KEYS[2]}, {payer}
if source == 'directory' then
  payer[4] = -tonumber(ARGV[20])
  bkeys[2] = KEYS[3]
  specs[2] = {tonumber(ARGV[16]), tonumber(ARGV[17]), tonumber(ARGV[18]), -tonumber(ARGV[21])}
else
  payer[4] = -tonumber(ARGV[19])
end
local allowed, retry_after, tokens = settle_buckets(bkeys, specs, clock_ms(ARGV[1]), true)
if allowed == 0 then return {'refused', retry_after, tokens[1], tokens[2] or 1} end
if source ~= 'directory' then redis.call('SET', KEYS[7], ARGV[8], 'EX', ARGV[9]) end
return {'ok', source, view or '', entry or ''}
"""
)

# After the directory answered. KEYS: 1 payer bucket, 2 PSP bucket, 3 cached answer, 4 payment record.
# ARGV: 1 now_ms, 2-5 payer's policy and give-back, 6-9 the PSP's, 10 answer to cache ('': none), 11 its
# seconds, 12 payment record ('': none), 13 its seconds.
FINISH_LUA = (
    BUCKETS_LUA
    + """
local specs = {}
for i = 0, 1 do
  local a = 2 + i * 4
  specs[i + 1] = {tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])}
end
settle_buckets({KEYS[1], KEYS[2]}, specs, clock_ms(ARGV[1]), false)
if ARGV[10] ~= '' then redis.call('SET', KEYS[3], ARGV[10], 'EX', ARGV[11]) end
if ARGV[12] ~= '' then redis.call('SET', KEYS[4], ARGV[12], 'EX', ARGV[13]) end
return 1
"""
)


# KEYS[1]: a payment record. ARGV[1]: "<user id>:". Deletes it only if it is that user's; returns its
# directory flag ('1'/'0'), or nil: someone else's report never spends the payer's record.
TAKE_LUA = """
local record = redis.call('GET', KEYS[1])
if not record or string.sub(record, 1, #ARGV[1]) ~= ARGV[1] then return nil end
redis.call('DEL', KEYS[1])
return string.sub(record, #ARGV[1] + 1)
"""


@dataclass(frozen=True)
class Begun:
    """A lookup allowed to go on: its payer, and our own key's view or a cached answer (neither: ask DICT)."""

    payer: Payer
    own: OwnEntryView | None = None
    cached: PayerView | None = None


@dataclass(frozen=True)
class Finish:
    """What settles a lookup after the directory: tokens given back (payer's, PSP's); for a found answer a
    legal person's view cached for ``answer_ttl`` s, and the EndToEndId's payment record (``directory``:
    whether DICT was asked, so the payment credits the PSP's bucket too)."""

    payer: Payer
    key: str
    give_back: tuple[int, int]
    answer: PayerView | None = None
    answer_ttl: int = 0
    end_to_end_id: str | None = None
    directory: bool = True


class LookupStore(Protocol):
    def begin(
        self, *, caller_id: int, named: Payer | None, key: str, end_to_end_id: str, use_answer_cache: bool
    ) -> Begun: ...

    def finish(self, done: Finish) -> None: ...

    def take_payment(self, end_to_end_id: str, *, user_id: int) -> bool | None:
        """Use the EndToEndId's record if it is this user's lookup: whether DICT was asked; None if not theirs."""


def payer_policy(person_type: str) -> BucketPolicy:
    """The payer bucket's policy for a person type (DICT's numbers, or the settings' stricter ones)."""
    if person_type == PersonType.LEGAL_PERSON:
        return BucketPolicy(
            capacity=settings.LOOKUP_PAYER_LEGAL_CAPACITY, refill_tokens=settings.LOOKUP_PAYER_LEGAL_REFILL_PER_MIN
        )
    return BucketPolicy(
        capacity=settings.LOOKUP_PAYER_NATURAL_CAPACITY, refill_tokens=settings.LOOKUP_PAYER_NATURAL_REFILL_PER_MIN
    )


def payer_bucket(user_id: int | None, holder_id: int) -> str:
    """A payer's bucket is their login's, so the script can name it before it reads their entry; a holder
    with no login (only a risk engine can name one) has its own."""
    return f"payer:u{user_id}" if user_id is not None else f"payer:h{holder_id}"


def payer_charge(payer: Payer, delta: int) -> Charge:
    """A change of ``delta`` tokens to the payer's anti-scan bucket, under its person type's policy.

    Public so that whoever reads or tops up a payer's bucket (homologation, tests) names the same
    bucket and policy as the lookups do; ``delta=0`` with ``gated=False`` only refills and reads.
    """
    return Charge(
        bucket=payer_bucket(payer.user_id, payer.holder_id), policy=payer_policy(payer.person_type), delta=delta
    )


def psp_charge(delta: int) -> Charge:
    """A change of ``delta`` tokens to the PSP's bucket (DICT's participant policy for our category)."""
    return Charge(bucket=f"psp:{settings.DICT_ISPB}", policy=psp_policy(settings.LOOKUP_PSP_CATEGORY), delta=delta)


def payment_record(user_id: int | None, *, directory: bool) -> str:
    """What the EndToEndId's record holds: whose lookup it was (the payer's login), and whether DICT was
    asked (the PSP's credit too)."""
    return f"{user_id}:{int(directory)}"


def answer_cache_key(key: str) -> str:
    """Keys are PII: the cache key holds a hash, never the key itself."""
    return f"{LOOKUP_TAG}:answer:" + sha256(key.encode()).hexdigest()


def payment_key(end_to_end_id: str) -> str:
    return f"{LOOKUP_TAG}:payment:{end_to_end_id}"


def _policy_args(policy: BucketPolicy) -> list[int]:
    return [policy.capacity, policy.refill_tokens, policy.refill_period_ms]


def _refused(retry_after: int, *, payer_tokens: int, psp_tokens: int) -> RateLimited:
    count_refusal(payer_empty=payer_tokens <= 0, psp_empty=psp_tokens <= 0)
    return RateLimited("Too many lookups; try again later.", retry_after=retry_after)


def lookup_call(
    *,
    caller_id: int,
    named: Payer | None,
    key: str,
    end_to_end_id: str,
    use_answer_cache: bool,
    own_mode: str,
    count: bool = True,
) -> tuple[list[str], list[int | str]]:
    """LOOKUP_LUA's keys (unprefixed, all under the hash tag) and arguments for one lookup."""
    payer_user = named.user_id if named else caller_id
    limit = user_counter(caller_id) if count else None  # the caller's (a customer's, or the risk engine's own)
    keys = [
        payer_entry_key(caller_id),
        bucket_key(payer_bucket(payer_user, named.holder_id if named else 0)),
        bucket_key(f"psp:{settings.DICT_ISPB}"),
        own_view_key(key),
        OWN_READY,
        answer_cache_key(key),
        payment_key(end_to_end_id),
        limit.name if limit else f"{LOOKUP_TAG}:no-counter",
    ]
    args: list[int | str] = [
        "",
        "named" if named else "entry",
        named.person_type if named else "",
        own_mode,
        int(use_answer_cache),
        limit.limit if limit else 0,
        limit.keep_sec if limit else 0,
        payment_record(payer_user, directory=False),
        END_TO_END_ID_TTL_SEC,
        *_policy_args(payer_policy(PersonType.NATURAL_PERSON)),
        *_policy_args(payer_policy(PersonType.LEGAL_PERSON)),
        *_policy_args(psp_policy(settings.LOOKUP_PSP_CATEGORY)),
        PAYER_COST.found,
        PAYER_COST.not_found,
        PSP_COST.not_found,
    ]
    return keys, args


def finish_call(done: Finish) -> tuple[list[str], list[int | str]]:
    """FINISH_LUA's keys (unprefixed, all under the hash tag) and arguments."""
    payer = done.payer
    keys = [
        bucket_key(payer_bucket(payer.user_id, payer.holder_id)),
        bucket_key(f"psp:{settings.DICT_ISPB}"),
        answer_cache_key(done.key),
        payment_key(done.end_to_end_id or "none"),
    ]
    args: list[int | str] = [
        "",
        *_policy_args(payer_policy(payer.person_type)),
        done.give_back[0],
        *_policy_args(psp_policy(settings.LOOKUP_PSP_CATEGORY)),
        done.give_back[1],
        json.dumps(asdict(done.answer)) if done.answer and done.answer_ttl else "",
        done.answer_ttl,
        payment_record(payer.user_id, directory=done.directory) if done.end_to_end_id else "",
        END_TO_END_ID_TTL_SEC,
    ]
    return keys, args


class RedisLookupStore:
    """The lookup's state in Redis: one script before the answer, one more after a directory answer."""

    def __init__(self, redis: SharedRedis) -> None:
        self._redis = redis
        self._lookup: Script = redis.client.register_script(LOOKUP_LUA)
        self._finish: Script = redis.client.register_script(FINISH_LUA)
        self._take: Script = redis.client.register_script(TAKE_LUA)

    def begin(
        self, *, caller_id: int, named: Payer | None, key: str, end_to_end_id: str, use_answer_cache: bool
    ) -> Begun:
        own_mode, given = "redis", None
        for attempt in range(3):  # at most: the payer entry stored, then the own view read from the database
            reply = self._run(
                caller_id=caller_id,
                named=named,
                key=key,
                end_to_end_id=end_to_end_id,
                use_answer_cache=use_answer_cache,
                own_mode=own_mode,
                count=attempt == 0,
            )
            status = reply[0].decode()
            if status == "need_payer":
                store_missing_payer_entry(caller_id)
            elif status == "need_own":
                warm_own_view()
                given = own_entry_from_db(key)
                own_mode = "given" if given is not None else "absent"
            else:
                return self._begun(status, reply, caller_id=caller_id, named=named, given=given)
        # Each retry removes its cause; an entry gone again meanwhile (evicted) is an outage, never a 500.
        raise ServiceUnavailable("The lookup's state in Redis is unstable; try again.")

    def _run(self, **call) -> list:
        keys, args = lookup_call(**call)
        return self._lookup(keys=[self._redis.key(name) for name in keys], args=args)

    @staticmethod
    def _begun(status: str, reply: list, *, caller_id: int, named: Payer | None, given: OwnEntryView | None) -> Begun:
        if status == "inactive":
            raise Unauthenticated(NO_USER)
        if status == "not_customer":
            raise Forbidden(NOT_A_CUSTOMER)
        if status == "rate_limited":
            raise RateLimited(retry_after=1)
        if status == "refused":
            raise _refused(int(reply[1]), payer_tokens=int(reply[2]), psp_tokens=int(reply[3]))
        source, view, entry = reply[1].decode(), reply[2], reply[3]
        payer = named or payer_from_entry(caller_id, json.loads(entry))
        if source == "own":
            return Begun(payer=payer, own=decode_own_view(view) if view else given)
        if source == "answer":
            return Begun(payer=payer, cached=PayerView(**json.loads(view)))
        return Begun(payer=payer)

    def finish(self, done: Finish) -> None:
        keys, args = finish_call(done)
        self._finish(keys=[self._redis.key(name) for name in keys], args=args)

    def take_payment(self, end_to_end_id: str, *, user_id: int) -> bool | None:
        taken = self._take(keys=[self._redis.key(payment_key(end_to_end_id))], args=[f"{user_id}:"])
        return None if taken is None else taken == b"1"


class LocalLookupStore:
    """The embedded default (no Redis): the in-process buckets and cache, and the database for our own keys."""

    def begin(
        self, *, caller_id: int, named: Payer | None, key: str, end_to_end_id: str, use_answer_cache: bool
    ) -> Begun:
        if not count_user_request(caller_id):  # first, as the script does: every call counts
            raise RateLimited(retry_after=1)
        payer = named or _payer_from_db(caller_id)
        own = own_entry_from_db(key)
        cached = cache.get(answer_cache_key(key)) if own is None and use_answer_cache else None
        local = own is not None or cached is not None
        charges = [payer_charge(payer, -(PAYER_COST.found if local else PAYER_COST.not_found))]
        if not local:
            charges.append(psp_charge(-PSP_COST.not_found))
        settlement = get_buckets().settle(charges, gated=True)
        if not settlement.allowed:
            tokens = [state.tokens for state in settlement.states] + [1]
            raise _refused(settlement.retry_after_sec, payer_tokens=tokens[0], psp_tokens=tokens[1])
        if local:
            cache.set(payment_key(end_to_end_id), payment_record(payer.user_id, directory=False), END_TO_END_ID_TTL_SEC)
        return Begun(payer=payer, own=own, cached=PayerView(**cached) if cached else None)

    def finish(self, done: Finish) -> None:
        payer = done.payer
        get_buckets().settle([payer_charge(payer, done.give_back[0]), psp_charge(done.give_back[1])], gated=False)
        if done.answer is not None and done.answer_ttl:
            cache.set(answer_cache_key(done.key), asdict(done.answer), done.answer_ttl)
        if done.end_to_end_id is not None:
            record = payment_record(payer.user_id, directory=done.directory)
            cache.set(payment_key(done.end_to_end_id), record, END_TO_END_ID_TTL_SEC)

    def take_payment(self, end_to_end_id: str, *, user_id: int) -> bool | None:
        record = cache.get(payment_key(end_to_end_id))
        whose, _, directory = (record or "").partition(":")
        if whose != str(user_id) or not cache.delete(payment_key(end_to_end_id)):
            return None
        return directory == "1"


def _payer_from_db(user_id: int) -> Payer:
    entry = payer_entry(user_id)
    if entry["a"] == 0:
        raise Unauthenticated(NO_USER)
    payer = payer_from_entry(user_id, entry)
    if payer is None:
        raise Forbidden(NOT_A_CUSTOMER)
    return payer


_local = LocalLookupStore()


@functools.cache
def _redis_store(redis: SharedRedis) -> RedisLookupStore:
    return RedisLookupStore(redis)


def get_lookup_store() -> LookupStore:
    """The Redis store when the cache is Redis (built once per Redis client), else the in-process one."""
    redis = shared_redis()
    return _local if redis is None else _redis_store(redis)
