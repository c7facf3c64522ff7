"""Our own ACTIVE keys as a lookup reads them: a view in Redis, written through on commit and rebuildable.

DICT refuses to be asked for our own keys (a book transfer), so a lookup answers them here, and it must
tell "ours" from "not ours" without a SQL join on every call:

- Each key's view is one Redis string under the lookup's hash tag (``common.redis_client``), holding
  ``{"v": version, "e": view}``; ``"e": null`` is a tombstone (the key is not ours), kept for an hour.
- Every change to a key refreshes it once the change commits (``refresh_own_entry``): the key's state
  is read from the database and stored only if no newer version is there. The version is the time the
  read began (µs): of two reads of one key, the one that began later saw at least as much, so a slow
  writer never puts back an older state, and a tombstone stops a rebuild that read before the delete.
- The view is complete when the marker exists: ``rebuild_own_view`` sets it once every ACTIVE entry is
  written and older leftovers are pruned. With it, a key absent from Redis is not ours, with no SQL.
  Without it (Redis empty, restarted or flushed) lookups read the database, and one process rebuilds in
  the background (``warm_own_view``; servers call it at start, lookups when they find no marker).
- A write that fails (Redis unreachable) marks this process; its next write that reaches Redis drops
  the marker first, so lookups read the database until a rebuild instead of trusting a view that
  missed a change. Clocks of different hosts order versions to within their skew (NTP: milliseconds).
- Without Redis (the embedded default) there is no view: the database answers every time.
"""

import contextlib
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import connections

from common.outages import OUTAGES
from common.redis_client import LOOKUP_TAG, SharedRedis, shared_redis
from keys.domain import EntryStatus
from keys.models import Entry

logger = logging.getLogger(__name__)

# The view's shape (OwnEntryView's fields) is in its names: a release that changes the shape finds the
# view incomplete and reads the database until its rebuild, instead of failing on the old values.
OWN_SHAPE = "v1"
OWN_PREFIX = f"{LOOKUP_TAG}:own:{OWN_SHAPE}:"
OWN_READY = f"{LOOKUP_TAG}:own-ready:{OWN_SHAPE}"
REBUILD_LOCK = f"{LOOKUP_TAG}:own-rebuilding"
REBUILD_LOCK_SEC = 900
TOMBSTONE_SEC = 3600
REBUILD_CHUNK = 2000

# KEYS[1]: a key's view. ARGV: version, the JSON to store, seconds to keep it (0: for good).
# Returns 1 when written, 0 when a newer version is already there.
WRITE_IF_NEWER_LUA = """
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current)['v'] > tonumber(ARGV[1]) then return 0 end
if ARGV[3] ~= '0' then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2])
end
return 1
"""

