"""Connect and the simulated directory when things go wrong: late answers, malformed answers, full accounts.

- A write the directory cannot recognise as a repeat (CreateClaim, DeleteEntry) is sent again
  only when it certainly never reached the directory.
- A malformed answer from the directory is ServiceUnavailable, never a bare ValueError.
- dictsim reads its clock once per operation, and completing a claim respects the claimer
  account's key limit as a create does.
"""

import threading
import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.otp_api import ConfirmIn, EnrolIn
from accounts.second_factor import OTP_RE
from claims.grpc import otp_from_pb
from claims.serializers import OtpIn
from common import connect_codec as mappers
from common import pb_util
from common.grpc_fields import resource_id_from_pb
from dict_rules.directory import ClaimRequest, CompletedClaim, DirectoryClaim, DirectoryEntry, Owner
from dict_rules.errors import (
    BadRequest,
    ClaimAlreadyExistsForKey,
    ClaimInvalid,
    EntryInvalid,
    EntryLimitExceeded,
    NotFound,
    ParticipantInvalid,
    ServiceUnavailable,
)
from dictsim import claims, services
from dictsim.grpc import ConnectServicer
from dictsim.models import DirCidEvent, DirClaim, DirEntry
from protos.dict.connect.v1 import connect_pb2 as pb
from tests.factories import OTHER, OURS, CountingStub, account, dead_port, new_phone, person, request
from tests.late_servicer import LateServicer

# start_server and make_client (the loopback Connect server and its clients) are fixtures of tests/conftest.py.

T0 = datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)


def create(participant: str, *args, **kwargs) -> DirectoryEntry:
    return services.entry_create(participant=participant, request=request(*args, **kwargs))


def phone_held_at_other() -> tuple[str, ClaimRequest]:
    """A phone key of Maria's at OTHER, and João's ownership claim on it from OURS."""
    phone, maria, joao = new_phone(), person(), person(name="Joao Souza")
    create(OTHER, "PHONE", phone, maria, account(OTHER))
    return phone, ClaimRequest("OWNERSHIP", phone, "PHONE", account(OURS), joao)


def late_servicer() -> LateServicer:
    """The real directory, which commits CreateClaim and DeleteEntry and then answers late."""
    return LateServicer("CreateClaim", "DeleteEntry")


# --- 1. retries of writes without a request id ---------------------------------------------------
# The directory's server threads read and write over their own connections: transaction=True.


@pytest.mark.django_db(transaction=True)
def test_a_create_claim_answered_too_late_is_not_sent_again(start_server, make_client) -> None:
    """Before: the retry met the claim the first attempt had made, and the user got a 409."""
    servicer = late_servicer()
    _, port = start_server(servicer)
    client = make_client(port, attempts=3, deadline=0.5)
    counting = CountingStub(client)
    _, claim_request = phone_held_at_other()
    try:
        with pytest.raises(ServiceUnavailable) as unavailable:
            client.create_claim(claim_request)
    finally:
        servicer.gate.set()
    assert "DEADLINE_EXCEEDED" in unavailable.value.message
    assert not isinstance(unavailable.value, ClaimAlreadyExistsForKey)
    assert counting.sent == ["CreateClaim"]
    assert DirClaim.objects.filter(key=claim_request.key).count() == 1  # the directory did make it


@pytest.mark.django_db(transaction=True)
def test_a_delete_answered_too_late_is_not_sent_again(start_server, make_client) -> None:
    """Before: the retry found the key gone and the caller got NotFound instead of 'try again'."""
    servicer = late_servicer()
    _, port = start_server(servicer)
    client = make_client(port, attempts=3, deadline=0.5)
    counting = CountingStub(client)
    entry = create(OURS, "PHONE", new_phone(), person(), account(OURS))
    try:
        with pytest.raises(ServiceUnavailable):
            client.delete_entry(key=entry.key, reason="USER_REQUESTED")
    finally:
        servicer.gate.set()
    assert counting.sent == ["DeleteEntry"]
    assert not DirEntry.objects.filter(key=entry.key).exists()


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_after_the_create_claim_arrived_is_not_sent_again(start_server, make_client) -> None:
    """UNAVAILABLE does not prove the request never arrived: here the directory committed first."""
    servicer = late_servicer()
    server, port = start_server(servicer)
    client = make_client(port, attempts=3, deadline=5)
    counting = CountingStub(client)
    _, claim_request = phone_held_at_other()

    def stop_once_committed() -> None:
        if servicer.committed.acquire(timeout=5):
            server.stop(None)

    stopper = threading.Thread(target=stop_once_committed)
    stopper.start()
    try:
        with pytest.raises(ServiceUnavailable) as unavailable:
            client.create_claim(claim_request)
    finally:
        servicer.gate.set()
        stopper.join(5)
    assert "UNAVAILABLE" in unavailable.value.message
    assert counting.sent == ["CreateClaim"]
    assert DirClaim.objects.filter(key=claim_request.key).count() == 1


