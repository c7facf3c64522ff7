"""The per-client request limit on the whole API (RATE_LIMIT_RPS), counted by django-ratelimit.

Counts live in the default cache, so with Redis every replica shares them; on the embedded
in-process cache each process counts on its own. DRF runs throttles after authentication, so
a client is its user when it has a token and its address otherwise.
"""

from django.conf import settings
from django_ratelimit.core import get_usage
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
