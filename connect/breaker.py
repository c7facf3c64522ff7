"""A circuit breaker that opens on the failure ratio over a time window, and a bulkhead.

Why not pybreaker (or circuitbreaker, purgatory, aiobreaker): they all open after N
*consecutive* failures. Against a directory that hangs, each failure costs a whole time budget
and a single success in between resets the count, so the breaker opened late or never. This
one counts the outcomes of the last ``window`` seconds, shared by every thread of the process,
and opens when at least ``min_calls`` calls ended there and the share of failures reaches
``failure_ratio``. After ``open_for`` seconds it half-opens: exactly one trial call goes
through (the others still fail fast); its success closes the breaker, its failure opens it again.

Only transport failures count (the caller says which); a call the directory answered, even with
a refusal, is a success.
"""

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable

logger = logging.getLogger(__name__)

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"

Listener = Callable[[str, str], None]  # (old state, new state)


class CircuitOpen(Exception):
    """The breaker refused the call; ``retry_after`` is the number of seconds until it lets one through."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"circuit open for {retry_after:.1f}s more")
        self.retry_after = retry_after


class RatioBreaker:
    def __init__(
        self,
        *,
        window: float = 10.0,
        min_calls: int = 5,
        failure_ratio: float = 0.5,
        open_for: float = 5.0,
        name: str = "connect",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window, self.min_calls, self.failure_ratio, self.open_for = window, min_calls, failure_ratio, open_for
        self.name = name
        self._clock = clock
        self._lock = threading.Lock()  # held only to read or record, never during a call
        self._outcomes: deque[tuple[float, bool]] = deque()  # (when, failed)
        self._state = CLOSED
        self._opened_at = 0.0
        self._trial_in_flight = False
        self._listeners: list[Listener] = []

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    @property
    def current_state(self) -> str:
        with self._lock:
            if self._state == OPEN and self._clock() - self._opened_at >= self.open_for:
                return HALF_OPEN  # the next call will be the trial
            return self._state

    @property
    def failures(self) -> int:
        """Failures recorded in the current window (for tests and logs)."""
        with self._lock:
            self._trim(self._clock())
            return sum(failed for _, failed in self._outcomes)

    def before_call(self) -> bool:
        """Let a call through, or raise CircuitOpen. True when the call is the half-open trial."""
        with self._lock:
            now = self._clock()
            if self._state == OPEN:
                left = self.open_for - (now - self._opened_at)
                if left > 0:
                    raise CircuitOpen(left)
                self._move(HALF_OPEN)
            if self._state == HALF_OPEN:
                if self._trial_in_flight:
                    raise CircuitOpen(self.open_for)
                self._trial_in_flight = True
                return True
            return False

    def record(self, *, failed: bool, trial: bool) -> None:
        """The outcome of a call ``before_call`` let through."""
        with self._lock:
            now = self._clock()
            if trial:
                self._trial_in_flight = False
                self._outcomes.clear()
                if failed:
                    self._open(now)
                else:
                    self._move(CLOSED)
                return
            if self._state != CLOSED:
                return  # a call from before the breaker opened: its outcome is already old news
            self._outcomes.append((now, failed))
            self._trim(now)
            calls = len(self._outcomes)
            failures = sum(f for _, f in self._outcomes)
            if failed and calls >= self.min_calls and failures / calls >= self.failure_ratio:
                self._outcomes.clear()
                self._open(now)

    def _trim(self, now: float) -> None:
        while self._outcomes and self._outcomes[0][0] <= now - self.window:
            self._outcomes.popleft()

    def _open(self, now: float) -> None:
        self._opened_at = now
        self._move(OPEN)

    def _move(self, new: str) -> None:
        old, self._state = self._state, new
        if old == new:
            return
        logger.warning("%s circuit breaker %s -> %s", self.name, old, new)
        for listener in self._listeners:
            listener(old, new)


def retry_after_seconds(seconds: float) -> int:
    """Whole seconds for a Retry-After header: rounded up, at least 1."""
    return max(1, math.ceil(seconds))


class Bulkhead:
    """At most ``limit`` directory calls in flight per process; a caller beyond waits ``wait`` s at most."""

    def __init__(self, *, limit: int, wait: float) -> None:
        self.limit, self.wait = limit, wait
        self._slots = threading.BoundedSemaphore(limit)
        self._count_lock = threading.Lock()
        self.in_flight = 0  # for probes, logs and tests

    def acquire(self) -> bool:
        if not self._slots.acquire(timeout=self.wait):
            return False
        with self._count_lock:
            self.in_flight += 1
        return True

    def release(self) -> None:
        with self._count_lock:
            self.in_flight -= 1
        self._slots.release()