@pytest.mark.django_db  # the directory is down: its threads never read what the test wrote
def test_a_create_claim_that_never_reached_the_directory_is_retried(start_server, make_client) -> None:
    client = make_client(dead_port(start_server), attempts=3)
    counting = CountingStub(client)
    _, claim_request = phone_held_at_other()
    with pytest.raises(ServiceUnavailable) as unavailable:
        client.create_claim(claim_request)
    assert "UNAVAILABLE" in unavailable.value.message
    assert counting.sent == ["CreateClaim"] * 3


# --- 2. malformed answers ------------------------------------------------------------------------


def changed(message, changes: dict):
    """``message`` with fields set (``parent__field``: value) or cleared (None): a crafted answer."""
    for path, value in changes.items():
        *parents, name = path.split("__")
        target = message
        for parent in parents:
            target = getattr(target, parent)
        if value is None:
            target.ClearField(name)
        else:
            setattr(target, name, value)
    return message


def a_claim(**changes) -> pb.Claim:
    claim = DirectoryClaim(
        id=uuid.uuid4(),
        claim_type="OWNERSHIP",
        key="+5511987650001",
        key_type="PHONE",
        claimer_account=account(OURS),
        claimer=person(),
        donor_participant=OTHER,
        status="OPEN",
        created_at=T0,
        resolution_period_end=T0,
        completion_period_end=None,
        last_modified=T0,
    )
    return changed(mappers.claim_to_pb(claim), changes)


def an_entry(**changes) -> pb.Entry:
    entry = DirectoryEntry("+5511987650001", "PHONE", person(), account(OURS), T0, T0)
    return changed(mappers.entry_to_pb(entry), changes)


def test_well_formed_answers_map_as_before() -> None:
    claim = mappers.claim_from_pb(a_claim(cancel_reason=pb.Reason.Value("FRAUD"), cancelled_by=pb.DONOR))
    assert (claim.status, claim.cancel_reason, claim.cancelled_by, claim.confirm_reason) == (
        "OPEN",
        "FRAUD",
        "DONOR",
        "",
    )
    assert claim.created_at == T0 and claim.completion_period_end is None
    entry = mappers.entry_from_pb(an_entry())
    assert (entry.key_type, entry.owner.person_type, entry.account.account_type, entry.created_at) == (
        "PHONE",
        "NATURAL_PERSON",
        "CACC",
        T0,
    )


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"id": "not-a-uuid"}, "id 'not-a-uuid' is not a UUID"),
        ({"id": ""}, "is not a UUID"),
        ({"status": 0}, "status 0 is not a known value"),
        ({"status": 99}, "status 99 is not a known value"),
        ({"type": 0}, "type 0"),
        ({"key_type": 42}, "key_type 42"),
        ({"claimer__type": 0}, "claimer.type 0"),
        ({"claimer_account__account_type": 0}, "claimer_account.account_type 0"),
        ({"cancel_reason": 77}, "cancel_reason 77"),
        ({"cancelled_by": 9}, "cancelled_by 9"),
        ({"key": ""}, "key missing"),
        ({"last_modified": None}, "last_modified missing"),
        ({"resolution_period_end": None}, "resolution_period_end missing"),
        ({"creation_date__seconds": 10**12}, "claim"),
    ],
)
def test_a_malformed_claim_from_the_directory_is_service_unavailable(changes: dict, problem: str) -> None:
    """Before: a bad id raised ValueError, and an unknown status mapped to '' (a later ValueError)."""
    with pytest.raises(ServiceUnavailable) as unavailable:
        mappers.claim_from_pb(a_claim(**changes))
    assert "the directory answered a malformed claim" in unavailable.value.message
    assert problem in unavailable.value.message


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"key_type": 0}, "key_type 0"),
        ({"owner__type": 0}, "owner.type 0"),
        ({"account__account_type": 99}, "account.account_type 99"),
        ({"key": ""}, "key missing"),
        ({"creation_date": None}, "creation_date missing"),
        ({"key_ownership_date__seconds": -(10**12)}, "entry"),
    ],
)
def test_a_malformed_entry_from_the_directory_is_service_unavailable(changes: dict, problem: str) -> None:
    with pytest.raises(ServiceUnavailable) as unavailable:
        mappers.entry_from_pb(an_entry(**changes))
    assert "the directory answered a malformed entry" in unavailable.value.message
    assert problem in unavailable.value.message


