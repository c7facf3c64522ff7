"""A Pulsar-protocol broker of the test's own (pulsar-lite, STACK_NOTES_2 §1), and a reader of what it holds.

Each broker listens on a free loopback port with its data in its own directory and its metrics
listener off (it would take 0.0.0.0:8080), so two pytest-xdist workers each run theirs.
"""

import json
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pulsar
import pytest
from pulsar_lite.binary_finder import find_pulsar_lite_binary

from tests.e2e_support import free_port, wait_for_port

CLIENT_TIMEOUT_SEC = 5
READ_TIMEOUT_SEC = 30
QUIET_MS = 300  # once all expected events are in: how long to wait for anything more


@dataclass
class PulsarLite:
    """Stopped and started again on the same port and data directory, so what it stored survives."""

    root: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"pulsar://127.0.0.1:{self.port}"

    def start(self) -> None:
        config = self.root / "pulsar-lite.toml"
        config.write_text("[metrics]\nenabled = false\n")
        args = [
            find_pulsar_lite_binary(),
            *("--config", str(config), "--addr", f"127.0.0.1:{self.port}"),
            *("--db-path", str(self.root / "db"), "--log-level", "warn"),
        ]
        with (self.root / "broker.log").open("a") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.resume()  # a paused broker would keep the signal pending
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None

    def pause(self) -> None:
        """SIGSTOP: the port stays open and nothing answers, as a hung broker."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture(scope="module")
def broker(tmp_path_factory) -> Iterator[PulsarLite]:
    """One broker per test module (import the fixture there)."""
    started = PulsarLite(tmp_path_factory.mktemp("pulsar"))
    started.start()
    yield started
    started.stop()


@pytest.fixture
def prefix() -> str:
    """Topics of the test's own."""
    return f"persistent://public/default/t{uuid.uuid4().hex[:12]}-"


def client(url: str) -> pulsar.Client:
    return pulsar.Client(
        url, operation_timeout_seconds=CLIENT_TIMEOUT_SEC, logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn)
    )


@dataclass(frozen=True)
class Received:
    key: str
    properties: dict[str, str]
    body: dict

    @property
    def event_id(self) -> str:
        return self.properties["event_id"]


def read_topic(url: str, topic: str, events: int) -> list[Received]:
    """The messages the topic holds, in order, once it has shown ``events`` distinct event ids (or 30 s passed)
    and then stayed quiet for QUIET_MS.

    Read by a subscription of its own from the earliest message: pulsar-lite's readers deliver some
    messages twice and then stall. A message delivered again (same message id) counts once; a message
    published twice (two ids) counts twice, as consumers see it.
    """
    reader_client = client(url)
    try:
        consumer = reader_client.subscribe(
            topic, f"read-{uuid.uuid4().hex}", initial_position=pulsar.InitialPosition.Earliest
        )
        received: dict[str, Received] = {}
        deadline = time.monotonic() + READ_TIMEOUT_SEC
        while True:
            enough = len({r.event_id for r in received.values()}) >= events
            if not enough and time.monotonic() > deadline:
                return list(received.values())
            try:
                message = consumer.receive(timeout_millis=QUIET_MS if enough else 1000)
            except pulsar.Timeout:
                if enough:
                    return list(received.values())
                continue
            consumer.acknowledge(message)
            received.setdefault(
                str(message.message_id()),
                Received(message.partition_key(), message.properties(), _body(message.data())),
            )
    finally:
        reader_client.close()


def _body(data: bytes) -> dict:
    try:
        return json.loads(data)
    except ValueError:
        return {"raw": data.decode(errors="replace")}


def first_deliveries(received: list[Received]) -> list[Received]:
    """What a deduplicating consumer handles: each event id once, at its first arrival."""
    seen: set[str] = set()
    return [r for r in received if not (r.event_id in seen or seen.add(r.event_id))]
