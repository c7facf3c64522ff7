"""MED through the Connect gRPC adapter against dictsim's real server on loopback: every rpc, parity with
the in-process adapter (decimals, timestamps, ids round-trip), and refusals arriving as DICT's code
(the x-dict-error trailer) and the same DomainError class.

The server's threads use their own database connections, so these tests are transactional.
"""

import threading
import uuid
from datetime import timedelta
from decimal import Decimal

import grpc
import pytest

from common import connect_codec as mappers
from common.pb_util import to_timestamp
from connect.local import LocalDirectoryClient
from dict_rules.errors import (
    BadRequest,
    Forbidden,
    FraudMarkerInvalid,
    InfractionReportAlreadyBeingProcessedForTransaction,
    InfractionReportInvalid,
    InfractionReportOperationInvalid,
    InfractionReportPeriodExpired,
    InfractionReportTransactionNotFound,
    NotFound,
    RefundInfractionReportNotFound,
    RefundInvalid,
    RefundPeriodExpired,
    ServiceUnavailable,
    TransactionNotRefundable,
)
from dict_rules.med import ContactInformation, FraudMarkerRequest, InfractionReportRequest, RefundClose, RefundRequest
from dictsim import clock, spi
from dictsim.models import DirInfractionReport, DirRefund
from protos.dict.connect.v1 import connect_pb2 as pb
from protos.dict.connect.v1 import connect_pb2_grpc
from tests.factories import OTHER, OURS, CountingStub, account, person, refusal, request
from tests.late_servicer import LateServicer

pytestmark = pytest.mark.django_db(transaction=True)

THIRD = "22222222"
PAYER = "11144477735"
CONTACT = ContactInformation(email="fraude@psp.example", phone="+5561988887777")


def e2e() -> str:
    return f"E{OURS}202611300000{uuid.uuid4().hex[:11]}"


@pytest.fixture
def world(start_server, make_client):
    """Two participants over gRPC (and OURS in-process too), and a customer of OTHER with a CPF key."""
    _, port = start_server()
    receiver = person()
    LocalDirectoryClient(participant=OTHER).create_entry(request("CPF", receiver.tax_id, receiver, account(OTHER)))
    return make_client(port), make_client(port, OTHER), LocalDirectoryClient(participant=OURS), receiver, port


def pay(receiver, amount: str = "123.45", **kwargs):
    return spi.settle(
        end_to_end_id=e2e(),
        payer_participant=OURS,
        payer_tax_id=PAYER,
        receiver_key=receiver.tax_id,
        amount=Decimal(amount),
        **kwargs,
    )