def test_a_completion_without_its_dates_is_service_unavailable() -> None:
    message = mappers.completed_to_pb(
        CompletedClaim(claim=mappers.claim_from_pb(a_claim()), entry_created_at=T0, key_ownership_date=T0), "c"
    )
    assert mappers.completed_from_pb(message).entry_created_at == T0
    message.ClearField("entry_creation_date")
    with pytest.raises(ServiceUnavailable, match="entry_creation_date missing"):
        mappers.completed_from_pb(message)


class MalformedServicer(ConnectServicer):
    """A directory whose GetClaim answers a claim with an id that is not a UUID."""

    def GetClaim(self, request, context):
        return pb.ClaimResponse(claim=pb.Claim(id="claim-1", status=pb.OPEN))


def test_the_client_turns_a_malformed_answer_into_service_unavailable(start_server, make_client) -> None:
    _, port = start_server(MalformedServicer())
    client = make_client(port)
    with pytest.raises(ServiceUnavailable, match="malformed claim"):
        client.get_claim(uuid.uuid4())


# --- 3. one validation of the party for entries and claims ----------------------------------------


@pytest.mark.django_db
def test_entries_and_claims_refuse_a_bad_party_alike() -> None:
    phone, claim_request = phone_held_at_other()
    maria = person()
    wrong_type = Owner("LEGAL_PERSON", maria.tax_id, maria.name, "")
    with pytest.raises(EntryInvalid) as entry_error:
        create(OURS, "EMAIL", "maria@example.com", wrong_type, account(OURS))
    with pytest.raises(ClaimInvalid) as claim_error:
        claims.claim_create(
            participant=OURS,
            request=ClaimRequest("OWNERSHIP", phone, "PHONE", account(OURS), wrong_type),
        )
    assert [f.field for f in entry_error.value.fields] == ["owner.type"]
    assert [f.field for f in claim_error.value.fields] == ["claimer.type"]
    assert claim_error.value.message == "the claimer type does not match the tax id."
    with pytest.raises(ParticipantInvalid, match="registers keys only for its own accounts"):
        create(OURS, "EMAIL", "maria@example.com", maria, account(OTHER))
    with pytest.raises(ParticipantInvalid, match="claims keys only for its own accounts"):
        claims.claim_create(participant=OTHER, request=claim_request)


# --- 4. one clock reading per operation --------------------------------------------------------


def clock_reads(queries) -> int:
    return sum("dictsim_dirclock" in query["sql"] for query in queries.captured_queries)


@pytest.mark.django_db
def test_a_create_reads_the_clock_once_and_its_cid_event_carries_the_entrys_time() -> None:
    with CaptureQueriesContext(connection) as queries:
        entry = create(OURS, "EVP", None, person(), account(OURS))
    assert clock_reads(queries) == 1
    row = DirEntry.objects.get(key=entry.key)
    added = DirCidEvent.objects.get(cid=row.cid, event="ADDED")
    assert added.occurred_at == row.created_at == row.key_ownership_date == row.updated_at


