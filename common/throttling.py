"""The per-client request limit on the whole API (RATE_LIMIT_RPS), counted by django-ratelimit.

Counts live in the default cache, so with Redis every replica shares them; on the embedded
in-process cache each process counts on its own. DRF runs throttles after authentication, so
a client is its user when it has a token and its address otherwise.
"""

from axes.helpers import get_cool_off
from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle


def client_key(group: str, request: Request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{request.META.get('REMOTE_ADDR', '')}"


class ClientRateThrottle(BaseThrottle):
    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request: Request, view) -> bool:
        rps = settings.RATE_LIMIT_RPS
        if rps <= 0:
            return True
        usage = get_usage(request, group="api", key=client_key, rate=f"{rps}/s", increment=True)
        if usage is None or not usage["should_limit"]:
            return True
        self._wait = max(float(usage["time_left"]), 1.0)
        return False

    def wait(self) -> float | None:
        return self._wait


# Password guessing on the token endpoints (`common.token_views`). Two well-kept libraries, each
# for what it does best:
# - django-axes counts *failed* logins per username (a plain request throttle would also count
#   the owner's successful logins, and could not tell a guess from a login), locks the username
#   for the cool-off even against the right password, and guards the admin login too. Its counts
#   live in the default cache (AXES_HANDLER), so Redis shares them between processes.
# - django-ratelimit (as ClientRateThrottle above) counts every request to the token endpoints
#   per client address: one address guessing many usernames. Axes would count an address's
#   failures against the same limit as a username's, too low for many users behind one NAT.
# Axes answers the admin's HTML login through its middleware, but on the API Django's
# authenticate() swallows its refusal and simplejwt would answer 401, so `drf_lockout` turns
# the lockout into DRF's Throttled: 429 problem+json RateLimited with Retry-After.


def _address(group: str, request: Request) -> str:
    return f"ip:{request.META.get('REMOTE_ADDR', '')}"


class LoginAddressThrottle(BaseThrottle):
    """LOGIN_RATE_PER_ADDRESS requests to the token endpoints per client address (empty: off)."""

    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request: Request, view) -> bool:
        rate = settings.LOGIN_RATE_PER_ADDRESS
        if not rate:
            return True
        usage = get_usage(request, group="login", key=_address, rate=rate, increment=True)
        if usage is None or not usage["should_limit"]:
            return True
        self._wait = max(float(usage["time_left"]), 1.0)
        return False

    def wait(self) -> float | None:
        return self._wait


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