def test_a_report_marker_and_refund_round_trip_every_rpc(world) -> None:
    ours, theirs, local, receiver, _ = world
    tx = pay(receiver)
    report = ours.create_infraction_report(InfractionReportRequest(tx.id, "REFUND_REQUEST", "SCAM", CONTACT))
    assert report == local.get_infraction_report(report.id) == theirs.get_infraction_report(report.id)
    assert report.created_at.tzinfo is not None and report.fraud_marker_id is None
    updated = ours.update_infraction_report(report.id, situation_type="OTHER", report_details="falso", contact=CONTACT)
    assert (updated.situation_type, updated.report_details) == ("OTHER", "falso")
    acknowledged = theirs.acknowledge_infraction_report(report.id)
    assert acknowledged.status == "ACKNOWLEDGED" and theirs.acknowledge_infraction_report(report.id) == acknowledged
    closed = theirs.close_infraction_report(
        report.id, analysis_result="AGREED", fraud_type="MULE_ACCOUNT", analysis_details="conta laranja"
    )
    assert closed == local.get_infraction_report(report.id) and closed.fraud_marker_id is not None
    page = theirs.list_infraction_reports(as_reporter=False, as_counterparty=True, statuses=("CLOSED",))
    assert (page.reports, page.has_more) == ([closed], False)
    window = ours.list_infraction_reports(
        as_reporter=True,
        as_counterparty=False,
        modified_after=closed.last_modified,
        modified_before=closed.last_modified,
    )
    assert window.reports == [closed]

    marker = theirs.get_fraud_marker(closed.fraud_marker_id)
    assert marker == ours.get_fraud_marker(marker.id) and marker.infraction_report_id == report.id
    own = theirs.create_fraud_marker(FraudMarkerRequest(receiver.tax_id, "OTHER", uuid.uuid4(), receiver.tax_id))
    markers = theirs.list_fraud_markers(key=receiver.tax_id, per_page=1)
    assert (markers.markers, markers.has_more) == ([marker], True)
    assert theirs.cancel_fraud_marker(own.id).status == "CANCELLED"

    refund = ours.create_refund(RefundRequest(tx.id, "FRAUD", Decimal("123.45")))
    assert refund.amount == Decimal("123.45") and refund == local.get_refund(refund.id) == theirs.get_refund(refund.id)
    assert theirs.list_refunds(role="CONTESTED").refunds == [refund]
    returned = f"D{OTHER}202611300000{uuid.uuid4().hex[:11]}"
    done = theirs.close_refund(refund.id, close=RefundClose("PARTIALLY_ACCEPTED", refund_transaction_id=returned))
    assert (done.status, done.refund_transaction_id) == ("CLOSED", returned) and done == local.get_refund(refund.id)

    cancelled = ours.cancel_infraction_report(report.id)
    assert cancelled.status == "CANCELLED" and theirs.get_fraud_marker(marker.id).status == "CANCELLED"

    other_tx = pay(receiver, "10.00")
    flaw = ours.create_refund(RefundRequest(other_tx.id, "OPERATIONAL_FLAW", Decimal("0.10"), "paid twice"))
    assert flaw.amount == Decimal("0.10") and ours.cancel_refund(flaw.id).status == "CANCELLED"


def test_refusals_arrive_as_the_same_domain_errors(world) -> None:
    ours, theirs, _, receiver, _ = world
    tx = pay(receiver)
    assert (
        type(
            refusal(
                lambda: ours.create_infraction_report(InfractionReportRequest(e2e(), "REFUND_REQUEST", "SCAM", CONTACT))
            )
        )
        is InfractionReportTransactionNotFound
    )
    assert (
        type(
            refusal(
                lambda: theirs.create_infraction_report(
                    InfractionReportRequest(tx.id, "REFUND_REQUEST", "SCAM", CONTACT)
                )
            )
        )
        is Forbidden
    )
    invalid = refusal(
        lambda: ours.create_infraction_report(InfractionReportRequest(tx.id, "REFUND_REQUEST", "OTHER", CONTACT))
    )
    assert type(invalid) is InfractionReportInvalid and [f.field for f in invalid.fields] == ["report_details"]
    report = ours.create_infraction_report(InfractionReportRequest(tx.id, "REFUND_REQUEST", "SCAM", CONTACT))
    again = refusal(
        lambda: ours.create_infraction_report(InfractionReportRequest(tx.id, "REFUND_REQUEST", "SCAM", CONTACT))
    )
    assert type(again) is InfractionReportAlreadyBeingProcessedForTransaction
    early = refusal(lambda: theirs.close_infraction_report(report.id, analysis_result="DISAGREED"))
    assert type(early) is InfractionReportOperationInvalid
    assert type(refusal(lambda: ours.get_refund(uuid.uuid4()))) is NotFound
    assert (
        type(refusal(lambda: ours.create_refund(RefundRequest(tx.id, "FRAUD", Decimal("1.00")))))
        is RefundInfractionReportNotFound
    )
    too_much = refusal(lambda: ours.create_refund(RefundRequest(tx.id, "OPERATIONAL_FLAW", Decimal("123.46"), "x")))
    assert type(too_much) is RefundInvalid and [f.field for f in too_much.fields] == ["amount"]
    assert (
        type(refusal(lambda: ours.create_refund(RefundRequest(tx.id, "PIX_AUTOMATICO", Decimal("1.00")))))
        is TransactionNotRefundable
    )
    marker = refusal(lambda: ours.create_fraud_marker(FraudMarkerRequest(receiver.tax_id, "OTHER", uuid.uuid4())))
    assert type(marker) is FraudMarkerInvalid

    clock.advance(timedelta(days=81))  # committed: the server's threads see the directory's new time
    assert ours.create_refund(RefundRequest(tx.id, "OPERATIONAL_FLAW", Decimal("1.00"), "x")).status == "OPEN"
    clock.advance(timedelta(days=10))  # 91 days
    old = refusal(lambda: ours.create_refund(RefundRequest(tx.id, "OPERATIONAL_FLAW", Decimal("1.00"), "x")))
    assert type(old) is RefundPeriodExpired
    expired = refusal(
        lambda: ours.create_infraction_report(InfractionReportRequest(tx.id, "REFUND_REQUEST", "SCAM", CONTACT))
    )
    assert type(expired) is InfractionReportPeriodExpired
    assert ours.breaker.current_state == "closed"