@pytest.mark.django_db
def test_confirm_and_complete_stamp_their_cid_events_with_the_claims_time() -> None:
    maria = person()
    create(OTHER, "CPF", maria.tax_id, maria, account(OTHER))
    claim = claims.claim_create(
        participant=OURS, request=ClaimRequest("PORTABILITY", maria.tax_id, "CPF", account(OURS), maria)
    )
    claims.claim_acknowledge(participant=OTHER, claim_id=claim.id)
    with CaptureQueriesContext(connection) as queries:
        confirmed = claims.claim_confirm(participant=OTHER, claim_id=claim.id, reason="USER_REQUESTED")
    assert clock_reads(queries) == 1
    assert DirCidEvent.objects.get(participant=OTHER, event="REMOVED").occurred_at == confirmed.last_modified
    with CaptureQueriesContext(connection) as queries:
        done = claims.claim_complete(participant=OURS, claim_id=claim.id, request_id=uuid.uuid4())
    assert clock_reads(queries) == 1
    added = DirCidEvent.objects.get(participant=OURS, event="ADDED")
    assert added.occurred_at == done.entry_created_at == done.claim.last_modified


# --- 5. completing a claim respects the claimer account's key limit ------------------------------


@pytest.mark.django_db
def test_completing_a_claim_onto_a_full_account_is_entry_limit_exceeded() -> None:
    """Before: the directory created the claimer's entry anyway, a sixth key on a natural person's account."""
    maria = person()
    full = account(OURS)
    create(OTHER, "CPF", maria.tax_id, maria, account(OTHER))
    claim = claims.claim_create(participant=OURS, request=ClaimRequest("PORTABILITY", maria.tax_id, "CPF", full, maria))
    for _ in range(5):
        create(OURS, "EVP", None, maria, full)
    claims.claim_acknowledge(participant=OTHER, claim_id=claim.id)
    claims.claim_confirm(participant=OTHER, claim_id=claim.id, reason="USER_REQUESTED")
    with pytest.raises(EntryLimitExceeded):
        claims.claim_complete(participant=OURS, claim_id=claim.id, request_id=uuid.uuid4())
    assert DirClaim.objects.get(id=claim.id).status == "CONFIRMED"  # nothing changed
    assert not DirEntry.objects.filter(key=maria.tax_id).exists()
    assert DirEntry.objects.filter(participant=OURS, account_number=full.number).count() == 5
    services.entry_delete(
        participant=OURS, key=DirEntry.objects.filter(account_number=full.number).first().key, reason="USER_REQUESTED"
    )
    done = claims.claim_complete(participant=OURS, claim_id=claim.id, request_id=uuid.uuid4())
    assert done.claim.status == "COMPLETED"
    assert DirEntry.objects.filter(participant=OURS, account_number=full.number).count() == 5


# --- 6, 7. shared helpers: protobuf fields, the one-time code ------------------------------------


def test_pb_util_reads_and_writes_fields_one_way() -> None:
    assert pb_util.from_timestamp(pb_util.to_timestamp(T0)) == T0
    assert pb_util.to_timestamp(None) is None and pb_util.from_timestamp(pb_util.to_timestamp(T0), False) is None
    assert pb_util.enum_name(pb.ClaimStatus, pb.OPEN) == "OPEN"
    assert pb_util.enum_name(pb.ClaimStatus, 0) == pb_util.enum_name(pb.ClaimStatus, 99) == ""
    assert (pb_util.enum_value(pb.Reason, "FRAUD"), pb_util.enum_value(pb.Reason, "")) == (pb.Reason.Value("FRAUD"), 0)
    assert pb_util.parse_uuid("nope") is None
    with pytest.raises(BadRequest) as bad:
        pb_util.uuid_field("nope", "request_id")
    assert [f.field for f in bad.value.fields] == [
        "request_id"
    ] and bad.value.message == "request_id must be a valid UUID."
    with pytest.raises(NotFound, match="Claim not found."):
        resource_id_from_pb("nope", "Claim not found.")


@pytest.mark.parametrize("code", ["123456", "000000", "12345", "1234567", "12a456", "", "١٢٣٤٥٦"])
def test_every_interface_takes_the_same_one_time_code(code: str) -> None:
    expected = OTP_RE.fullmatch(code) is not None
    assert ConfirmIn(data={"otp": code}).is_valid() is expected
    assert OtpIn(data={"otp": code}).is_valid() is expected
    assert EnrolIn(data={"otp": code}).is_valid() is expected
    try:
        otp_from_pb(code)
        grpc_ok = True
    except BadRequest:
        grpc_ok = False
    assert grpc_ok is expected
    assert expected is (code in ("123456", "000000"))
