"""The Connect gRPC adapter against the real gRPC server (dictsim's ConnectServicer) on loopback.

The server runs in-process on its own threads, which use their own database connections, so
these tests are transactional. Transport failures are retried and counted by the breaker;
directory refusals arrive as the same DomainError the in-process adapter raises.
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from common.grpc_errors import ERROR_METADATA_KEY, FIELDS_METADATA_KEY
from connect import grpc_client
from connect.breaker import RatioBreaker
from connect.client import DirectoryCalledInTransaction, TransactionFreeClient
from connect.local import LocalDirectoryClient
from dict_rules.cid import vsync
from dict_rules.directory import BankAccount, Owner
from dict_rules.errors import (
    AccountInvalid,
    BadRequest,
    DomainError,
    EntryAlreadyExists,
    EntryCannotBeQueriedForBookTransfer,
    EntryInvalid,
    EntryKeyInCustodyOfDifferentParticipant,
    EntryKeyOwnedByDifferentPerson,
    EntryLimitExceeded,
    EntryTaxIdNumberByDifferentOwner,
    InvalidReason,
    NotFound,
    ParticipantInvalid,
    RequestIdAlreadyUsed,
    ServiceUnavailable,
    TaxIdInvalid,
)
from dict_rules.keys import EVP_RE
from dictsim import services
from dictsim.grpc import ConnectServicer
from dictsim.models import DirEntry
from protos.dict.connect.v1 import connect_pb2 as pb
from protos.dict.connect.v1 import connect_pb2_grpc
from tests.e2e_support import wait_until
from tests.factories import OTHER, OURS, CountingStub, account, dead_port, new_cpf, person, refusal, request

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
SERVICE = pb.DESCRIPTOR.services_by_name["ConnectService"].full_name
PAYER, E2E = "12345678901", "E1234567820250101000000000000001"


class Transitions:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(self, old_state: str, new_state: str) -> None:
        self.seen.append((old_state, new_state))


class GatedServicer(ConnectServicer):
    """The real servicer, whose Health waits at a gate: a directory that answers slowly."""

    def __init__(self) -> None:
        self.entered = threading.Semaphore(0)
        self.gate = threading.Event()

    def Health(self, request, context):
        self.entered.release()
        self.gate.wait(10)
        return super().Health(request, context)


def test_every_operation_round_trips_through_the_proto_mappers(start_server, make_client) -> None:
    _, port = start_server()
    ours, theirs = make_client(port), make_client(port, OTHER)
    maria, acme = person(), person(legal=True)
    natural, legal = account(), account(kind="SVGS")
    sent = [
        request("CPF", maria.tax_id, maria, natural),
        request("PHONE", "+5511987650011", maria, natural),
        request("EMAIL", "maria@example.com", maria, natural),
        request("EVP", None, maria, natural),
        request("CNPJ", acme.tax_id, acme, legal),
    ]
    created = [ours.create_entry(r) for r in sent]
    for req, entry in zip(sent, created, strict=True):
        assert (entry.key_type, entry.owner, entry.account) == (req.key_type, req.owner, req.account)
        row = DirEntry.objects.get(key=entry.key)
        assert (entry.created_at, entry.key_ownership_date) == (row.created_at, row.key_ownership_date)
        assert entry.created_at.tzinfo is UTC and entry.account.opening_date.tzinfo is UTC
        assert entry.open_claim_creation_date is None
    assert [e.key for e in created[:3]] == [maria.tax_id, "+5511987650011", "maria@example.com"]
    assert EVP_RE.match(created[3].key)
    assert ours.create_entry(sent[3]) == created[3]  # a retry with the same RequestId: same generated key

    assert theirs.get_entry(key="maria@example.com", payer_id=PAYER, end_to_end_id=E2E) == created[2]

    target, renamed = account(branch="77", kind="TRAN"), person(tax_id=maria.tax_id, name="Maria Souza")
    updated = ours.update_entry(key="+5511987650011", account=target, owner=renamed, reason="USER_REQUESTED")
    assert (updated.account, updated.owner, updated.created_at) == (target, renamed, created[1].created_at)
    row = DirEntry.objects.get(key="+5511987650011")
    assert (row.account_number, row.branch, row.account_type, row.owner_name) == (
        target.number,
        "77",
        "TRAN",
        renamed.name,
    )

    for key_type in ("CPF", "CNPJ", "PHONE", "EMAIL", "EVP"):
        directory_vsync = vsync(list(DirEntry.objects.filter(key_type=key_type).values_list("cid", flat=True)))
        assert ours.check_sync(key_type=key_type, verifier=directory_vsync) == (True, directory_vsync)
        assert ours.check_sync(key_type=key_type, verifier="0" * 64) == (False, directory_vsync)
        assert list(ours.list_cids(key_type=key_type)) == [DirEntry.objects.get(key_type=key_type).cid]
    assert theirs.check_sync(key_type="EMAIL", verifier="0" * 64) == (True, "0" * 64)

    before = datetime.now(UTC)
    now = ours.health()
    assert now.tzinfo is UTC and before <= now <= datetime.now(UTC)

    assert ours.delete_entry(key="maria@example.com", reason="USER_REQUESTED") is None
    assert not DirEntry.objects.filter(key="maria@example.com").exists()
    with pytest.raises(NotFound):
        theirs.get_entry(key="maria@example.com", payer_id=PAYER, end_to_end_id=E2E)


def test_list_cids_follows_page_tokens(start_server, make_client, monkeypatch) -> None:
    _, port = start_server()
    acme, acct = person(legal=True), account()
    for _ in range(5):
        services.entry_create(participant=OURS, request=request("EVP", None, acme, acct))
    monkeypatch.setattr(grpc_client, "CID_PAGE", 2)
    client = make_client(port)
    counting = CountingStub(client)
    cids = list(client.list_cids(key_type="EVP"))
    assert cids == sorted(DirEntry.objects.values_list("cid", flat=True))
    assert counting.sent == ["ListCids"] * 3
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = connect_pb2_grpc.ConnectServiceStub(channel)
        meta = (("x-participant-ispb", OURS),)
        page = stub.ListCids(pb.ListCidsRequest(key_type=pb.EVP, page_size=4), metadata=meta, timeout=2)
        assert (list(page.cids), page.next_page_token) == (cids[:4], cids[3])
        last = stub.ListCids(pb.ListCidsRequest(key_type=pb.EVP, page_token=cids[3]), metadata=meta, timeout=2)
        assert (list(last.cids), last.next_page_token) == (cids[4:], "")
        with pytest.raises(grpc.RpcError) as bad:
            stub.ListCids(pb.ListCidsRequest(key_type=pb.EVP, page_size=-1), metadata=meta, timeout=2)
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert dict(bad.value.trailing_metadata())["x-dict-error"] == "BadRequest"


def test_list_cids_checks_for_a_transaction_while_it_is_read(start_server, make_client, monkeypatch) -> None:
    """Pages are fetched as the CIDs are read: the guard checks then too, not only when the call starts."""
    _, port = start_server()
    acme, acct = person(legal=True), account()
    for _ in range(3):
        services.entry_create(participant=OURS, request=request("EVP", None, acme, acct))
    monkeypatch.setattr(grpc_client, "CID_PAGE", 2)
    cids = TransactionFreeClient(make_client(port)).list_cids(key_type="EVP")
    assert next(cids)
    with transaction.atomic(), pytest.raises(DirectoryCalledInTransaction):
        list(cids)  # before: the second page was fetched inside the transaction


class MalformedFieldsServicer(ConnectServicer):
    """A directory whose refusal carries a fields trailer that is not what ``abort`` writes."""

    def __init__(self, fields: bytes) -> None:
        self.fields = fields

    def Health(self, request, context):
        context.set_trailing_metadata(((ERROR_METADATA_KEY, "NotFound"), (FIELDS_METADATA_KEY, self.fields)))
        context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")


@pytest.mark.parametrize("fields", [b"not json", b"\xff\xfe", b'{"ab": "cd"}', b"[1, 2]", b'[["a", "b", "c"]]', b"7"])
def test_a_malformed_fields_trailer_still_arrives_as_the_refusal(start_server, make_client, fields) -> None:
    _, port = start_server(MalformedFieldsServicer(fields))
    breaker = RatioBreaker(window=60, min_calls=1, failure_ratio=0.01, open_for=60)
    with pytest.raises(NotFound) as refused:  # before: ValueError or TypeError, a 500 / INTERNAL
        make_client(port, breaker=breaker).health()
    assert (refused.value.message, refused.value.fields) == ("no such thing", [])
    assert breaker.current_state == "closed"


def test_a_call_on_a_closed_channel_is_unavailable_and_counts_as_a_failure(start_server, make_client) -> None:
    _, port = start_server()
    breaker = RatioBreaker(window=60, min_calls=5, failure_ratio=0.5, open_for=60)
    client = make_client(port, breaker=breaker)
    client.close()
    with pytest.raises(ServiceUnavailable):  # before: ValueError "Cannot invoke RPC on closed channel!"
        client.health()
    assert breaker.failures == 1  # before: recorded as a success


def test_every_refusal_arrives_as_the_same_domain_error_and_never_trips_the_breaker(start_server, make_client) -> None:
    _, port = start_server()
    breaker = RatioBreaker(window=60, min_calls=1, failure_ratio=0.01, open_for=60)
    remote = {OURS: make_client(port, breaker=breaker), OTHER: make_client(port, OTHER, breaker=breaker)}
    local = {OURS: LocalDirectoryClient(participant=OURS), OTHER: LocalDirectoryClient(participant=OTHER)}
    maria, acct = person(), account()
    phone = remote[OURS].create_entry(request("PHONE", "+5511987650012", maria, acct)).key
    evp = remote[OURS].create_entry(request("EVP", None, maria, acct)).key
    theirs = remote[OTHER].create_entry(request("EMAIL", "theirs@example.com", person(), account(OTHER))).key
    used = uuid.uuid4()
    remote[OURS].create_entry(request("EMAIL", "used@example.com", maria, acct, request_id=used))
    full = account()
    for i in range(5):
        remote[OURS].create_entry(request("EMAIL", f"full{i}@example.com", maria, full))
    rows = sorted(DirEntry.objects.values_list("key", "cid", "updated_at"))

    def create(key_type: str, key: str | None, owner: Owner = maria, acct: BankAccount = acct, **kwargs) -> dict:
        return {"request": request(key_type, key, owner, acct, **kwargs)}

    def update(key: str, owner: Owner = maria, reason: str = "USER_REQUESTED") -> dict:
        return {"key": key, "account": acct, "owner": owner, "reason": reason}

    cases: list[tuple[type[DomainError], str, str, dict]] = [
        (EntryAlreadyExists, OURS, "create_entry", create("PHONE", phone, acct=account())),
        (EntryKeyInCustodyOfDifferentParticipant, OTHER, "create_entry", create("PHONE", phone, acct=account(OTHER))),
        (EntryKeyOwnedByDifferentPerson, OTHER, "create_entry", create("PHONE", phone, person(), account(OTHER))),
        (EntryKeyOwnedByDifferentPerson, OURS, "create_entry", create("PHONE", phone, person(), account())),
        (EntryLimitExceeded, OURS, "create_entry", create("EVP", None, acct=full)),
        (RequestIdAlreadyUsed, OURS, "create_entry", create("EMAIL", "other@example.com", request_id=used)),
        (EntryTaxIdNumberByDifferentOwner, OURS, "create_entry", create("CPF", new_cpf())),
        (EntryInvalid, OURS, "create_entry", create("EMAIL", "not-an-email")),
        (AccountInvalid, OURS, "create_entry", create("EVP", None, acct=account(branch="12345"))),
        (TaxIdInvalid, OURS, "create_entry", create("EVP", None, person(tax_id="12345678900"))),
        (InvalidReason, OURS, "create_entry", create("EVP", None, reason="FRAUD")),
        (ParticipantInvalid, OURS, "create_entry", create("EVP", None, acct=account(OTHER))),
        (ParticipantInvalid, OURS, "delete_entry", {"key": theirs, "reason": "USER_REQUESTED"}),
        (ParticipantInvalid, OURS, "update_entry", update(theirs)),
        (InvalidReason, OURS, "update_entry", update(evp)),
        (EntryInvalid, OURS, "update_entry", update(phone, owner=person())),
        (NotFound, OURS, "update_entry", update("nobody@example.com")),
        (NotFound, OURS, "delete_entry", {"key": "nobody@example.com", "reason": "USER_REQUESTED"}),
        (NotFound, OURS, "get_entry", {"key": "nobody@example.com", "payer_id": PAYER, "end_to_end_id": E2E}),
        (
            EntryCannotBeQueriedForBookTransfer,
            OURS,
            "get_entry",
            {"key": phone, "payer_id": PAYER, "end_to_end_id": E2E},
        ),
        (BadRequest, OTHER, "get_entry", {"key": phone, "payer_id": "123", "end_to_end_id": E2E}),
        (BadRequest, OTHER, "get_entry", {"key": phone, "payer_id": PAYER, "end_to_end_id": ""}),
    ]
    for expected, participant, method, kwargs in cases:
        over_grpc = refusal(lambda: getattr(remote[participant], method)(**kwargs))  # noqa: B023
        in_process = refusal(lambda: getattr(local[participant], method)(**kwargs))  # noqa: B023
        assert (type(over_grpc), over_grpc.code) == (expected, expected.code)
        # The same error either way: class, code, message and invalid fields.
        assert (type(over_grpc), over_grpc.message, over_grpc.fields) == (
            type(in_process),
            in_process.message,
            in_process.fields,
        )
    assert (breaker.current_state, breaker.failures) == ("closed", 0)
    assert sorted(DirEntry.objects.values_list("key", "cid", "updated_at")) == rows
    assert remote[OURS].health().tzinfo is UTC


@pytest.mark.parametrize("metadata", [(), (("x-participant-ispb", "1234"),), (("x-participant-ispb", "abcdefgh"),)])
def test_a_call_without_a_valid_participant_is_permission_denied(start_server, metadata) -> None:
    _, port = start_server()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = connect_pb2_grpc.ConnectServiceStub(channel)
        with pytest.raises(grpc.RpcError) as denied:
            stub.Health(pb.HealthRequest(), metadata=metadata, timeout=2)
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert dict(denied.value.trailing_metadata())["x-dict-error"] == "ParticipantInvalid"
        with pytest.raises(grpc.RpcError) as denied:
            stub.GetEntry(pb.GetEntryRequest(key="x@example.com"), metadata=metadata, timeout=2)
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_refusals_carry_a_grpc_status_and_dicts_error_type(start_server) -> None:
    _, port = start_server()
    services.entry_create(participant=OURS, request=request("EMAIL", "mine@example.com", person(), account()))
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = connect_pb2_grpc.ConnectServiceStub(channel)
        meta = (("x-participant-ispb", OURS),)
        answers = []
        for key, payer in (("nobody@example.com", PAYER), ("mine@example.com", PAYER), ("mine@example.com", "1")):
            with pytest.raises(grpc.RpcError) as refused:
                stub.GetEntry(pb.GetEntryRequest(key=key, payer_id=payer, end_to_end_id=E2E), metadata=meta, timeout=2)
            answers.append((refused.value.code(), dict(refused.value.trailing_metadata())["x-dict-error"]))
        bad_id = pb.CreateEntryRequest(request_id="not-a-uuid", reason=pb.USER_REQUESTED)
        with pytest.raises(grpc.RpcError) as refused:
            stub.CreateEntry(bad_id, metadata=meta, timeout=2)
        answers.append((refused.value.code(), dict(refused.value.trailing_metadata())["x-dict-error"]))
    assert answers == [
        (grpc.StatusCode.NOT_FOUND, "NotFound"),
        (grpc.StatusCode.FAILED_PRECONDITION, "EntryCannotBeQueriedForBookTransfer"),
        (grpc.StatusCode.INVALID_ARGUMENT, "BadRequest"),
        (grpc.StatusCode.INVALID_ARGUMENT, "BadRequest"),
    ]


def test_an_outage_of_the_directorys_database_is_unavailable_not_internal(start_server, monkeypatch) -> None:
    """dictsim's database refusing connections (its port closed, a real failed connect) is an
    outage: UNAVAILABLE with ServiceUnavailable, which the client retries, not INTERNAL."""
    _, port = start_server()
    lookup = pb.GetEntryRequest(key="nobody@example.com", payer_id=PAYER, end_to_end_id=E2E)
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = connect_pb2_grpc.ConnectServiceStub(channel)
        meta = (("x-participant-ispb", OURS),)
        answers = []
        for database_port in (1, None):  # down, then back up
            with monkeypatch.context() as patch:
                if database_port:
                    patch.setitem(connections.settings["default"], "PORT", database_port)
                with pytest.raises(grpc.RpcError) as refused:
                    stub.GetEntry(lookup, metadata=meta, timeout=5)
            answers.append((refused.value.code(), dict(refused.value.trailing_metadata()).get("x-dict-error")))
    assert answers == [
        (grpc.StatusCode.UNAVAILABLE, "ServiceUnavailable"),
        (grpc.StatusCode.NOT_FOUND, "NotFound"),
    ]


def test_a_stopped_directory_is_service_unavailable_after_the_configured_attempts(start_server, make_client) -> None:
    server, port = start_server()
    breaker = RatioBreaker(window=60, min_calls=5, failure_ratio=0.5, open_for=60)
    client = make_client(port, attempts=3, breaker=breaker)
    assert client.health().tzinfo is UTC
    server.stop(None).wait()
    counting = CountingStub(client)
    with pytest.raises(ServiceUnavailable) as unavailable:
        client.health()
    assert "UNAVAILABLE" in unavailable.value.message
    assert counting.sent == ["Health"] * 3
    assert (breaker.current_state, breaker.failures) == ("closed", 1)  # one call, one failure
    once = make_client(port, attempts=1)
    counting_once = CountingStub(once)
    with pytest.raises(ServiceUnavailable):
        once.create_entry(request("EVP", None, person(), account()))
    assert counting_once.sent == ["CreateEntry"]


def test_a_directory_that_does_not_answer_in_time_costs_one_budget_not_attempts_times_timeout(
    start_server, make_client
) -> None:
    """The first attempt's timeout is the whole budget: when it runs out, nothing is left to retry with."""
    servicer = GatedServicer()
    _, port = start_server(servicer)
    client = make_client(port, attempts=3, deadline=0.5)
    try:
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable) as unavailable:
            client.health()
        elapsed = time.monotonic() - started
        assert "DEADLINE_EXCEEDED" in unavailable.value.message
        assert elapsed < 0.5 * 2.5  # generous, and still short of 3 attempts × 0.5 s
        assert servicer.entered.acquire(timeout=5)
        assert not servicer.entered.acquire(timeout=0.3)  # exactly one attempt reached the server
    finally:
        servicer.gate.set()


