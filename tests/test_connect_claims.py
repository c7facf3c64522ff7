"""Claims through the Connect gRPC adapter against the real server on loopback, and parity with the in-process one.

The server's threads use their own database connections, so these tests are transactional and
the directory clock is advanced by committed writes the server sees.
"""

import uuid
from datetime import timedelta

import grpc
import pytest
from django.utils import timezone

from connect.local import LocalDirectoryClient
from dict_rules.directory import ClaimRequest, DirectoryClaim, Owner
from dict_rules.errors import (
    BadRequest,
    ClaimAlreadyExistsForKey,
    ClaimCompletionPeriodNotEnded,
    ClaimKeyNotFound,
    ClaimOperationInvalid,
    ClaimResolutionPeriodNotEnded,
    ClaimTypeInconsistent,
    InvalidReason,
    NotFound,
)
from dictsim import claims, clock, services
from dictsim.models import DirEntry
from protos.dict.connect.v1 import connect_pb2 as pb
from protos.dict.connect.v1 import connect_pb2_grpc
from tests.factories import OTHER, OURS, account, person, refusal, request

pytestmark = pytest.mark.django_db(transaction=True)

THIRD = "22222222"
PHONE = "+5511987650077"
DAYS7 = timedelta(days=7)


def held_at_other(client, key_type: str, key: str | None, owner: Owner) -> str:
    return client.create_entry(request(key_type, key, owner, account(OTHER))).key


def claim_request(claim_type: str, key: str, key_type: str, claimer: Owner) -> ClaimRequest:
    return ClaimRequest(claim_type, key, key_type, account(OURS), claimer)


def test_portability_round_trips_every_claim_rpc(start_server, make_client) -> None:
    _, port = start_server()
    ours, theirs, local = make_client(port), make_client(port, OTHER), LocalDirectoryClient(participant=OURS)
    maria = person()
    donor_entry = theirs.create_entry(request("CPF", maria.tax_id, maria, account(OTHER)))

    claim = ours.create_claim(claim_request("PORTABILITY", maria.tax_id, "CPF", maria))
    assert isinstance(claim, DirectoryClaim) and claim == local.get_claim(claim.id) == theirs.get_claim(claim.id)
    assert (claim.status, claim.donor_participant, claim.completion_period_end) == ("OPEN", OTHER, None)
    assert claim.resolution_period_end == claim.created_at + DAYS7

    acknowledged = theirs.acknowledge_claim(claim.id)
    assert acknowledged.status == "WAITING_RESOLUTION" and theirs.acknowledge_claim(claim.id) == acknowledged
    confirmed = theirs.confirm_claim(claim.id, reason="ACCOUNT_CLOSURE")
    assert (confirmed.status, confirmed.confirm_reason) == ("CONFIRMED", "ACCOUNT_CLOSURE")
    assert not DirEntry.objects.filter(key=maria.tax_id).exists()

    request_id = uuid.uuid4()
    done = ours.complete_claim(claim.id, request_id=request_id)
    assert done == local.complete_claim(claim.id, request_id=request_id)  # idempotent, and the same mapping
    assert done.claim.status == "COMPLETED" and done.key_ownership_date == donor_entry.key_ownership_date
    assert DirEntry.objects.get(key=maria.tax_id).request_id == request_id

    page = ours.list_claims(as_donor=False, as_claimer=True, statuses=("COMPLETED",), claim_type="PORTABILITY")
    assert page == local.list_claims(as_donor=False, as_claimer=True, statuses=("COMPLETED",), claim_type="PORTABILITY")
    assert ([c.id for c in page.claims], page.has_more) == ([claim.id], False)
    window = theirs.list_claims(
        as_donor=True,
        as_claimer=False,
        modified_after=done.claim.last_modified,
        modified_before=done.claim.last_modified,
    )
    assert window.claims == [done.claim]


