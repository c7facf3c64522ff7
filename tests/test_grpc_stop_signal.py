"""`grpcserver` drains and exits on SIGTERM whichever of its threads the kernel hands the signal to.

Python runs signal handlers on the main thread only. The kernel may deliver a process's SIGTERM to
any thread (grpc's, the metrics server's); the main thread, blocked in an untimed wait, then never
woke and the server ignored SIGTERM until killed (seen whenever Prometheus had just scraped it).
Sending the signal to a thread's own id hands it to that thread, so the case is not left to chance.
"""

import os
import signal
import sys

import pytest

from tests.e2e_support import base_env, free_port, running, wait_for_port

pytestmark = pytest.mark.e2e


def test_sigterm_taken_by_another_thread_still_stops_grpcserver(tmp_path) -> None:
    port = free_port()
    command = [sys.executable, "manage.py", "grpcserver", "--port", str(port), "--metrics-port", "0", "--grace", "1"]
    log = tmp_path / "grpcserver.log"
    with running(command, base_env(DATA_DIR=str(tmp_path)), log=log) as process:
        wait_for_port(port, process)
        other_thread = next(int(tid) for tid in os.listdir(f"/proc/{process.pid}/task") if int(tid) != process.pid)
        os.kill(other_thread, signal.SIGTERM)
        assert process.wait(timeout=30) == 0  # the bound only keeps a hang from blocking the run
    assert "signal 15: stopping" in log.read_text()
