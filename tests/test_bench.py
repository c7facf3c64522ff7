"""The benchmark harness (bench/): its server processes, its CPU accounting, its baselines and its figures.

No speed is asserted here: speed is measured by `python -m bench.run`, never as a test.
"""

import sys
import time
import uuid
from collections.abc import Iterator

import grpc
import jwt
import pytest
from django.conf import settings
from django.db import connection
from redis import Redis

from bench import report
from bench.cpu import tree_cpu_ms
from bench.loadgen import Result
from bench.report import Target
from bench.run import Scenario, chosen
from dictsim.synthetic import seed_key
from protos.dict.core.v1 import core_dict_pb2 as pb
from protos.dict.core.v1 import core_dict_pb2_grpc
from tests.e2e_support import base_env, free_port, running, shared_database_url, wait_until


def test_a_server_writing_more_than_a_pipe_holds_still_starts():
    """64 kB of warnings on stderr before it listens: nothing may block the server on an unread pipe."""
    port = free_port()
    chatty = (
        "import socket, sys, time\n"
        "sys.stderr.write('warning\\n' * 40_000)\n"
        "sys.stderr.flush()\n"
        f"listener = socket.create_server(('127.0.0.1', {port}))\n"
        "time.sleep(60)\n"
    )
    with running([sys.executable, "-c", chatty], base_env(), port) as process:
        assert process.poll() is None


def test_cpu_counts_the_whole_process_tree(tmp_path):
    """A parent that only waits (as gunicorn's arbiter does), its child burning 0.3 s: the tree's CPU holds it."""
    burner = (
        "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\n"
        "print('burnt', flush=True)\ntime.sleep(60)"
    )
    parent = f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {burner!r}])"
    log = tmp_path / "tree.log"
    with running([sys.executable, "-c", parent], base_env(), log=log) as process:
        wait_until(lambda: "burnt" in log.read_text(), "the child burnt its CPU")
        assert tree_cpu_ms([process.pid]) >= 280  # the parent's own start-up is a few tens of ms


@pytest.fixture
def bare_env() -> Iterator[dict[str, str]]:
    """The bare servers' environment on the test's Redis; their own keys removed afterwards."""
    yield base_env(SECRET_KEY=SECRET, REDIS_URL=settings.REDIS_URL)
    redis = Redis.from_url(settings.REDIS_URL)
    for key in redis.scan_iter(match="bench:*"):
        redis.delete(key)


SECRET = "bench-test-" + uuid.uuid4().hex * 2


def _bearer(secret: str = SECRET) -> tuple[tuple[str, str]]:
    claims = {"user_id": 7, "iss": "core-dict", "aud": "core-dict-api", "exp": int(time.time()) + 600}
    return (("authorization", f"Bearer {jwt.encode(claims, secret, algorithm='HS256')}"),)


@pytest.fixture
def bare_directory(bare_env) -> Iterator[str]:
    port = free_port()
    args = [sys.executable, "-m", "bench.bare_directory", "--entries", "30", "--port", str(port)]
    with running(args, bare_env, port):
        yield f"127.0.0.1:{port}"


def _stub(port: int) -> core_dict_pb2_grpc.CoreDictServiceStub:
    return core_dict_pb2_grpc.CoreDictServiceStub(grpc.insecure_channel(f"127.0.0.1:{port}"))


def test_the_bare_forwarder_answers_from_the_bare_directory_and_refuses_a_forged_token(bare_env, bare_directory):
    port = free_port()
    args = [sys.executable, "-m", "bench.bare_lookup", "--forward", bare_directory, "--port", str(port)]
    _, phone = seed_key(13)
    with running(args, bare_env, port):
        answer = _stub(port).LookupKey(pb.LookupKeyRequest(key=phone), metadata=_bearer(), timeout=10)
        with pytest.raises(grpc.RpcError) as refused:
            _stub(port).LookupKey(pb.LookupKeyRequest(key=phone), metadata=_bearer("forged" * 8), timeout=10)
    assert (answer.key, answer.key_type, answer.person_type) == (phone, pb.PHONE, pb.NATURAL_PERSON)
    assert answer.ispb == "99999902" and answer.tax_id.startswith("***.") and answer.end_to_end_id.startswith("E1")
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.django_db(transaction=True)
def test_the_bare_create_writes_the_key_and_its_event_then_registers_it(bare_env, bare_directory):
    port = free_port()
    args = [sys.executable, "-m", "bench.bare_create", "--directory", bare_directory, "--port", str(port)]
    request = pb.CreateKeyRequest(account_id=5, key_type=pb.EVP, request_id=str(uuid.uuid4()))
    with running(args, {**bare_env, "DATABASE_URL": shared_database_url()}, port):
        entry = _stub(port).CreateKey(request, metadata=_bearer(), timeout=10).entry
    assert (entry.status, entry.account_id, entry.request_id) == (pb.ACTIVE, 5, request.request_id)
    assert uuid.UUID(entry.key_value)  # the directory made the EVP key
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.key_type, v.type FROM bench_bare_entry e JOIN bench_bare_event v ON v.entry_id = e.id"
            " WHERE e.request_id = %s",
            [request.request_id],
        )
        assert cursor.fetchall() == [("EVP", "EntryCreated")]


def _result(name: str, requests: int, server_ms: float) -> Result:
    return Result(name, requests, 0, 1.0, 1.0, 2.0, 3.0, {"server": server_ms})


def test_a_ratio_is_taken_within_its_run_and_each_figure_is_summed_up_as_min_median_max():
    twin_runs = [_result("twin", 100, 50.0), _result("twin", 400, 50.0), _result("twin", 200, 50.0)]
    runs = [_result("it", 80, 80.0), _result("it", 100, 300.0), _result("it", 100, 50.0)]
    figures = [report.figures(r, t) for r, t in zip(runs, twin_runs, strict=True)]
    summarized = report.summary(figures)
    assert summarized["ratio"] == {"min": 0.25, "median": 0.5, "max": 0.8}
    assert summarized["cpu_ms_per_call"] == {"min": 0.5, "median": 1.0, "max": 3.0}
    assert summarized["directory_cpu_ms_per_call"] is None
    assert report.checked(Target("ratio", 0.5), summarized)["met"]
    assert not report.checked(Target("cpu_ms_per_call", 0.7), summarized)["met"]


def test_only_brings_the_twins_a_ratio_needs():
    def scenario(name: str, twin: str | None) -> Scenario:
        return Scenario(name, "server", lambda worker: lambda: True, twin=twin)

    every = [scenario("echo", None), scenario("bare create", "echo"), scenario("CreateKey", "bare create")]
    every.append(scenario("bare lookup", "echo"))
    assert [s.name for s in chosen(every, ["createkey"])] == ["echo", "bare create", "CreateKey"]
