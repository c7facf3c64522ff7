"""Choosing the directory adapter from settings: gRPC when CONNECT_URL is set, else in-process.

Whatever the adapter, no directory call may run inside a database transaction (and so under a
row lock): a slow or hanging directory would hold the locks and the connection for as long as
the call lasts. Services write their intent and commit, call, then apply the answer in a second
short transaction. The client ``get_client`` returns checks this before every call and raises
DirectoryCalledInTransaction otherwise.
"""

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple, cast
from urllib.parse import urlsplit

from django.conf import settings

from common.transactions import open_transaction
from connect.ports import DirectoryClient
from connect.simulator import DirectorySimulator

if TYPE_CHECKING:
    import grpc


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


class RehearsalRefused(RuntimeError):
    """The directory is not one the homologation rehearsal may act on (it may be the production DICT)."""


def rehearsal_directory_allowed() -> bool:
    """Whether the rehearsal may act on this directory: the embedded dictsim, or a CONNECT_URL whose host
    is one of REHEARSAL_DIRECTORY_HOSTS. The rehearsal registers made-up people's keys, opens reports and
    plays other participants and BCB; at the production DICT, with our credentials, that would be real.
    An allow-list, not a deny-list: a host nobody named is refused."""
    if not settings.CONNECT_URL:
        return True
    allowed = {host.strip("[]").lower() for host in settings.REHEARSAL_DIRECTORY_HOSTS}
    return _connect_host(settings.CONNECT_URL) in allowed


def require_rehearsal_directory() -> None:
    """RehearsalRefused unless ``rehearsal_directory_allowed()``; for the rehearsal's entry points."""
    if not rehearsal_directory_allowed():
        raise RehearsalRefused(
            f"the directory at {settings.CONNECT_URL} is not one the homologation rehearsal may act on: "
            "run it against dictsim (embedded, or `run_dictsim` at a host named in REHEARSAL_DIRECTORY_HOSTS)."
        )


def _connect_host(url: str) -> str:
    """The host of a gRPC target: ``host:port``, ``[v6]:port`` or ``dns:///host:port`` (lower case)."""
    return (urlsplit("//" + url.rpartition("/")[2]).hostname or "").lower()


def participant_client(ispb: str) -> DirectoryClient:
    """A client acting as another participant (``ispb``) at the same directory, with the same adapter
    kind and the same guard against transactions: the homologation rehearsal plays the counterpart
    and BCB's virtual participants through it. A new client (and channel) per call; close it after.
    RehearsalRefused at a directory the rehearsal may not act on (``rehearsal_directory_allowed``)."""
    require_rehearsal_directory()
    return cast(DirectoryClient, TransactionFreeClient(_adapter(participant=ispb)))


def get_simulator() -> DirectorySimulator:
    """The directory's simulator control (connect.simulator): dictsim's SimulatorService at CONNECT_URL
    (a directory without it answers SimulatorUnavailable at the first call), else the embedded dictsim
    in-process. RehearsalRefused first at a directory the rehearsal may not act on."""
    require_rehearsal_directory()
    if settings.CONNECT_URL:
        from connect.grpc_simulator import GrpcDirectorySimulator

        return GrpcDirectorySimulator(
            url=settings.CONNECT_URL, participant=settings.DICT_ISPB, credentials=_credentials()
        )
    from connect.local import LocalDirectorySimulator

    return LocalDirectorySimulator(participant=settings.DICT_ISPB)


def _credentials() -> "grpc.ChannelCredentials | None":
    """TLS to the Connect gateway when CONNECT_TLS_* name files, else plaintext (loopback, tests)."""
    from connect.tls import channel_credentials

    return channel_credentials(
        ca_file=settings.CONNECT_TLS_CA_FILE,
        cert_file=settings.CONNECT_TLS_CERT_FILE,
        key_file=settings.CONNECT_TLS_KEY_FILE,
    )


def _adapter(participant: str | None = None) -> object:
    participant = participant or settings.DICT_ISPB
    if settings.CONNECT_URL:
        from connect.breaker import Bulkhead, RatioBreaker
        from connect.grpc_client import GrpcDirectoryClient
        from connect.metrics import watch_breaker

        breaker = RatioBreaker(
            window=settings.CONNECT_BREAKER_WINDOW_SEC,
            min_calls=settings.CONNECT_BREAKER_MIN_CALLS,
            failure_ratio=settings.CONNECT_BREAKER_FAILURE_RATIO,
            open_for=settings.CONNECT_BREAKER_OPEN_SEC,
        )
        if participant == settings.DICT_ISPB:  # the breaker gauge is ours, not a counterpart's
            watch_breaker(breaker)
        return GrpcDirectoryClient(
            url=settings.CONNECT_URL,
            participant=participant,
            deadline=settings.CONNECT_DEADLINE_SEC,
            attempts=settings.CONNECT_RETRY_ATTEMPTS,
            breaker=breaker,
            bulkhead=Bulkhead(limit=settings.CONNECT_MAX_IN_FLIGHT, wait=settings.CONNECT_BULKHEAD_WAIT_SEC),
            credentials=_credentials(),
        )
    from connect.local import LocalDirectoryClient

    return LocalDirectoryClient(participant=participant)


def connect_state() -> str:
    """For probes and logs: 'in-process', or the gRPC circuit breaker's state (closed, open, half-open)."""
    client = get_client()
    breaker = getattr(client, "breaker", None)
    return "in-process" if breaker is None else str(breaker.current_state)
