"""A circuit breaker that opens on the failure ratio over a time window, and a bulkhead.

Why not pybreaker (or circuitbreaker, purgatory, aiobreaker): they all open after N
*consecutive* failures. Against a directory that hangs, each failure costs a whole time budget
and a single success in between resets the count, so the breaker opened late or never. This
one counts the outcomes of the last ``window`` seconds, shared by every thread of the process,
and opens when at least ``min_calls`` calls ended there and the share of failures reaches
``failure_ratio``. After ``open_for`` seconds it half-opens: exactly one trial call goes
through (the others still fail fast); its success closes the breaker, its failure opens it again.

Only transport failures count (the caller says which); a call the directory answered, even with
a refusal, is a success. ``before_call`` hands each call a Permit; an outcome recorded with the
permit of an earlier generation (a call let through before the breaker last opened) is ignored,
so it cannot land in the window the trial call started afresh.

The lock is held only to read or change the counts and the state, never during a call, while
logging, or while calling the listeners: a listener may read the breaker.
"""

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import NamedTuple

logger = logging.getLogger(__name__)

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"

Listener = Callable[[str, str], None]  # (old state, new state)
Transition = tuple[str, str]


class Permit(NamedTuple):
    """What ``before_call`` lets through; hand it back to ``record``."""

    generation: int  # the breaker's count of openings when the call was let through
    trial: bool  # the half-open trial call


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
        self._failures = 0  # the failures in _outcomes, kept as they come and go
        self._state = CLOSED
        self._opened_at = 0.0
        self._generation = 0
        self._trial_in_flight = False
        self._listeners: list[Listener] = []

    def add_listener(self, listener: Listener) -> None:
        with self._lock:
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
            return self._failures

    def before_call(self) -> Permit:
        """Let a call through (its Permit says whether it is the half-open trial), or raise CircuitOpen."""
        moved: list[Transition] = []
        try:
            with self._lock:
                now = self._clock()
                if self._state == OPEN:
                    left = self.open_for - (now - self._opened_at)
                    if left > 0:
                        raise CircuitOpen(left)
                    self._move(HALF_OPEN, moved)
                if self._state == HALF_OPEN:
                    if self._trial_in_flight:
                        # The open time is over and the trial answers within its budget: ask again
                        # shortly (0 s left, which Retry-After rounds up to 1), not a whole open_for.
                        raise CircuitOpen(0.0)
                    self._trial_in_flight = True
                    return Permit(self._generation, trial=True)
                return Permit(self._generation, trial=False)
        finally:
            self._announce(moved)

    def record(self, permit: Permit, *, failed: bool) -> None:
        """The outcome of a call ``before_call`` let through with ``permit``."""
        moved: list[Transition] = []
        with self._lock:
            now = self._clock()
            if permit.trial:
                self._trial_in_flight = False
                self._clear()
                if failed:
                    self._open(now, moved)
                else:
                    self._move(CLOSED, moved)
            elif permit.generation == self._generation and self._state == CLOSED:
                # (An older generation is a call from before the breaker last opened: old news.)
                self._outcomes.append((now, failed))
                self._failures += failed
                self._trim(now)
                calls = len(self._outcomes)
                if failed and calls >= self.min_calls and self._failures / calls >= self.failure_ratio:
                    self._clear()
                    self._open(now, moved)
        self._announce(moved)

    def _trim(self, now: float) -> None:
        while self._outcomes and self._outcomes[0][0] <= now - self.window:
            _, failed = self._outcomes.popleft()
            self._failures -= failed

    def _clear(self) -> None:
        self._outcomes.clear()
        self._failures = 0

    def _open(self, now: float, moved: list[Transition]) -> None:
        self._opened_at = now
        self._generation += 1
        self._move(OPEN, moved)

    def _move(self, new: str, moved: list[Transition]) -> None:
        """Change the state (lock held); the transition is announced once the lock is released."""
        old, self._state = self._state, new
        if old != new:
            moved.append((old, new))

    def _announce(self, moved: list[Transition]) -> None:
        """Log and tell the listeners, with the lock released (a listener may read the breaker)."""
        if not moved:
            return
        with self._lock:
            listeners = list(self._listeners)
        for old, new in moved:
            logger.warning("%s circuit breaker %s -> %s", self.name, old, new)
            for listener in listeners:
                listener(old, new)


class Bulkhead:
    """At most ``limit`` directory calls in flight per process; a caller beyond waits ``wait`` s at most."""

    def __init__(self, *, limit: int, wait: float) -> None:
        self.limit, self.wait = limit, wait
        self._slots = threading.BoundedSemaphore(limit)
        self._count_lock = threading.Lock()
        self.in_flight = 0  # for probes, logs and tests

    def acquire(self, budget: float | None = None) -> bool:
        """Take a slot, waiting ``wait`` seconds at most, and never longer than ``budget`` (the call's time left)."""
        wait = self.wait if budget is None else max(0.0, min(self.wait, budget))
        if not self._slots.acquire(timeout=wait):
            return False
        with self._count_lock:
            self.in_flight += 1
        return True

    def release(self) -> None:
        with self._count_lock:
            self.in_flight -= 1
        self._slots.release()
