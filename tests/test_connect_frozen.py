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
from rest_framework.exceptions import Throttled

from common.grpc_errors import RETRY_AFTER_METADATA_KEY, abort
from common.http_errors import problem_exception_handler
from common.retry_after import retry_after_seconds
from connect import client as client_module
from connect.breaker import Bulkhead, CircuitOpen, RatioBreaker
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
    assert elapsed < 0.5 and counting.sent == []  # generous; nothing sent is what rules out waiting on the wire
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


def test_the_bulkhead_wait_comes_out_of_the_calls_budget(frozen, make_client) -> None:
    """A call waiting for a slot waits within its budget: never its deadline plus the bulkhead's wait."""
    bulkhead = Bulkhead(limit=1, wait=10)
    client = make_client(frozen.port, deadline=1.0, bulkhead=bulkhead)
    stuck = threading.Thread(target=lambda: timed(lambda: lookup(client)))
    stuck.start()
    try:
        limit = time.monotonic() + 2
        while bulkhead.in_flight < 1 and time.monotonic() < limit:
            time.sleep(0.01)
        assert bulkhead.in_flight == 1
        error, elapsed = timed(lambda: lookup(client))
        assert isinstance(error, ServiceUnavailable)
        assert elapsed < 1.0 + 0.6  # before: up to 1 s waiting for the slot, then a whole 1 s budget
    finally:
        stuck.join(10)


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
    response = problem_exception_handler(ServiceUnavailable("circuit open", retry_after=7), {})
    assert (response.status_code, response["Retry-After"], response.data["code"]) == (503, "7", "ServiceUnavailable")
    assert "Retry-After" not in problem_exception_handler(ServiceUnavailable("down"), {})


def test_retry_after_is_whole_seconds_rounded_up_the_same_everywhere() -> None:
    assert [retry_after_seconds(s) for s in (None, 0, 0.2, 1.0, 2.0, 2.01, 899.5)] == [1, 1, 1, 1, 2, 3, 900]
    assert problem_exception_handler(Throttled(wait=2.0), {})["Retry-After"] == "2"  # before: int(2.0) + 1
    assert problem_exception_handler(Throttled(wait=0.3), {})["Retry-After"] == "1"


# --- the breaker on its own, on a clock the test moves -------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_keeps_a_running_failure_count_as_the_window_slides() -> None:
    clock = Clock()
    breaker = RatioBreaker(window=10, min_calls=100, failure_ratio=0.9, open_for=5, clock=clock)
    for i in range(20):
        breaker.record(breaker.before_call(), failed=i % 2 == 0)
        clock.now += 1
    assert breaker.failures == 4  # the last 10 s (edge excluded): outcomes 11..19, of which 12, 14, 16, 18 failed
    clock.now += 10
    assert breaker.failures == 0


def test_recording_an_outcome_does_not_walk_the_window() -> None:
    """Every call records under the one process-wide lock: it must not sum the window each time."""
    breaker = RatioBreaker(window=600, min_calls=10**9, failure_ratio=0.5, open_for=5)
    permit = breaker.before_call()
    for _ in range(100_000):
        breaker.record(permit, failed=False)
    started = time.monotonic()
    for _ in range(1_000):
        breaker.record(permit, failed=True)
    assert time.monotonic() - started < 0.5  # before: 1,000 sums of 100,000 outcomes (seconds)
    assert breaker.failures == 1_000


def test_a_listener_may_read_the_breaker() -> None:
    """Listeners are called with the lock released: one reading the state does not deadlock."""
    clock = Clock()
    breaker = RatioBreaker(window=10, min_calls=1, failure_ratio=0.5, open_for=5, clock=clock)
    seen: list[tuple[str, str, str]] = []
    breaker.add_listener(lambda old, new: seen.append((old, new, breaker.current_state)))
    caller = threading.Thread(target=lambda: breaker.record(breaker.before_call(), failed=True), daemon=True)
    caller.start()
    caller.join(5)
    assert not caller.is_alive()  # before: deadlocked on its own lock
    assert seen == [("closed", "open", "open")]


def test_an_outcome_from_before_the_breaker_opened_never_lands_in_the_fresh_window() -> None:
    clock = Clock()
    breaker = RatioBreaker(window=60, min_calls=2, failure_ratio=0.5, open_for=5, clock=clock)
    slow = breaker.before_call()  # a call still running while the breaker opens and closes again
    for _ in range(2):
        breaker.record(breaker.before_call(), failed=True)
    assert breaker.current_state == "open"
    clock.now += 5
    trial = breaker.before_call()
    assert trial.trial
    with pytest.raises(CircuitOpen) as waiting:  # the trial answers within its budget: ask again shortly
        breaker.before_call()
    assert retry_after_seconds(waiting.value.retry_after) == 1  # before: the whole open_for (5)
    breaker.record(trial, failed=False)
    assert breaker.current_state == "closed"
    breaker.record(slow, failed=True)
    assert breaker.failures == 0  # before: the old failure counted, one more would reopen the breaker


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
    sent = len(counting.sent)
    started = time.monotonic()
    fast = payer.get(f"/api/v1/lookup/{quote('elsewhere@example.com', safe='')}/")
    assert time.monotonic() - started < 1  # generous: the budget is 0.5 s, and nothing may be sent
    assert (fast.status_code, fast.json()["code"]) == (503, "ServiceUnavailable")
    assert 1 <= int(fast["Retry-After"]) <= 30
    assert len(counting.sent) == sent
    ready = client.get("/readyz")  # still ready: the breaker is reported, never required
    assert (ready.status_code, ready.json()["connect"]) == (200, "open")
    assert client.get("/healthz").status_code == 200
    assert len(counting.sent) == sent


def test_concurrent_first_calls_share_one_client_and_its_guarded_calls_are_built_once(
    settings, frozen, monkeypatch
) -> None:
    settings.CONNECT_URL = f"127.0.0.1:{frozen.port}"
    built = []
    real_adapter = client_module._adapter

    def slow_adapter():  # widens the window two first calls could both build in
        time.sleep(0.1)
        adapter = real_adapter()
        built.append(adapter)
        return adapter

    monkeypatch.setattr(client_module, "_adapter", slow_adapter)
    get_client.cache_clear()
    try:
        start = threading.Barrier(4)
        clients = []

        def first_call() -> None:
            start.wait(5)
            clients.append(get_client())

        callers = [threading.Thread(target=first_call) for _ in range(4)]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join(10)
        assert len(built) == 1 and len({id(c) for c in clients}) == 1  # before: four clients, four breakers
        assert get_client.cache_info().currsize == 1
        client = get_client()
        assert client.get_entry is client.get_entry  # before: a new wrapper on every attribute read
        assert client.breaker is built[0].breaker  # the adapter's other attributes pass through
    finally:
        for adapter in built:
            adapter.close()
        get_client.cache_clear()
