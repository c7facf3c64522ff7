"""A small closed-loop load generator: N threads, each with its own connection, for a fixed time.

Every scenario in one run uses the same client code, so the ratio to the baseline scenario is
meaningful even though the client shares the machine with the server.
"""

import http.client
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

Call = Callable[[], bool]  # one request; True when the answer was the expected one


@dataclass(frozen=True)
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run(
    name: str, make_call: Callable[[int], Call], *, concurrency: int, seconds: float, warmup: float = 1.0
) -> Result:
    """Run ``make_call(worker_index)()`` in a loop on each thread; measure after ``warmup`` seconds."""
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    start = threading.Barrier(concurrency + 1)
    measure_from = [0.0]
    stop_at = [0.0]

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
    now = time.perf_counter()
    measure_from[0] = now + warmup
    stop_at[0] = now + warmup + seconds
    start.wait()
    for t in threads:
        t.join()
    samples = sorted(x for per_thread in latencies for x in per_thread)
    if len(samples) < 2:
        return Result(name, len(samples), sum(errors), seconds, 0.0, 0.0, 0.0)
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return Result(name, len(samples), sum(errors), seconds, q[49] * 1000, q[94] * 1000, q[98] * 1000)


def http_get(host: str, port: int, paths: Callable[[], str], headers: dict[str, str], expect: int = 200) -> Call:
    """A keep-alive GET on one connection; reconnects if the server closed it."""
    connection = http.client.HTTPConnection(host, port, timeout=30)

    def call() -> bool:
        connection.request("GET", paths(), headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status == expect

    return call


def report(results: list[Result], baseline: str) -> str:
    base = next(r for r in results if r.name == baseline)
    lines = [f"{'scenario':<28}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}  vs {baseline}"]
    for r in results:
        ratio = r.rps / base.rps if base.rps else 0.0
        lines.append(
            f"{r.name:<28}{r.rps:>9.0f}{r.p50_ms:>9.1f}{r.p95_ms:>9.1f}{r.p99_ms:>9.1f}{r.errors:>8}{ratio:>8.2f}x"
        )
    return "\n".join(lines)