def test_ownership_on_the_advanced_directory_clock_through_grpc(start_server, make_client) -> None:
    _, port = start_server()
    ours, theirs = make_client(port), make_client(port, OTHER)
    held_at_other(theirs, "PHONE", PHONE, person())
    claim = ours.create_claim(claim_request("OWNERSHIP", PHONE, "PHONE", person(name="Joao Souza")))
    assert claim.completion_period_end == claim.created_at + 2 * DAYS7
    theirs.acknowledge_claim(claim.id)
    assert isinstance(
        refusal(lambda: theirs.confirm_claim(claim.id, reason="DEFAULT_OPERATION")), ClaimResolutionPeriodNotEnded
    )

    clock.advance(DAYS7)
    assert theirs.health() >= timezone.now() + DAYS7 - timedelta(seconds=5)  # Health tells the directory's time
    assert theirs.confirm_claim(claim.id, reason="DEFAULT_OPERATION").status == "CONFIRMED"
    assert isinstance(
        refusal(lambda: ours.complete_claim(claim.id, request_id=uuid.uuid4())), ClaimCompletionPeriodNotEnded
    )
    clock.advance(DAYS7)
    done = ours.complete_claim(claim.id, request_id=uuid.uuid4())
    assert done.key_ownership_date == done.entry_created_at == done.claim.last_modified

    other_key = "+5511987650078"
    held_at_other(theirs, "PHONE", other_key, person())
    fraud = ours.create_claim(claim_request("OWNERSHIP", other_key, "PHONE", person()))
    cancelled = theirs.cancel_claim(fraud.id, reason="FRAUD")
    assert (cancelled.status, cancelled.cancel_reason, cancelled.cancelled_by) == ("CANCELLED", "FRAUD", "DONOR")


def test_refusals_are_the_same_domain_error_through_grpc_and_in_process(start_server, make_client) -> None:
    _, port = start_server()
    theirs = make_client(port, OTHER)
    maria = person()
    held_at_other(theirs, "PHONE", PHONE, maria)
    open_claim = LocalDirectoryClient(participant=OURS).create_claim(
        claim_request("OWNERSHIP", PHONE, "PHONE", person())
    )
    calls = [
        (ClaimKeyNotFound, lambda c: c.create_claim(claim_request("OWNERSHIP", "+5511900000000", "PHONE", maria))),
        (ClaimTypeInconsistent, lambda c: c.create_claim(claim_request("OWNERSHIP", PHONE, "PHONE", maria))),
        (ClaimAlreadyExistsForKey, lambda c: c.create_claim(claim_request("PORTABILITY", PHONE, "PHONE", maria))),
        (ClaimOperationInvalid, lambda c: c.acknowledge_claim(open_claim.id)),
        (NotFound, lambda c: c.get_claim(uuid.uuid4())),
        (BadRequest, lambda c: c.list_claims(as_donor=True, as_claimer=False, limit=201)),
    ]
    grpc_ours = make_client(port)
    for error, call in calls:
        remote, local = (
            refusal(lambda call=call: call(grpc_ours)),
            refusal(lambda call=call: call(LocalDirectoryClient(participant=OURS))),
        )
        assert (type(remote), remote.message) == (type(local), local.message) and type(remote) is error
    stranger = make_client(port, THIRD)
    assert isinstance(refusal(lambda: stranger.cancel_claim(open_claim.id, reason="USER_REQUESTED")), NotFound)
    assert isinstance(
        refusal(lambda: theirs.confirm_claim(open_claim.id, reason="ACCOUNT_CLOSURE")), ClaimOperationInvalid
    )
    theirs.acknowledge_claim(open_claim.id)
    reason = refusal(lambda: theirs.confirm_claim(open_claim.id, reason="ACCOUNT_CLOSURE"))
    assert type(reason) is InvalidReason and [f.field for f in reason.fields] == ["reason"]
    assert grpc_ours.breaker.current_state == "closed"


def test_list_claims_limit_zero_means_twenty_and_a_bad_claim_id_is_bad_request(start_server) -> None:
    _, port = start_server()
    for n in range(21):
        owner, key = person(), f"+55119876501{n:02d}"
        services.entry_create(participant=OTHER, request=request("PHONE", key, owner, account(OTHER)))
        claims.claim_create(participant=OURS, request=claim_request("OWNERSHIP", key, "PHONE", person()))
    metadata = (("x-participant-ispb", OURS),)
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = connect_pb2_grpc.ConnectServiceStub(channel)
        page = stub.ListClaims(pb.ListClaimsRequest(is_claimer=True), metadata=metadata, timeout=5)
        assert (len(page.claims), page.has_more_elements) == (20, True)
        with pytest.raises(grpc.RpcError) as raised:
            stub.GetClaim(pb.ClaimIdRequest(claim_id="not-a-uuid"), metadata=metadata, timeout=5)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert dict(raised.value.trailing_metadata())["x-dict-error"] == "BadRequest"
