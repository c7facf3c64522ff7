"""Timing a block with its outcome, for the metrics of the gRPC edge and of the directory client."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def timed(on_end: Callable[[BaseException | None, float], None]) -> Iterator[None]:
    """Run the block, then tell ``on_end`` what it raised (None) and how long it took in seconds, whatever happened."""
    started = time.perf_counter()
    error: BaseException | None = None
    try:
        yield
    except BaseException as exc:
        error = exc
        raise
    finally:
        on_end(error, time.perf_counter() - started)
