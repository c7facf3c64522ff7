"""`manage.py grpcserver` as a real process: grpcurl lists the services over reflection, and all
15 CoreDictService methods answer end to end, on the embedded defaults (SQLite, in-process cache
and tasks) and on PostgreSQL and Redis with a real Celery worker registering the keys; SIGTERM
ends the process cleanly.

The in-process directory plays DICT in both deployments; another PSP's moves on it are made by
``tests.e2e_grpc_world``, run with the deployment's own environment.
"""

import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack

import grpc
import pytest
from django.conf import settings
from django_otp.oath import totp
from grpc_health.v1 import health_pb2, health_pb2_grpc
from redis import Redis

from protos.dict.core.v1 import core_dict_pb2 as pb
from protos.dict.core.v1 import core_dict_pb2_grpc
from tests.e2e_support import (
    BIN,
    ROOT,
    base_env,
    delivered_code,
    free_port,
    grpc_services,
    manage,
    outbox_env,
    running,
    scratch_database,
    wait_for_port,
)
from tests.factories import new_phone

pytestmark = pytest.mark.e2e

REDIS_DB = 5  # the other e2e tests use 3, 8 and 9


@pytest.fixture(params=["embedded", "postgres"])
def deployment(request, tmp_path) -> Iterator[dict[str, str]]:
    if request.param == "embedded":  # its own default delivers codes to files in DATA_DIR/outbox
        yield base_env(DATA_DIR=str(tmp_path))
        return
    redis_url = settings.REDIS_URL.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    Redis.from_url(redis_url).flushdb()
    with scratch_database("grpc") as database_url:
        outbox = outbox_env(tmp_path / "outbox")  # as the embedded default's, where the test reads codes
        yield base_env(DATA_DIR=str(tmp_path), DATABASE_URL=database_url, REDIS_URL=redis_url, **outbox)


