"""Choosing the directory adapter from settings: gRPC when CONNECT_URL is set, else in-process.

Whatever the adapter, no directory call may run inside a database transaction (and so under a
row lock): a slow or hanging directory would hold the locks and the connection for as long as
the call lasts. Services write their intent and commit, call, then apply the answer in a second
short transaction. The client ``get_client`` returns checks this before every call and raises
DirectoryCalledInTransaction otherwise.
"""

import threading
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, cast

from django.conf import settings

from common.transactions import open_transaction
from connect.ports import DirectoryClient


class DirectoryCalledInTransaction(RuntimeError):
    """A directory call was made with a database transaction open: a programming error."""


# The directory calls: the methods of the port (the adapters' other methods, e.g. close, are not guarded).
DIRECTORY_CALLS = frozenset(
    name for name, value in vars(DirectoryClient).items() if not name.startswith("_") and callable(value)
)


class TransactionFreeClient:
    """Wraps an adapter: every directory call first checks that no transaction is open.

    The guarded calls are built once, here, and look the adapter's method up at each call (so a
    method patched on the adapter's class is the one called); anything else (``close``,
    ``breaker``) is the adapter's.
    """

    def __init__(self, adapter: object) -> None:
        self.adapter = adapter
        for name in DIRECTORY_CALLS:
            if hasattr(adapter, name):
                setattr(self, name, _outside_transactions(name, adapter))

    def __getattr__(self, name: str) -> Any:  # only for what __init__ did not set
        return getattr(self.adapter, name)


def _check_no_transaction(name: str) -> None:
    alias = open_transaction()
    if alias is not None:
        raise DirectoryCalledInTransaction(
            f"directory call {name}() inside a transaction on database {alias!r}: commit the intent first, "
            "call the directory with no transaction open, then apply its answer in a new transaction."
        )


def _outside_transactions(name: str, adapter: object) -> Callable[..., Any]:
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _check_no_transaction(name)
        result = getattr(adapter, name)(*args, **kwargs)
        if isinstance(result, Iterator):  # list_cids: the pages are fetched as it is read
            return _checked_while_read(name, result)
        return result

    return guarded


def _checked_while_read(name: str, items: Iterator[Any]) -> Iterator[Any]:
    """``items``, checking before each item is taken (each may fetch a page from the directory)."""
    while True:
        _check_no_transaction(name)
        try:
            item = next(items)
        except StopIteration:
            return
        yield item


class CacheInfo(NamedTuple):
    currsize: int


class _OneClient:
    """``get_client``: built on first use under a lock, so concurrent first calls share one client
    (one breaker, one bulkhead). ``cache_clear`` drops it (tests switch adapters by settings)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._client: DirectoryClient | None = None

    def __call__(self) -> DirectoryClient:
        """One client per process (created lazily, so never before a fork), refusing calls inside transactions."""
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = cast(DirectoryClient, TransactionFreeClient(_adapter()))
                client = self._client
        return client

    def cache_clear(self) -> None:
        with self._lock:
            self._client = None

    def cache_info(self) -> CacheInfo:
        return CacheInfo(currsize=0 if self._client is None else 1)


get_client = _OneClient()


def _adapter() -> object:
    if settings.CONNECT_URL:
        from connect.breaker import Bulkhead, RatioBreaker
        from connect.grpc_client import GrpcDirectoryClient
        from connect.metrics import watch_breaker
        from connect.tls import channel_credentials

        breaker = RatioBreaker(
            window=settings.CONNECT_BREAKER_WINDOW_SEC,
            min_calls=settings.CONNECT_BREAKER_MIN_CALLS,
            failure_ratio=settings.CONNECT_BREAKER_FAILURE_RATIO,
            open_for=settings.CONNECT_BREAKER_OPEN_SEC,
        )
        watch_breaker(breaker)
        return GrpcDirectoryClient(
            url=settings.CONNECT_URL,
            participant=settings.DICT_ISPB,
            deadline=settings.CONNECT_DEADLINE_SEC,
            attempts=settings.CONNECT_RETRY_ATTEMPTS,
            breaker=breaker,
            bulkhead=Bulkhead(limit=settings.CONNECT_MAX_IN_FLIGHT, wait=settings.CONNECT_BULKHEAD_WAIT_SEC),
            credentials=channel_credentials(
                ca_file=settings.CONNECT_TLS_CA_FILE,
                cert_file=settings.CONNECT_TLS_CERT_FILE,
                key_file=settings.CONNECT_TLS_KEY_FILE,
            ),
        )
    from connect.local import LocalDirectoryClient

    return LocalDirectoryClient(participant=settings.DICT_ISPB)


def connect_state() -> str:
    """For probes and logs: 'in-process', or the gRPC circuit breaker's state (closed, open, half-open)."""
    client = get_client()
    breaker = getattr(client, "breaker", None)
    return "in-process" if breaker is None else str(breaker.current_state)