def test_refusals_carry_a_grpc_status_and_dicts_code(world) -> None:
    *_, receiver, port = world
    tx = pay(receiver)
    metadata = (("x-participant-ispb", OURS),)
    answers = []
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = connect_pb2_grpc.ConnectServiceStub(channel)
        calls = [
            lambda: stub.CreateRefund(
                pb.CreateRefundRequest(
                    transaction_id=tx.id, refund_reason="OPERATIONAL_FLAW", refund_amount="1.5", refund_details="x"
                ),
                metadata=metadata,
                timeout=5,
            ),
            lambda: stub.CreateRefund(
                pb.CreateRefundRequest(transaction_id=tx.id, refund_reason="FRAUD", refund_amount="1.00"),
                metadata=metadata,
                timeout=5,
            ),
            lambda: stub.GetInfractionReport(
                pb.InfractionReportIdRequest(infraction_report_id="nope"), metadata=metadata, timeout=5
            ),
            lambda: stub.ListFraudMarkers(pb.ListFraudMarkersRequest(), metadata=metadata, timeout=5),
        ]
        for call in calls:
            with pytest.raises(grpc.RpcError) as refused:
                call()
            answers.append((refused.value.code(), dict(refused.value.trailing_metadata())["x-dict-error"]))
        ok = stub.CreateRefund(
            pb.CreateRefundRequest(
                transaction_id=tx.id, refund_reason="OPERATIONAL_FLAW", refund_amount="100.00", refund_details="x"
            ),
            metadata=metadata,
            timeout=5,
        )
    assert answers == [
        (grpc.StatusCode.INVALID_ARGUMENT, "RefundInvalid"),  # "1.5" is not a two-place decimal
        (grpc.StatusCode.FAILED_PRECONDITION, "RefundInfractionReportNotFound"),
        (grpc.StatusCode.INVALID_ARGUMENT, "BadRequest"),
        (grpc.StatusCode.INVALID_ARGUMENT, "BadRequest"),
    ]
    assert ok.refund.refund_amount == "100.00"


def test_get_entry_with_statistics_round_trips(world, make_client) -> None:
    ours, theirs, _, receiver, port = world
    third_grpc, third_local = make_client(port, "22222222"), LocalDirectoryClient(participant="22222222")
    tx = pay(receiver, "99.99")
    report = ours.create_infraction_report(InfractionReportRequest(tx.id, "REFUND_REQUEST", "SCAM", CONTACT))
    theirs.acknowledge_infraction_report(report.id)
    theirs.close_infraction_report(report.id, analysis_result="AGREED", fraud_type="SCAMMER_ACCOUNT")
    lookup = {"key": receiver.tax_id, "payer_id": PAYER, "end_to_end_id": e2e()}
    remote = third_grpc.get_entry(**lookup, include_statistics=True)
    local = third_local.get_entry(**lookup, include_statistics=True)
    assert remote.statistics.key.total_fraud_transaction_amount.d90 == 99
    assert remote.statistics.key.settlements.d90 == 1 and remote.statistics.owner.scammer_accounts.d90 == 1
    assert remote.statistics.key.watermark <= local.statistics.key.watermark  # the server's clock read first
    assert {**remote.statistics.key.__dict__, "watermark": None} == {**local.statistics.key.__dict__, "watermark": None}
    assert {**remote.statistics.owner.__dict__, "watermark": None} == {
        **local.statistics.owner.__dict__,
        "watermark": None,
    }
    assert third_grpc.get_entry(**lookup).statistics is None


