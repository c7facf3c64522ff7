"""A small closed-loop load generator: N threads, each with its own connection, for a fixed time.

Every scenario in one run uses the same client code, so the ratio to the baseline scenario is
meaningful even though the client shares the machine with the server.
"""

import http.client
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Call = Callable[[], bool]  # one request; True when the answer was the expected one
Probe = Callable[[], dict[str, float]]  # CPU ms used so far, per named server (bench.cpu)


@dataclass(frozen=True)
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    cpu_ms: dict[str, float] = field(default_factory=dict)  # each server's CPU over the measured window

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run(
    name: str,
    make_call: Callable[[int], Call],
    *,
    concurrency: int,
    seconds: float,
    warmup: float = 1.0,
    probe: Probe = dict,
) -> Result:
    """Run ``make_call(worker_index)()`` in a loop on each thread; measure after ``warmup`` seconds.

    ``probe`` is read when the measured window opens and when it closes: the result holds the difference.
    """
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    measure_from = [0.0]
    stop_at = [0.0]

    def open_window() -> None:  # once every thread is connected: the clock starts when the load does
        now = time.perf_counter()
        measure_from[0] = now + warmup
        stop_at[0] = now + warmup + seconds

    start = threading.Barrier(concurrency + 1, action=open_window)

    def worker(index: int) -> None:
        call = make_call(index)
        start.wait()
        while True:
            began = time.perf_counter()
            if began >= stop_at[0]:
                return
            try:
                ok = call()
            except (OSError, http.client.HTTPException):
                ok = False
            if began >= measure_from[0]:
                latencies[index].append(time.perf_counter() - began)
                errors[index] += 0 if ok else 1

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for t in threads:
        t.start()
    start.wait()
    time.sleep(max(0.0, measure_from[0] - time.perf_counter()))
    before = probe()
    time.sleep(max(0.0, stop_at[0] - time.perf_counter()))
    after = probe()
    for t in threads:
        t.join()
    cpu_ms = {server: after[server] - before[server] for server in after}
    samples = sorted(x for per_thread in latencies for x in per_thread)
    if len(samples) < 2:
        return Result(name, len(samples), sum(errors), seconds, 0.0, 0.0, 0.0, cpu_ms)
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return Result(name, len(samples), sum(errors), seconds, q[49] * 1000, q[94] * 1000, q[98] * 1000, cpu_ms)


def http_get(host: str, port: int, paths: Callable[[], str], headers: dict[str, str], expect: int = 200) -> Call:
    """A keep-alive GET on one connection; reconnects if the server closed it."""
    connection = http.client.HTTPConnection(host, port, timeout=30)

    def call() -> bool:
        connection.request("GET", paths(), headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status == expect

    return call
