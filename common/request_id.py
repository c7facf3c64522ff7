"""A request id for every call: taken from X-Request-ID when sane, else generated.

It is kept in a context variable so log lines and error bodies can carry it.
"""

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

_current: ContextVar[str] = ContextVar("request_id", default="-")
_SAFE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
HEADER = "X-Request-ID"


def current_request_id() -> str:
    return _current.get()


def request_id_from(value: str | None) -> str:
    """A caller-supplied id if it is well-formed, otherwise a fresh one."""
    return value if value and _SAFE.fullmatch(value) else uuid.uuid4().hex


def bind_request_id(value: str | None) -> str:
    """Bind ``request_id_from(value)`` for the rest of this context; return it."""
    request_id = request_id_from(value)
    _current.set(request_id)
    return request_id


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # set once, so that the reset below restores what was there before the request
        token = _current.set(request_id_from(request.headers.get(HEADER)))
        try:
            request.request_id = current_request_id()
            response = self.get_response(request)
            response[HEADER] = request.request_id
            return response
        finally:
            _current.reset(token)
