"""The real simulated directory answering late: shared by the Connect robustness tests (claims, MED)."""

import threading
from collections.abc import Callable
from typing import Any

from dictsim.grpc import ConnectServicer


class LateServicer(ConnectServicer):
    """The real directory, which does the work of the methods named in ``late``, says so (``committed``
    is released), and answers only after ``gate`` is set (or 3 s)."""

    def __init__(self, *late: str) -> None:
        self.committed = threading.Semaphore(0)
        self.gate = threading.Event()
        for name in late:
            setattr(self, name, self._late(getattr(super(), name)))

    def _late(self, method: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def answer_late(request: Any, context: Any) -> Any:
            answer = method(request, context)
            self.committed.release()
            self.gate.wait(3)
            return answer

        return answer_late