# KEYS[1]: a key's view. ARGV[1]: a rebuild's version. Drops what the rebuild neither wrote nor saw refreshed since.
DROP_IF_OLDER_LUA = """
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current)['v'] < tonumber(ARGV[1]) then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class OwnEntryView:
    """What a lookup needs of one of our own live keys (kept in Redis; no ids that could leak)."""

    key: str
    key_type: str
    person_type: str
    tax_id: str
    name: str
    trade_name: str
    ispb: str
    branch: str
    account_number: str
    account_type: str
    opening_date: str
    created_at: str
    key_ownership_date: str


def own_view_key(key: str) -> str:
    """Keys are PII: the Redis key holds a hash, never the key itself."""
    return OWN_PREFIX + hashlib.sha256(key.encode()).hexdigest()


def decode_own_view(raw: bytes | str | None) -> OwnEntryView | None:
    """A stored view, or None for a tombstone (or nothing stored)."""
    if not raw:
        return None
    entry = json.loads(raw)["e"]
    return OwnEntryView(**entry) if entry else None


def _view_of(entry: Entry) -> OwnEntryView:
    account, holder = entry.account, entry.account.holder
    return OwnEntryView(
        key=entry.key_value,
        key_type=entry.key_type,
        person_type=holder.person_type,
        tax_id=holder.tax_id,
        name=holder.name,
        trade_name=holder.trade_name,
        ispb=account.ispb,
        branch=account.branch,
        account_number=account.number,
        account_type=account.account_type,
        opening_date=account.opening_date.isoformat(),
        created_at=(entry.registered_at or entry.created_at).isoformat(),
        key_ownership_date=(entry.key_ownership_date or entry.created_at).isoformat(),
    )


def _active_entries():
    return Entry.objects.filter(status=EntryStatus.ACTIVE).select_related("account__holder")


def own_entry_from_db(key: str) -> OwnEntryView | None:
    """Our ACTIVE entry for this key, read from the database (the view's source of truth)."""
    entry = _active_entries().filter(key_value=key).first()
    return _view_of(entry) if entry is not None else None


def _now_us() -> int:
    return time.time_ns() // 1000


def _encoded(version: int, view: OwnEntryView | None) -> str:
    return json.dumps({"v": version, "e": asdict(view) if view else None}, separators=(",", ":"))


_dirty = threading.Event()  # a write of this process's failed: the view may have missed a change


def refresh_own_entry(key: str) -> None:
    """Store the key's current state in the view (called on commit of every change to it).

    Never raises for Redis: the change is committed either way, and a missed write drops the marker later.
    """
    redis = shared_redis()
    if redis is None:
        return
    version = _now_us()
    try:
        view = own_entry_from_db(key)
        if _dirty.is_set():
            redis.client.delete(redis.key(OWN_READY))
            _dirty.clear()
        redis.client.eval(
            WRITE_IF_NEWER_LUA,
            1,
            redis.key(own_view_key(key)),
            version,
            _encoded(version, view),
            0 if view else TOMBSTONE_SEC,
        )
    except OUTAGES as error:
        _dirty.set()
        logger.error("own-key view: could not store a change (%s); the view is distrusted", type(error).__name__)


def rebuild_own_view(*, progress: Callable[[int], None] | None = None) -> int:
    """Write every ACTIVE entry, prune leftovers older than this rebuild, then mark the view complete.

    Returns how many entries it wrote; ``progress`` is told the running count after each chunk.
    """
    redis = shared_redis()
    if redis is None:
        return 0
    write = redis.client.script_load(WRITE_IF_NEWER_LUA)  # on every primary of a cluster
    version, written = _now_us(), 0
    _dirty.clear()  # what failed before this read is in it; a failure from now on marks the process again
    pipe = redis.client.pipeline(transaction=False)
    for entry in _active_entries().order_by("pk").iterator(chunk_size=REBUILD_CHUNK):
        view = _view_of(entry)
        _queue_script(pipe, write, redis.key(own_view_key(view.key)), version, _encoded(version, view), 0)
        written += 1
        if written % REBUILD_CHUNK == 0:
            pipe.execute()
            if progress:
                progress(written)
    pipe.execute()
    _prune(redis, version)
    redis.client.set(redis.key(OWN_READY), version)
    if progress:
        progress(written)
    return written


def _queue_script(pipe, sha: str, key: str | bytes, *args: int | str) -> None:
    """Queue a loaded one-key script: redis-py's cluster pipeline refuses its ``evalsha`` method (and
    Script objects with it), not the command itself."""
    pipe.execute_command("EVALSHA", sha, 1, key, *args)


def _prune(redis: SharedRedis, version: int) -> None:
    drop = redis.client.script_load(DROP_IF_OLDER_LUA)
    pipe = redis.client.pipeline(transaction=False)
    for n, name in enumerate(redis.client.scan_iter(match=redis.key(f"{OWN_PREFIX}*"), count=1000), start=1):
        _queue_script(pipe, drop, name, version)
        if n % REBUILD_CHUNK == 0:
            pipe.execute()
    pipe.execute()


WARM_CHECK_EVERY_SEC = 30.0
_last_warm_check = [float("-inf")]  # monotonic time of this process's last look


def warm_own_view() -> None:
    """Rebuild the view in the background unless it is complete, in one process at a time.

    Lookups call it on every miss of an incomplete view: it looks at most every WARM_CHECK_EVERY_SEC
    per process, so a cold view costs them the database read, not two more round trips each."""
    redis = shared_redis()
    if redis is None or not settings.OWN_VIEW_AUTO_REBUILD:
        return
    now = time.monotonic()
    if now - _last_warm_check[0] < WARM_CHECK_EVERY_SEC:
        return
    _last_warm_check[0] = now
    try:
        if redis.client.exists(redis.key(OWN_READY)):
            return
        if not redis.client.set(redis.key(REBUILD_LOCK), "1", nx=True, ex=REBUILD_LOCK_SEC):
            return  # another process is rebuilding
    except OUTAGES:
        return
    threading.Thread(target=_rebuild_in_background, args=(redis,), name="own-view-rebuild", daemon=True).start()


def _rebuild_in_background(redis: SharedRedis) -> None:
    started = time.monotonic()
    try:
        written = rebuild_own_view()
        logger.info("own-key view rebuilt: %d entries in %.1f s", written, time.monotonic() - started)
        with contextlib.suppress(OUTAGES):
            redis.client.delete(redis.key(REBUILD_LOCK))
    except Exception:
        # The lock stays until it expires: a failing rebuild is tried again every REBUILD_LOCK_SEC, not on every lookup.
        logger.exception("own-key view: the rebuild failed; lookups read the database until one succeeds")
    finally:
        connections.close_all()  # this thread's own connections
