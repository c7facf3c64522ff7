"""Prometheus metrics of the directory port: each Connect call's outcome and latency, and the circuit breaker's state.

Labels are the Connect method names the adapter calls (a fixed set) and an outcome: ``ok``, ``refused``
(the directory answered with a DICT error), ``failed`` (no answer: timeout, UNAVAILABLE, anything
else) or ``not_asked`` (the breaker or the bulkhead refused it here). Nothing of a request is a label.
"""

from contextlib import AbstractContextManager

from prometheus_client import Counter, Gauge, Histogram

from common.timing import timed
from connect.breaker import CLOSED, HALF_OPEN, OPEN, RatioBreaker
from connect.ports import DirectoryNotAsked
from dict_rules.errors import DomainError, ServiceUnavailable

BREAKER_STATE_VALUES = {CLOSED: 0, HALF_OPEN: 1, OPEN: 2}

# Set on each transition (the breaker's listeners). The breaker is per process: in the web's gunicorn
# workers (multiprocess mode) the exposition shows the worst state among the live workers.
BREAKER_STATE = Gauge(
    "coredict_connect_breaker_state",
    "The Connect circuit breaker: 0 closed, 1 half-open, 2 open.",
    multiprocess_mode="livemax",
)
CALLS = Counter("coredict_connect_calls", "Connect calls, by method and outcome.", ["method", "outcome"])
CALL_DURATION = Histogram(
    "coredict_connect_call_duration_seconds",
    "Connect calls that left this process, by method: until the answer or the failure, retries included.",
    ["method"],
)


def watch_breaker(breaker: RatioBreaker) -> None:
    """Show ``breaker``'s state from now on (a new client's breaker replaces the old one's state)."""
    BREAKER_STATE.set(BREAKER_STATE_VALUES[breaker.current_state])
    breaker.add_listener(lambda old, new: BREAKER_STATE.set(BREAKER_STATE_VALUES[new]))


def _outcome(error: BaseException | None) -> str:
    if error is None:
        return "ok"
    if isinstance(error, DirectoryNotAsked):
        return "not_asked"
    if isinstance(error, DomainError) and not isinstance(error, ServiceUnavailable):
        return "refused"
    return "failed"


def observed_call(method: str) -> AbstractContextManager:
    """Count one directory call by its outcome; time it unless it never left this process."""

    def count(error: BaseException | None, seconds: float) -> None:
        outcome = _outcome(error)
        CALLS.labels(method, outcome).inc()
        if outcome != "not_asked":
            CALL_DURATION.labels(method).observe(seconds)

    return timed(count)
