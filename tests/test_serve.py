"""`manage.py serve`, what `make run` starts, as a real process on the embedded default (SQLite in a
fresh DATA_DIR, the in-process cache and tasks, no broker): REST and gRPC answer, both draw one
payer's lookups from one anti-scan budget, the scheduled claims poll runs with nobody running it,
and SIGTERM ends it cleanly. A gRPC port another server holds is refused, not shared.

Every wait is bounded; the bounds only keep CI from hanging, they are not what is tested.
"""

import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from common.grpc_server import new_server
from dict_rules.buckets import PAYER_COST
from protos.dict.core.v1 import core_dict_pb2 as pb
from protos.dict.core.v1 import core_dict_pb2_grpc
from tests.e2e_support import ROOT, Instance, base_env, call, free_port, grpc_services, manage, wait_for_port
from tests.factories import new_phone

pytestmark = pytest.mark.e2e

# A natural-person payer's bucket holds three misses (each costs PAYER_COST.not_found), so the test is short.
MISSES_ALLOWED = 3
SCHEDULE_SCALE = 0.02  # every scheduled job every 1.2 s
WAIT_LIMIT_SEC = 30


@dataclass
class Served:
    process: subprocess.Popen
    log: Path
    web: Instance
    grpc_port: int


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("serve")
    env = base_env(
        DATA_DIR=str(data_dir),
        SCHEDULE_SCALE=str(SCHEDULE_SCALE),
        LOOKUP_PAYER_NATURAL_CAPACITY=str(MISSES_ALLOWED * PAYER_COST.not_found),
    )
    for args in (["migrate", "--noinput"], ["seed_demo"]):
        manage(env, *args)
    port, grpc_port = free_port(), free_port()
    log = data_dir / "serve.log"
    command = [sys.executable, "manage.py", "serve", "--port", str(port), "--grpc-port", str(grpc_port)]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process)
        wait_for_port(grpc_port, process)
        # The embedded default delivers possession codes to files under DATA_DIR/outbox, where the customer reads them.
        yield Served(process, log, Instance(env, f"http://127.0.0.1:{port}", data_dir / "outbox"), grpc_port)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_rest_and_grpc_answer(served: Served) -> None:
    assert call("GET", f"{served.web.base}/healthz") == (200, {"status": "ok"})
    assert {"dict.core.v1.CoreDictService", "grpc.health.v1.Health"} <= grpc_services(served.grpc_port)


def test_one_payer_has_one_budget_over_rest_and_grpc(served: Served) -> None:
    """Misses alternate between the interfaces: one shared bucket refuses after its budget, two would not."""
    token = served.web.token("bob")
    grpc_outcomes = {grpc.StatusCode.NOT_FOUND: "miss", grpc.StatusCode.RESOURCE_EXHAUSTED: "refused"}
    outcomes = []
    with grpc.insecure_channel(f"127.0.0.1:{served.grpc_port}") as channel:
        stub = core_dict_pb2_grpc.CoreDictServiceStub(channel)
        for attempt in range(2 * MISSES_ALLOWED + 2):
            key = f"nobody-{uuid.uuid4().hex[:12]}@example.com"
            if attempt % 2 == 0:
                status, _ = call("GET", f"{served.web.base}/api/v1/lookup/{key}/", token=token)
                outcomes.append(("rest", {404: "miss", 429: "refused"}.get(status, status)))
                continue
            try:
                stub.LookupKey(
                    pb.LookupKeyRequest(key=key), metadata=(("authorization", f"Bearer {token}"),), timeout=10
                )
                code = grpc.StatusCode.OK
            except grpc.RpcError as error:
                code = error.code()
            outcomes.append(("grpc", grpc_outcomes.get(code, code)))

    interfaces = ["rest", "grpc"] * (MISSES_ALLOWED + 1)
    expected = ["miss"] * MISSES_ALLOWED + ["refused"] * (MISSES_ALLOWED + 2)
    assert outcomes == list(zip(interfaces, expected, strict=True))


def test_an_ownership_claim_reaches_the_donor_with_nobody_polling(served: Served) -> None:
    alice, bob = served.web.token("alice"), served.web.token("bob")
    phone = new_phone()
    assert served.web.create(alice, "PHONE", phone)["status"] == "ACTIVE"
    bob_account = call("GET", f"{served.web.base}/api/v1/accounts/", token=bob)[1]["results"][0]["id"]
    claim = {"account_id": bob_account, "key": phone, "request_id": str(uuid.uuid4())}
    status, started = call("POST", f"{served.web.base}/api/v1/claims/", claim, bob)
    assert status == 201, started

    deadline = time.monotonic() + WAIT_LIMIT_SEC
    incoming: list[dict] = []
    while not incoming and time.monotonic() < deadline:
        time.sleep(0.2)
        listed = call("GET", f"{served.web.base}/api/v1/claims/incoming/", token=alice)[1]["results"]
        incoming = [c for c in listed if c["dict_id"] == started["dict_id"]]
    assert [(c["role"], c["type"], c["key"]) for c in incoming] == [("DONOR", "OWNERSHIP", phone)]


def test_sigterm_stops_it_cleanly(served: Served) -> None:
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=WAIT_LIMIT_SEC) == 0
    log = served.log.read_text()
    assert "Traceback" not in log
    assert "draining gRPC calls" in log


def test_a_taken_grpc_port_is_refused_not_shared() -> None:
    """grpcio would share it (SO_REUSEPORT), splitting calls between two processes' in-memory state."""
    first = new_server(workers=1)
    port = first.add_insecure_port("127.0.0.1:0")
    first.start()
    try:
        with pytest.raises(RuntimeError):
            new_server(workers=1).add_insecure_port(f"127.0.0.1:{port}")
    finally:
        first.stop(None).wait()
