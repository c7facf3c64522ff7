"""One Redis client per process for the hot paths, built once, beside Django's cache.

Django keeps a cache backend per context (asgiref's Local), and the gRPC server runs every call in a
fresh copy of the context, so ``caches["default"]`` built a new backend and client on each call. The
lookup's hot path reads Redis through this client instead: redis-py's client and its connection
pool are thread-safe, so one per process serves every thread. It is rebuilt only when the cache's
settings change (tests switch them), never per call.

Keys made here carry the cache's prefix and version, as ``cache.make_key`` does, so they sit in the
same namespace as the cache's own keys. Names that one Lua script touches together share the hash
tag ``{lookup}``: on Redis Cluster a script's keys must live in one slot (docs/performance.md).
"""

import threading
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django_redis import get_redis_connection
from django_redis.cache import RedisCache
from redis import Redis

# The hash tag of every key the lookup's scripts touch together (buckets, views, payers, records).
LOOKUP_TAG = "{lookup}"


@dataclass(frozen=True)
class SharedRedis:
    """The process's client and the prefix that ``cache.make_key`` puts before a name."""

    client: Redis
    prefix: str

    def key(self, name: str) -> str:
        return self.prefix + name


_lock = threading.Lock()
_built: dict[tuple, SharedRedis | None] = {}


def _cache_signature() -> tuple:
    default = settings.CACHES["default"]
    return default["BACKEND"], str(default.get("LOCATION")), default.get("KEY_PREFIX", ""), default.get("VERSION", 1)


def shared_redis() -> SharedRedis | None:
    """The Redis behind the default cache, or None when the cache is not Redis (the embedded default)."""
    signature = _cache_signature()
    built = _built.get(signature, False)
    if built is not False:
        return built
    with _lock:
        if signature not in _built:
            cache = caches["default"]
            is_redis = isinstance(cache, RedisCache)  # django-redis, or django-prometheus' wrapper of it
            _built[signature] = (
                SharedRedis(client=get_redis_connection("default"), prefix=cache.make_key("")) if is_redis else None
            )
        return _built[signature]
