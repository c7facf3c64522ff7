"""A frozen directory: it accepts TCP connections and never answers (a SIGSTOPped process).

Real sockets throughout: the directory here is a loopback socket server that accepts and holds.
- A call costs one time budget (CONNECT_DEADLINE_SEC), not attempts × timeout.
- Timeouts open the breaker (failure ratio over a window); then calls fail at once with a Retry-After.
- The bulkhead refuses a call beyond its cap while others are stuck.
- Registrations are still answered (PENDING); /healthz and /readyz never wait on the directory.
"""

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import grpc
import pytest

from common.grpc_errors import RETRY_AFTER_METADATA_KEY, abort
from connect.breaker import Bulkhead, RatioBreaker
from connect.client import get_client
from dict_rules.errors import ServiceUnavailable
from tests.factories import CountingStub

PAYER, E2E = "12345678901", "E1234567820250101000000000000001"
MARGIN = 1.5  # generous: this is about never waiting attempts × timeout, not a benchmark


class FrozenDirectory:
    """Accepts connections on 127.0.0.1 and holds them open without ever reading or writing."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)  # so the accepting thread sees ``_stop`` (close() does not wake accept())
        self.port = self._listener.getsockname()[1]
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            self._held.append(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()
        for conn in self._held:
            conn.close()


@pytest.fixture
def frozen() -> Iterator[FrozenDirectory]:
    directory = FrozenDirectory()
    yield directory
    directory.close()


def lookup(client) -> None:
    client.get_entry(key="someone@example.com", payer_id=PAYER, end_to_end_id=E2E)


def timed(call) -> tuple[BaseException | None, float]:
    started = time.monotonic()
    try:
        call()
    except Exception as error:  # noqa: BLE001 - returned to the test
        return error, time.monotonic() - started
    return None, time.monotonic() - started


def test_a_lookup_against_a_frozen_directory_fails_within_its_budget(frozen, make_client) -> None:
    client = make_client(frozen.port, attempts=3, deadline=1.0)
    error, elapsed = timed(lambda: lookup(client))
    assert isinstance(error, ServiceUnavailable)
    assert "DEADLINE_EXCEEDED" in error.message
    assert elapsed < 1.0 + MARGIN  # before: 3 attempts of the full timeout each


def test_timeouts_open_the_breaker_and_the_next_call_fails_at_once(frozen, make_client) -> None:
    breaker = RatioBreaker(window=60, min_calls=3, failure_ratio=0.5, open_for=30)
    client = make_client(frozen.port, deadline=0.3, breaker=breaker)
    for _ in range(3):
        with pytest.raises(ServiceUnavailable):
            lookup(client)
    assert breaker.current_state == "open"
    counting = CountingStub(client)
    error, elapsed = timed(lambda: lookup(client))
    assert isinstance(error, ServiceUnavailable) and "circuit open" in error.message
    assert elapsed < 0.2 and counting.sent == []
    assert 1 <= error.retry_after <= 30  # the seconds until the trial call


def test_the_bulkhead_refuses_a_call_beyond_the_cap_while_others_are_stuck(frozen, make_client) -> None:
    bulkhead = Bulkhead(limit=2, wait=0.05)
    client = make_client(frozen.port, deadline=1.5, bulkhead=bulkhead)
    stuck = [threading.Thread(target=lambda: timed(lambda: lookup(client))) for _ in range(2)]
    for thread in stuck:
        thread.start()
    try:
        limit = time.monotonic() + 2
        while bulkhead.in_flight < 2 and time.monotonic() < limit:
            time.sleep(0.01)
        assert bulkhead.in_flight == 2
        error, elapsed = timed(lambda: lookup(client))
        assert isinstance(error, ServiceUnavailable) and "in flight" in error.message
        assert error.retry_after == 1
        assert elapsed < 0.5
    finally:
        for thread in stuck:
            thread.join(10)
    assert bulkhead.in_flight == 0  # the stuck calls gave their slots back when their budget ran out


def test_a_service_unavailable_with_retry_after_carries_it_on_both_edges() -> None:
    class Context:
        def set_trailing_metadata(self, metadata) -> None:
            self.metadata = dict(metadata)

        def abort(self, code, details) -> None:
            self.code = code

    context = Context()
    abort(context, ServiceUnavailable("circuit open", retry_after=7))
    assert context.code == grpc.StatusCode.UNAVAILABLE
    assert context.metadata[RETRY_AFTER_METADATA_KEY] == "7"


# --- the whole service, pointed at the frozen directory ------------------------------------------


@pytest.fixture
def directory_frozen(settings, frozen) -> Iterator[FrozenDirectory]:
    settings.RATE_LIMIT_RPS = 0
    settings.CONNECT_URL = f"127.0.0.1:{frozen.port}"
    settings.CONNECT_DEADLINE_SEC = 0.5
    settings.CONNECT_BREAKER_MIN_CALLS = 2
    settings.CONNECT_BREAKER_OPEN_SEC = 30
    get_client.cache_clear()
    yield frozen
    get_client().adapter.close()
    get_client.cache_clear()


@pytest.mark.django_db(transaction=True)  # the registration runs in an on-commit callback
def test_registrations_are_answered_pending_while_the_directory_is_frozen(
    directory_frozen, make_account, client_for
) -> None:
    account = make_account()
    body = {"account_id": account.pk, "key_type": "EVP", "request_id": str(uuid.uuid4())}
    started = time.monotonic()
    response = client_for(account.holder.user).post("/api/v1/keys/", body, format="json")
    assert response.json()["status"] == "PENDING"
    assert time.monotonic() - started < 0.5 + MARGIN


@pytest.mark.django_db
def test_probes_never_wait_on_the_directory_and_customers_get_503_with_retry_after(
    directory_frozen, make_account, client_for, client
) -> None:
    adapter = get_client().adapter
    counting = CountingStub(adapter)
    started = time.monotonic()
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()["connect"]) == (200, "closed")
    assert time.monotonic() - started < 1 and counting.sent == []
    payer = client_for(make_account().holder.user)
    for _ in range(2):  # two timeouts of two calls: the breaker opens
        slow = payer.get(f"/api/v1/lookup/{quote('elsewhere@example.com', safe='')}/")
        assert (slow.status_code, slow.json()["code"]) == (503, "ServiceUnavailable")
    assert adapter.breaker.current_state == "open"
    fast = payer.get(f"/api/v1/lookup/{quote('elsewhere@example.com', safe='')}/")
    assert (fast.status_code, fast.json()["code"]) == (503, "ServiceUnavailable")
    assert 1 <= int(fast["Retry-After"]) <= 30
    sent = len(counting.sent)
    ready = client.get("/readyz")  # still ready: the breaker is reported, never required
    assert (ready.status_code, ready.json()["connect"]) == (200, "open")
    assert client.get("/healthz").status_code == 200
    assert len(counting.sent) == sent
