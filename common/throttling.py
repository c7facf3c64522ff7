"""The per-client request limit on the whole API (RATE_LIMIT_RPS), counted by django-ratelimit.

Counts live in the default cache, so with Redis every replica shares them; on the embedded
in-process cache each process counts on its own. With Redis they are counted on django-ratelimit's
own keys through the process's one client (common.redis_client), in one script: the lookup's
script counts on the same keys, and Django's cache would build a backend per gRPC call. DRF runs
throttles after authentication, so a client is its user when it has a token and its address otherwise.

A client's address is ``client_address``: REMOTE_ADDR, unless DRF's NUM_PROXIES (the
TRUSTED_PROXY_COUNT setting) says that many proxies of ours stand in front, each appending to
X-Forwarded-For. Then it is the address the outermost of them took the connection from; what
the client wrote there itself is ignored. django-axes reads the same function (AXES_CLIENT_IP_CALLABLE).
"""

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from django_ratelimit import ALL
from django_ratelimit.core import EXPIRATION_FUDGE, _get_window, _make_cache_key, _split_rate, get_usage
from redis.commands.core import Script
from rest_framework.exceptions import APIException, Throttled
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from common.redis_client import SharedRedis, shared_redis
from dict_rules.errors import DomainError, RateLimited


def client_address(request: HttpRequest | Request) -> str | None:
    """The client's address with DRF's reading of NUM_PROXIES: with none, X-Forwarded-For is not trusted."""
    return BaseThrottle().get_ident(request)


def _address(group: str, request: Request) -> str:
    return f"ip:{client_address(request)}"


def _user_value(user_id: int) -> str:
    return f"user:{user_id}"


def client_key(group: str, request: Request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return _user_value(user.pk)
    return _address(group, request)


class _UsageThrottle(BaseThrottle):
    """A DRF throttle over django-ratelimit's counter: ``rate()`` requests per ``key`` in ``group``.

    A falsy rate switches it off. A refusal waits what is left of the window, at least a second.
    """

    group: str
    key: Callable[[str, Request], str]

    def __init__(self) -> None:
        self._wait: float | None = None

    def rate(self) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view) -> bool:
        rate = self.rate()
        if not rate:
            return True
        redis = shared_redis()
        if redis is None:  # the embedded default: django-ratelimit on the in-process cache
            usage = get_usage(request, group=self.group, key=type(self).key, rate=rate, increment=True)
            if usage is None or not usage["should_limit"]:
                return True
            self._wait = max(float(usage["time_left"]), 1.0)
            return False
        window_left = _count_in_redis(redis, self.group, rate, type(self).key(self.group, request))
        if window_left is None:
            return True
        self._wait = max(window_left, 1.0)
        return False

    def wait(self) -> float | None:
        return self._wait


# KEYS[1]: a counter; ARGV[1]: its seconds. One round trip where django-ratelimit takes two (add, incr).
_INCR_LUA = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


@functools.cache
def _incr_script(redis: SharedRedis) -> Script:
    return redis.client.register_script(_INCR_LUA)


@dataclass(frozen=True)
class Counter:
    """django-ratelimit's counter of one client in the current window: its key (before the cache's prefix),
    its limit, when its window ends (epoch seconds) and how long Redis keeps it."""

    name: str
    limit: int
    window_end: int
    keep_sec: int


def counter(group: str, rate: str, value: str) -> Counter:
    limit, period = _split_rate(rate)
    window = _get_window(value, period)
    return Counter(_make_cache_key(group, window, rate, value, ALL), limit, window, period + EXPIRATION_FUDGE)


def count_user_request(user_id: int) -> bool:
    """Count one request of this user on the per-client limit, as the edge's throttle does; False when over it."""
    client = SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=user_id), META={}, headers={})
    return ClientRateThrottle().allow_request(client, None)


@contextmanager
def counted_on_refusal(user_id: int) -> Iterator[None]:
    """For a call whose per-client limit is counted later, inside its own Redis call (the lookup's script):
    a refusal before that is counted here instead, as the edge's throttle would have counted the call,
    and answers RateLimited when the client is over its limit. Every call counts once, refused or not."""
    try:
        yield
    except (DomainError, APIException):
        if not count_user_request(user_id):
            raise RateLimited(retry_after=1) from None
        raise


def user_counter(user_id: int) -> Counter | None:
    """ClientRateThrottle's counter of a user now (the lookup's script counts on it); None when off."""
    rate = ClientRateThrottle().rate()
    return counter(ClientRateThrottle.group, rate, _user_value(user_id)) if rate else None


def _count_in_redis(redis: SharedRedis, group: str, rate: str, value: str) -> float | None:
    """Count one request on django-ratelimit's own counter (its key, window and expiry), through the
    process's Redis client: Django's cache would build a backend per gRPC call (common.redis_client),
    and the lookup's script counts on this same key. None when allowed, else the seconds left."""
    now = counter(group, rate, value)
    count = _incr_script(redis)(keys=[redis.key(now.name)], args=[now.keep_sec])
    return None if count <= now.limit else float(now.window_end - int(time.time()))


class ClientRateThrottle(_UsageThrottle):
    """RATE_LIMIT_RPS requests a second per client on the whole API (0: off)."""

    group = "api"
    key = staticmethod(client_key)

    def rate(self) -> str | None:
        rps = settings.RATE_LIMIT_RPS
        return f"{rps}/s" if rps > 0 else None


# Password guessing on the token endpoints (`common.token_views`). Two well-kept libraries, each
# for what it does best:
# - django-axes counts *failed* logins per username (a plain request throttle would also count
#   the owner's successful logins, and could not tell a guess from a login), locks the username
#   for the cool-off even against the right password, and guards the admin login too. Its counts
#   live in the default cache (AXES_HANDLER), so Redis shares them between processes.
# - django-ratelimit (as ClientRateThrottle above) counts every request to the password grant
#   per client address: one address guessing many usernames. Axes would count an address's
#   failures against the same limit as a username's, too low for many users behind one NAT.
# Axes answers the admin's HTML login through its middleware, but on the API Django's
# authenticate() swallows its refusal and simplejwt would answer 401, so `drf_lockout` turns
# the lockout into DRF's Throttled: 429 problem+json RateLimited with Retry-After.


class LoginAddressThrottle(_UsageThrottle):
    """LOGIN_RATE_PER_ADDRESS requests to the password grant per client address (empty: off)."""

    group = "login"
    key = staticmethod(_address)

    def rate(self) -> str | None:
        return settings.LOGIN_RATE_PER_ADDRESS


def login_succeeded(request: Request, user: AbstractBaseUser) -> None:
    """Tell axes of a password grant's success, as Django's login() would: with AXES_RESET_ON_SUCCESS
    it clears the username's failures, which would otherwise only expire."""
    AxesProxyHandler.user_logged_in(sender=type(user), request=request, user=user)


def drf_lockout(sender, request, username, ip_address, **kwargs) -> None:
    """Receiver of axes' ``user_locked_out``: on the API (a DRF Request) the lockout is a 429.

    Django's own requests (the admin login) are left to AxesMiddleware: raising there is a 500.
    """
    if isinstance(request, Request):
        cool_off = get_cool_off(request)
        raise Throttled(
            wait=cool_off.total_seconds() if cool_off else None,
            detail="Too many failed logins for this username; try again later.",
        )