def test_calls_in_flight_do_not_wait_for_each_other(start_server, make_client) -> None:
    """The breaker guards calls without serializing them: a slow call does not hold up the next."""
    servicer = GatedServicer()
    _, port = start_server(servicer)
    client = make_client(port, deadline=10)
    answers: list[datetime] = []
    callers = [threading.Thread(target=lambda: answers.append(client.health())) for _ in range(2)]
    try:
        callers[0].start()
        assert servicer.entered.acquire(timeout=5)
        callers[1].start()
        # While the first call is held at the server, the second one reaches it too.
        assert servicer.entered.acquire(timeout=5)
    finally:
        servicer.gate.set()
        for caller in callers:
            caller.join(timeout=10)
    assert len(answers) == 2 and all(a.tzinfo is UTC for a in answers)


def test_the_breaker_opens_on_the_failure_ratio_over_the_window_and_then_fails_fast(start_server, make_client) -> None:
    transitions = Transitions()
    breaker = RatioBreaker(window=60, min_calls=3, failure_ratio=0.5, open_for=60)
    breaker.add_listener(transitions)
    _, live_port = start_server()
    live = make_client(live_port, breaker=breaker)
    dead = make_client(dead_port(start_server), attempts=2, breaker=breaker)
    counting = CountingStub(dead)
    with pytest.raises(ServiceUnavailable):
        dead.health()
    assert breaker.current_state == "closed"  # 1 failure of 1 call: fewer calls than the minimum
    assert live.health().tzinfo is UTC  # a success in between does not wipe the failure out
    assert (breaker.current_state, breaker.failures) == ("closed", 1)
    with pytest.raises(ServiceUnavailable):
        dead.health()
    assert breaker.current_state == "open"  # 2 failures of 3 calls
    assert counting.sent == ["Health"] * 4
    # Open: every call fails at once, without touching the network, even to a live directory.
    live_counting = CountingStub(live)
    for call in (dead.health, live.health, lambda: live.check_sync(key_type="EVP", verifier="0" * 64)):
        with pytest.raises(ServiceUnavailable) as fast:
            call()
        assert "circuit open" in fast.value.message
    assert (counting.sent, live_counting.sent) == (["Health"] * 4, [])
    assert transitions.seen == [("closed", "open")]


