"""The per-client request limit on the whole API (RATE_LIMIT_RPS), counted by django-ratelimit.

Counts live in the default cache, so with Redis every replica shares them; on the embedded
in-process cache each process counts on its own. DRF runs throttles after authentication, so
a client is its user when it has a token and its address otherwise.

A client's address is ``client_address``: REMOTE_ADDR, unless DRF's NUM_PROXIES (the
TRUSTED_PROXY_COUNT setting) says that many proxies of ours stand in front, each appending to
X-Forwarded-For. Then it is the address the outermost of them took the connection from; what
the client wrote there itself is ignored. django-axes reads the same function (AXES_CLIENT_IP_CALLABLE).
"""

from collections.abc import Callable

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from django_ratelimit.core import get_usage
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle


def client_address(request: HttpRequest | Request) -> str | None:
    """The client's address with DRF's reading of NUM_PROXIES: with none, X-Forwarded-For is not trusted."""
    return BaseThrottle().get_ident(request)


def _address(group: str, request: Request) -> str:
    return f"ip:{client_address(request)}"


def client_key(group: str, request: Request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
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
        usage = get_usage(request, group=self.group, key=type(self).key, rate=rate, increment=True)
        if usage is None or not usage["should_limit"]:
            return True
        self._wait = max(float(usage["time_left"]), 1.0)
        return False

    def wait(self) -> float | None:
        return self._wait


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
