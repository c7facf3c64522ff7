"""Per-call context of the CoreDictService: who is calling, set by the auth interceptor.

Servicers read it; they never parse metadata themselves.
"""

from contextvars import ContextVar

from django.contrib.auth.models import AbstractBaseUser

_user: ContextVar[AbstractBaseUser | None] = ContextVar("grpc_user", default=None)


def set_current_user(user: AbstractBaseUser | None):
    """Bind the authenticated user for this call; returns the token to reset it with."""
    return _user.set(user)


def reset_current_user(token) -> None:
    _user.reset(token)


def current_user() -> AbstractBaseUser | None:
    return _user.get()