def test_the_breaker_half_opens_after_the_reset_timeout(start_server, make_client) -> None:
    transitions = Transitions()
    breaker = RatioBreaker(window=60, min_calls=1, failure_ratio=0.5, open_for=0.2)
    breaker.add_listener(transitions)
    dead = make_client(dead_port(start_server), attempts=1, breaker=breaker)
    counting = CountingStub(dead)
    with pytest.raises(ServiceUnavailable):
        dead.health()
    assert breaker.current_state == "open"
    time.sleep(0.25)
    with pytest.raises(ServiceUnavailable):  # the trial call fails: open again
        dead.health()
    assert (breaker.current_state, counting.sent) == ("open", ["Health"] * 2)
    time.sleep(0.25)
    _, port = start_server()  # the directory is back (a fresh server)
    back = make_client(port, breaker=breaker)
    assert back.health().tzinfo is UTC  # the trial call succeeds: closed
    assert breaker.current_state == "closed"
    assert transitions.seen == [
        ("closed", "open"),
        ("open", "half-open"),
        ("half-open", "open"),
        ("open", "half-open"),
        ("half-open", "closed"),
    ]
    assert back.check_sync(key_type="CPF", verifier="0" * 64) == (True, "0" * 64)


def test_standard_health_checking_and_reflection_are_served(start_server) -> None:
    _, port = start_server()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for name in ("", SERVICE):
            answer = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=2)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.RpcError) as unknown:
            health.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=2)
        assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
        database = ProtoReflectionDescriptorDatabase(channel)
        assert {SERVICE, "grpc.health.v1.Health"} <= set(database.get_services())
        described = DescriptorPool(database).FindServiceByName(SERVICE)
        assert [m.name for m in described.methods] == [
            "CreateEntry",
            "GetEntry",
            "UpdateEntry",
            "DeleteEntry",
            "CheckSync",
            "ListCids",
            "Health",
            "CreateClaim",
            "GetClaim",
            "ListClaims",
            "AcknowledgeClaim",
            "ConfirmClaim",
            "CancelClaim",
            "CompleteClaim",
            "GetEntryByCid",
            "CreateInfractionReport",
            "GetInfractionReport",
            "ListInfractionReports",
            "UpdateInfractionReport",
            "AcknowledgeInfractionReport",
            "CancelInfractionReport",
            "CloseInfractionReport",
            "CreateFraudMarker",
            "GetFraudMarker",
            "ListFraudMarkers",
            "CancelFraudMarker",
            "CreateRefund",
            "GetRefund",
            "ListRefunds",
            "CancelRefund",
            "CloseRefund",
        ]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_run_dictsim_logs_its_port_serves_and_exits_cleanly_on_sigterm(make_client, tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DB_", "CONNECT_", "CELERY_"))}
    env.update(DATABASE_URL=_database_url(), REDIS_URL=settings.REDIS_URL, CELERY_TASK_ALWAYS_EAGER="1")
    log = tmp_path / "run_dictsim.log"
    announced = re.compile(r"dictsim serving Connect on 127\.0\.0\.1:(\d+)")
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_dictsim", "--bind", "127.0.0.1:0", "--workers", "2", "--grace", "2"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: announced.search(log.read_text()) or process.poll() is not None, "the port logged", 60)
        printed = announced.search(log.read_text())
        assert printed, log.read_text()
        client = make_client(int(printed[1]))
        created = client.create_entry(request("EVP", None, person(), account()))
        assert DirEntry.objects.get(key=created.key).participant == OURS  # it serves from the test database
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