def test_a_malformed_med_answer_is_service_unavailable() -> None:
    bad_amount = pb.Refund(
        id=str(uuid.uuid4()),
        transaction_id=e2e(),
        refund_reason="FRAUD",
        refund_amount="12,00",
        status="OPEN",
        creation_time=to_timestamp(clock.now()),
        last_modified=to_timestamp(clock.now()),
    )
    assert isinstance(refusal(lambda: mappers.refund_from_pb(bad_amount)), ServiceUnavailable)
    unknown_status = pb.FraudMarker(
        id=str(uuid.uuid4()),
        tax_id_number=PAYER,
        fraud_type="OTHER",
        status="DELETED",
        creation_time=to_timestamp(clock.now()),
        last_modified=to_timestamp(clock.now()),
    )
    assert isinstance(refusal(lambda: mappers.marker_from_pb(unknown_status)), ServiceUnavailable)
    no_stats = pb.GetEntryResponse(entry=mappers.entry_to_pb(_entry()))
    assert isinstance(
        refusal(lambda: mappers.get_entry_response_from_pb(no_stats, include_statistics=True)), ServiceUnavailable
    )


def _entry():
    receiver = person()
    return LocalDirectoryClient(participant=OTHER).create_entry(
        request("CPF", receiver.tax_id, receiver, account(OTHER))
    )


@pytest.mark.parametrize("method", ["CreateInfractionReport", "CreateRefund"])
def test_creates_whose_connection_was_lost_after_they_arrived_are_not_sent_again(
    start_server, make_client, method
) -> None:
    """UNAVAILABLE does not prove the create never arrived: a repeat would meet the first one's record
    (AlreadyBeingProcessed) instead of the caller's 'try again'."""
    servicer = LateServicer("CreateInfractionReport", "CreateRefund")
    server, port = start_server(servicer)
    client = make_client(port, attempts=3, deadline=5)
    counting = CountingStub(client)
    receiver = person()
    LocalDirectoryClient(participant=OTHER).create_entry(request("CPF", receiver.tax_id, receiver, account(OTHER)))
    tx = pay(receiver)

    def stop_once_committed() -> None:
        if servicer.committed.acquire(timeout=5):
            server.stop(None)

    stopper = threading.Thread(target=stop_once_committed)
    stopper.start()
    try:
        with pytest.raises(ServiceUnavailable) as unavailable:
            if method == "CreateInfractionReport":
                client.create_infraction_report(InfractionReportRequest(tx.id, "REFUND_REQUEST", "SCAM", CONTACT))
            else:
                client.create_refund(RefundRequest(tx.id, "OPERATIONAL_FLAW", Decimal("1.00"), "paid twice"))
    finally:
        servicer.gate.set()
        stopper.join(5)
    assert "UNAVAILABLE" in unavailable.value.message
    assert counting.sent == [method]
    made = DirInfractionReport if method == "CreateInfractionReport" else DirRefund
    assert made.objects.filter(transaction=tx).count() == 1  # the directory did make it


@pytest.mark.parametrize("field", ["modified_after", "modified_before"])
def test_a_list_window_no_datetime_can_hold_is_bad_request(field) -> None:
    """Timestamp.ToDatetime raised ValueError for it: an UNKNOWN status and a traceback at the directory."""
    message = pb.ListInfractionReportsRequest()
    getattr(message, field).seconds = 10**12

    with pytest.raises(BadRequest) as refused:
        mappers.window_from_pb(message)
    assert [f.field for f in refused.value.fields] == [field]