@pytest.fixture
def server(deployment) -> Iterator[tuple[subprocess.Popen, int]]:
    for args in (["migrate", "--noinput"], ["seed_demo"]):
        manage(deployment, *args)
    workers = ExitStack()
    if "REDIS_URL" in deployment:  # tasks go through the Redis broker: a real worker runs them
        worker = [str(BIN / "celery"), "-A", "dict_project", "worker", "--pool", "solo", "-l", "warning"]
        workers.enter_context(running(worker, deployment))
    port = free_port()
    command = [sys.executable, "manage.py", "grpcserver", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--metrics-port", "0"], cwd=ROOT, env=deployment, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for_port(port, process)
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        workers.close()


def world(env: dict[str, str], *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e_grpc_world", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_grpcurl_lists_the_service_and_health(server) -> None:
    _, port = server
    assert {"dict.core.v1.CoreDictService", "grpc.health.v1.Health"} <= grpc_services(port)


def test_all_fifteen_methods_end_to_end_then_sigterm(server, deployment, tmp_path) -> None:
    process, port = server
    given = world(deployment, "prepare")
    alice, bob = ((("authorization", f"Bearer {given[who]}"),) for who in ("alice", "bob"))
    bin_key = bytes.fromhex(given["totp_key"])
    codes = (f"{totp(bin_key, drift=step):06d}" for step in range(4))  # each code once, in order
    account = given["account"]

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = core_dict_pb2_grpc.CoreDictServiceStub(channel)

        def settled(entry: pb.Entry, waiting: int) -> pb.Entry:
            """The entry once a worker has carried its change to DICT (at once when tasks run in-process)."""
            deadline = time.monotonic() + 60
            while entry.status == waiting and time.monotonic() < deadline:
                time.sleep(0.2)
                entry = stub.GetKey(pb.GetKeyRequest(id=entry.id), metadata=alice)
            return entry

        def prove(key_type: int, key: str) -> str:
            """A possession challenge for the key, confirmed with the code read where it was delivered."""
            start = pb.StartPossessionChallengeRequest(key_type=key_type, key=key)
            challenge = stub.StartPossessionChallenge(start, metadata=alice)
            code = delivered_code(tmp_path / "outbox", challenge.key)
            confirm = pb.ConfirmPossessionChallengeRequest(id=challenge.id, code=code)
            assert stub.ConfirmPossessionChallenge(confirm, metadata=alice).status == pb.POSSESSION_CONFIRMED
            return challenge.id

        def create(key_type: int, key: str = "") -> pb.Entry:
            proof = prove(key_type, key) if key_type in (pb.PHONE, pb.EMAIL) else ""
            request = pb.CreateKeyRequest(
                account_id=account, key_type=key_type, key_value=key, request_id=rid(), possession_challenge_id=proof
            )
            return settled(stub.CreateKey(request, metadata=alice).entry, pb.PENDING)

        health = stub.HealthCheck(pb.HealthCheckRequest())
        assert (health.status, health.database, health.cache) == (pb.SERVING, "ok", "ok")
        standard = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
        assert standard.status == health_pb2.HealthCheckResponse.SERVING

        # UpdateKey: alice's CPF key moves to her savings account; DICT and our lookup's view of it follow.
        cpf = create(pb.CPF, "52998224725")
        move = pb.UpdateKeyRequest(id=cpf.id, account_id=given["savings"], request_id=rid())
        moving = stub.UpdateKey(move, metadata=alice).entry
        deadline = time.monotonic() + 60
        while moving.update_pending and time.monotonic() < deadline:  # a worker carries it to DICT
            time.sleep(0.2)
            moving = stub.GetKey(pb.GetKeyRequest(id=cpf.id), metadata=alice)
        assert (moving.account_id, moving.update_pending, moving.cid != cpf.cid) == (given["savings"], False, True)
        assert world(deployment, "at_dict", cpf.key_value) == {
            "dict": given["savings_number"],
            "lookup": given["savings_number"],
        }
        assert stub.LookupKey(pb.LookupKeyRequest(key=cpf.key_value), metadata=bob).name == "Alice Pereira"

        emails = [f"{name}.{uuid.uuid4().hex[:8]}@example.com" for name in ("given", "refused")]
        phone = new_phone()
        unproven = pb.CreateKeyRequest(account_id=account, key_type=pb.PHONE, key_value=phone, request_id=rid())
        with pytest.raises(grpc.RpcError) as refused:
            stub.CreateKey(unproven, metadata=alice)
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert dict(refused.value.trailing_metadata())["x-dict-error"] == "PossessionNotProven"
        created = [create(pb.EMAIL, key) for key in emails] + [create(pb.PHONE, phone)]
        assert {e.status for e in created} == {pb.ACTIVE}
        evp = create(pb.EVP)
        assert stub.GetKey(pb.GetKeyRequest(id=evp.id), metadata=alice).key_value == evp.key_value
        listed = stub.ListKeys(pb.ListKeysRequest(page_size=2), metadata=alice)
        assert ([e.id for e in listed.entries], bool(listed.next_page_token)) == ([evp.id, created[-1].id], True)
        deleting = stub.DeleteKey(pb.DeleteKeyRequest(id=evp.id), metadata=alice)
        assert settled(deleting, pb.DELETE_PENDING).status == pb.DELETED

        looked_up = stub.LookupKey(pb.LookupKeyRequest(key=emails[0]), metadata=bob)
        assert (looked_up.key, looked_up.name, looked_up.tax_id) == (emails[0], "Alice Pereira", "***.982.247-**")

        # Another PSP claims three of alice's keys; our poll stores them as incoming claims.
        for key, claim_type in ((emails[0], "PORTABILITY"), (emails[1], "PORTABILITY"), (phone, "OWNERSHIP")):
            world(deployment, "claim", key, claim_type)
        incoming = stub.ListIncomingClaims(pb.ListClaimsRequest(), metadata=alice).claims
        by_key = {claim.key: claim for claim in incoming}
        assert set(by_key) == {*emails, phone} and {c.role for c in incoming} == {pb.DONOR}

        confirm = pb.ConfirmPortabilityRequest(id=by_key[emails[0]].id, otp=next(codes))
        assert stub.ConfirmPortability(confirm, metadata=alice).status == pb.CONFIRMED
        refuse = pb.CancelPortabilityRequest(id=by_key[emails[1]].id, otp=next(codes))
        assert stub.CancelPortability(refuse, metadata=alice).status == pb.CANCELLED
        proof = prove(pb.PHONE, phone)  # rejecting an ownership claim: the code sent to the phone, and the TOTP
        reject = pb.RespondToClaimRequest(
            id=by_key[phone].id, decision=pb.REJECT, otp=next(codes), possession_challenge_id=proof
        )
        assert stub.RespondToClaim(reject, metadata=alice).status == pb.CANCELLED

        # Alice claims a phone held by a stranger elsewhere, and brings her own e-mail key over.
        claim_request = pb.StartClaimRequest(account_id=account, key=given["phone_elsewhere"], request_id=rid())
        started = stub.StartClaim(claim_request, metadata=alice).claim
        status = stub.GetClaimStatus(pb.GetClaimStatusRequest(id=started.id), metadata=alice)
        assert (status.type, status.role, status.status) == (pb.OWNERSHIP, pb.CLAIMER, pb.OPEN)
        portability = pb.StartPortabilityRequest(
            account_id=account, key_type=pb.EMAIL, key=given["email_elsewhere"], request_id=rid()
        )
        brought = stub.StartPortability(portability, metadata=alice).claim
        outgoing = stub.ListOutgoingClaims(pb.ListClaimsRequest(), metadata=alice).claims
        assert [c.id for c in outgoing] == [brought.id, started.id]
        cancel = pb.CancelClaimRequest(id=started.id, otp=next(codes))
        assert stub.CancelClaim(cancel, metadata=alice).status == pb.CANCELLED

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0, process.stderr.read()


def rid() -> str:
    return str(uuid.uuid4())
