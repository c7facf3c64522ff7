"""A lease in the cache: at most one holder of a name at a time, across processes, with no row locked.

The lease expires after its time-to-live should its holder die, and is released only by its holder
(compare-and-delete), so a lease that expired and was taken by another is left to that one. In Redis
it is a plain string, so the release can compare it in Lua in one step.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import uuid4

from django.core.cache import cache, caches
from django_redis import get_redis_connection
from django_redis.cache import RedisCache

logger = logging.getLogger(__name__)

_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def _is_redis() -> bool:
    return isinstance(caches["default"], RedisCache)  # django-redis, or django-prometheus' wrapper of it


def take_lease(name: str, ttl_seconds: int) -> str | None:
    """The lease's token if it was free (now ours for ``ttl_seconds`` at most), None if someone holds it.
    A cache that cannot be reached raises: the caller decides whether to go ahead without it."""
    token = uuid4().hex
    if _is_redis():
        taken = get_redis_connection("default").set(cache.make_key(name), token, nx=True, ex=ttl_seconds)
    else:
        taken = cache.add(name, token, timeout=ttl_seconds)
    return token if taken else None


def release_lease(name: str, token: str) -> None:
    """Release the lease if it is still ours."""
    if _is_redis():
        get_redis_connection("default").eval(_RELEASE, 1, cache.make_key(name), token)
    elif cache.get(name) == token:  # an in-process cache: one process, nothing can come between
        cache.delete(name)


@contextmanager
def lease(name: str, ttl_seconds: int) -> Iterator[bool]:
    """Whether we hold the lease for the block; released at its end (it expires if the release fails)."""
    token = take_lease(name, ttl_seconds)
    try:
        yield token is not None
    finally:
        if token is not None:
            try:
                release_lease(name, token)
            except Exception:  # the cache went away: the lease expires on its own
                logger.warning("could not release lease %s; it expires", name, exc_info=True)
