"""Choosing the directory adapter from settings: gRPC when CONNECT_URL is set, else in-process.

Whatever the adapter, no directory call may run inside a database transaction (and so under a
row lock): a slow or hanging directory would hold the locks and the connection for as long as
the call lasts. Services write their intent and commit, call, then apply the answer in a second
short transaction. The client ``get_client`` returns checks this before every call and raises
DirectoryCalledInTransaction otherwise.
"""

from collections.abc import Callable
from functools import cache, wraps
from typing import Any, cast

from django.conf import settings
from django.db import connections

from connect.ports import DirectoryClient


class DirectoryCalledInTransaction(RuntimeError):
    """A directory call was made with a database transaction open: a programming error."""


def open_transaction() -> str | None:
    """The alias of a database connection of this thread with a transaction of its caller's open.

    The atomic blocks a Django TestCase (pytest-django's ``db`` fixture) wraps each test in are
    not the caller's: Django marks them ``_from_testcase``, the marker its own check of durable
    blocks relies on. Any other atomic block counts, and so does autocommit turned off by hand.
    """
    for connection in connections.all(initialized_only=True):
        if any(not block._from_testcase for block in connection.atomic_blocks):
            return connection.alias
        if connection.connection is not None and not connection.in_atomic_block and not connection.autocommit:
            return connection.alias
    return None


# The directory calls: the methods of the port (the adapters' other methods, e.g. close, are not guarded).
DIRECTORY_CALLS = frozenset(
    name for name, value in vars(DirectoryClient).items() if not name.startswith("_") and callable(value)
)


class TransactionFreeClient:
    """Wraps an adapter: every directory call first checks that no transaction is open."""

    def __init__(self, adapter: object) -> None:
        self.adapter = adapter

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.adapter, name)
        if name not in DIRECTORY_CALLS:
            return value
        return _outside_transactions(name, value)


def _outside_transactions(name: str, call: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(call)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        alias = open_transaction()
        if alias is not None:
            raise DirectoryCalledInTransaction(
                f"directory call {name}() inside a transaction on database {alias!r}: commit the intent first, "
                "call the directory with no transaction open, then apply its answer in a new transaction."
            )
        return call(*args, **kwargs)

    return guarded


@cache
def get_client() -> DirectoryClient:
    """One client per process (created lazily, so never before a fork), refusing calls inside transactions."""
    return cast(DirectoryClient, TransactionFreeClient(_adapter()))


def _adapter() -> object:
    if settings.CONNECT_URL:
        from connect.breaker import Bulkhead, RatioBreaker
        from connect.grpc_client import GrpcDirectoryClient

        return GrpcDirectoryClient(
            url=settings.CONNECT_URL,
            participant=settings.DICT_ISPB,
            deadline=settings.CONNECT_DEADLINE_SEC,
            attempts=settings.CONNECT_RETRY_ATTEMPTS,
            breaker=RatioBreaker(
                window=settings.CONNECT_BREAKER_WINDOW_SEC,
                min_calls=settings.CONNECT_BREAKER_MIN_CALLS,
                failure_ratio=settings.CONNECT_BREAKER_FAILURE_RATIO,
                open_for=settings.CONNECT_BREAKER_OPEN_SEC,
            ),
            bulkhead=Bulkhead(limit=settings.CONNECT_MAX_IN_FLIGHT, wait=settings.CONNECT_BULKHEAD_WAIT_SEC),
        )
    from connect.local import LocalDirectoryClient

    return LocalDirectoryClient(participant=settings.DICT_ISPB)


def connect_state() -> str:
    """For probes and logs: 'in-process', or the gRPC circuit breaker's state (closed, open, half-open)."""
    client = get_client()
    breaker = getattr(client, "breaker", None)
    return "in-process" if breaker is None else str(breaker.current_state)
