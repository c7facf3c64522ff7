"""MED in the simulated directory, in-process through the local Connect adapter for two participants:
the SPI ledger, infraction reports, fraud markers, refunds and the lookup's statistics, each rule
with DICT's error (dict_rules.med_rules holds the rules; dictsim stores and applies them).

The payer's PSP is OURS (the debited participant: it reports and asks for refunds), the receiver's
PSP is OTHER (the counterparty: it acknowledges, closes and answers refunds).
"""

import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connect.local import LocalDirectoryClient
from dict_rules.directory import Owner
from dict_rules.errors import (
    BadRequest,
    Forbidden,
    FraudMarkerInvalid,
    InfractionReportAlreadyBeingProcessedForTransaction,
    InfractionReportAlreadyProcessedForTransaction,
    InfractionReportInvalid,
    InfractionReportOperationInvalid,
    InfractionReportPeriodExpired,
    InfractionReportTransactionNotFound,
    InfractionReportTransactionNotSettled,
    NotFound,
    RefundAlreadyBeingProcessedForTransaction,
    RefundAlreadyProcessedForTransaction,
    RefundInfractionReportNotFound,
    RefundInvalid,
    RefundOperationInvalid,
    RefundPeriodExpired,
    RefundTransactionNotFound,
    RefundTransactionNotSettled,
    RequestIdAlreadyUsed,
    TransactionNotRefundable,
)
from dict_rules.med import (
    ContactInformation,
    FraudMarkerRequest,
    InfractionReportRequest,
    RefundClose,
    RefundRequest,
    WindowedValue,
)
from dict_rules.med_rules import window_bounds
from dictsim import clock, spi
from dictsim.models import DirTransaction
from tests.factories import OTHER, OURS, account, person, refusal, request

pytestmark = pytest.mark.django_db

THIRD = "22222222"
CONTACT = ContactInformation(email="fraude@psp.example", phone="+5561988887777")
DAY = timedelta(days=1)


def e2e() -> str:
    return f"E{OURS}202611300000{uuid.uuid4().hex[:11]}"


def rtid() -> str:
    return f"D{OTHER}202611300000{uuid.uuid4().hex[:11]}"


@pytest.fixture
def ours() -> LocalDirectoryClient:
    return LocalDirectoryClient(participant=OURS)


@pytest.fixture
def theirs() -> LocalDirectoryClient:
    return LocalDirectoryClient(participant=OTHER)


@pytest.fixture
def receiver(theirs) -> Owner:
    """A customer of OTHER with a CPF key there."""
    owner = person()
    theirs.create_entry(request("CPF", owner.tax_id, owner, account(OTHER)))
    return owner


def pay(receiver: Owner, amount: str = "100.00", *, ago: timedelta = timedelta(0), **kwargs) -> DirTransaction:
    return spi.settle(
        end_to_end_id=e2e(),
        payer_participant=OURS,
        payer_tax_id=PAYER,
        receiver_key=receiver.tax_id,
        amount=Decimal(amount),
        settled_at=clock.now() - ago,
        **kwargs,
    )


PAYER = "11144477735"


def report_request(tx_id: str, **kwargs) -> InfractionReportRequest:
    fields = {"reason": "REFUND_REQUEST", "situation_type": "SCAM", "contact": CONTACT} | kwargs
    return InfractionReportRequest(transaction_id=tx_id, **fields)


def agreed_report(ours, theirs, tx: DirTransaction, fraud_type: str = "SCAMMER_ACCOUNT"):
    report = ours.create_infraction_report(report_request(tx.id))
    theirs.acknowledge_infraction_report(report.id)
    return theirs.close_infraction_report(report.id, analysis_result="AGREED", fraud_type=fraud_type)


# The SPI ledger --------------------------------------------------------------------------------


def test_settle_takes_the_receiver_from_the_keys_entry(receiver) -> None:
    tx = pay(receiver, "250.10")
    assert (tx.receiver_participant, tx.receiver_tax_id, tx.receiver_key) == (OTHER, receiver.tax_id, receiver.tax_id)
    assert (tx.kind, tx.settled, tx.amount) == ("PAYMENT", True, Decimal("250.10"))
    again = spi.settle(
        end_to_end_id=tx.id,
        payer_participant=OURS,
        payer_tax_id=PAYER,
        receiver_key=receiver.tax_id,
        amount=Decimal("250.10"),
    )
    assert again.pk == tx.pk and DirTransaction.objects.count() == 1
    other_amount = refusal(
        lambda: spi.settle(
            end_to_end_id=tx.id,
            payer_participant=OURS,
            payer_tax_id=PAYER,
            receiver_key=receiver.tax_id,
            amount=Decimal("1.00"),
        )
    )
    assert isinstance(other_amount, BadRequest)
    unknown = refusal(
        lambda: spi.settle(
            end_to_end_id=e2e(),
            payer_participant=OURS,
            payer_tax_id=PAYER,
            receiver_key="nobody@example.com",
            amount=Decimal("1.00"),
        )
    )
    assert isinstance(unknown, NotFound)
    assert isinstance(refusal(lambda: pay(receiver, "0.00")), BadRequest)


def test_dictsim_settle_prints_the_transaction_and_backdates_it(receiver) -> None:
    out = io.StringIO()
    tx_id = e2e()
    call_command(
        "dictsim_settle",
        "--e2e", tx_id, "--payer-participant", OURS, "--payer-tax-id", PAYER,
        "--key", receiver.tax_id, "--amount", "100.00", "--ago", "3d", "--not-settled",
        stdout=out,
    )  # fmt: skip
    printed = json.loads(out.getvalue())
    assert printed["id"] == tx_id and printed["amount"] == "100.00" and printed["settled"] is False
    assert printed["receiver_participant"] == OTHER
    settled_at = datetime.fromisoformat(printed["settled_at"])
    assert abs((clock.now() - settled_at) - 3 * DAY) < timedelta(minutes=1)


@pytest.mark.parametrize("amount", ["1e30", "1E+16", "10.001", "abc", "-5.00"])
def test_dictsim_settle_refuses_an_amount_the_wire_would_not_carry(receiver, amount) -> None:
    """Not a traceback (decimal.InvalidOperation, or the column's DataError): the command's own error."""
    with pytest.raises(CommandError, match="BadRequest: amount is a decimal with two places"):
        call_command(
            "dictsim_settle",
            "--e2e", e2e(), "--payer-participant", OURS, "--payer-tax-id", PAYER,
            "--key", receiver.tax_id, "--amount", amount,
        )  # fmt: skip


# Infraction reports ----------------------------------------------------------------------------


def test_report_lifecycle_open_acknowledge_close_agreed_marks_the_receiver(ours, theirs, receiver) -> None:
    tx = pay(receiver)
    report = ours.create_infraction_report(report_request(tx.id, report_details="QR Code falso"))
    assert (report.status, report.reporter_participant, report.counterparty_participant) == ("OPEN", OURS, OTHER)
    assert report == theirs.get_infraction_report(report.id)
    assert isinstance(
        refusal(lambda: LocalDirectoryClient(participant=THIRD).get_infraction_report(report.id)), NotFound
    )

    acknowledged = theirs.acknowledge_infraction_report(report.id)
    assert acknowledged.status == "ACKNOWLEDGED"
    assert theirs.acknowledge_infraction_report(report.id) == acknowledged  # idempotent: unchanged
    closed = theirs.close_infraction_report(report.id, analysis_result="AGREED", fraud_type="MULE_ACCOUNT")
    assert (closed.status, closed.analysis_result, closed.fraud_type) == ("CLOSED", "AGREED", "MULE_ACCOUNT")
    assert theirs.close_infraction_report(report.id, analysis_result="AGREED", fraud_type="MULE_ACCOUNT") == closed
    changed = refusal(lambda: theirs.close_infraction_report(report.id, analysis_result="DISAGREED"))
    assert isinstance(changed, InfractionReportOperationInvalid)

    marker = theirs.get_fraud_marker(closed.fraud_marker_id)
    assert (marker.tax_id, marker.key, marker.fraud_type, marker.participant) == (
        receiver.tax_id,
        receiver.tax_id,
        "MULE_ACCOUNT",
        OTHER,
    )
    assert (marker.status, marker.infraction_report_id) == ("REGISTERED", report.id)
    assert ours.get_fraud_marker(marker.id) == marker  # the reporter sees the marker its report made

    cancelled = ours.cancel_infraction_report(report.id)  # even after the close
    assert cancelled.status == "CANCELLED" and ours.cancel_infraction_report(report.id) == cancelled
    assert theirs.get_fraud_marker(marker.id).status == "CANCELLED"


def test_only_the_debited_participant_reports_and_only_settled_recent_transactions(ours, theirs, receiver) -> None:
    tx = pay(receiver)
    assert isinstance(refusal(lambda: theirs.create_infraction_report(report_request(tx.id))), Forbidden)
    missing = refusal(lambda: ours.create_infraction_report(report_request(e2e())))
    assert isinstance(missing, InfractionReportTransactionNotFound)
    unsettled = pay(receiver, settled=False)
    assert isinstance(
        refusal(lambda: ours.create_infraction_report(report_request(unsettled.id))),
        InfractionReportTransactionNotSettled,
    )
    old = pay(receiver, ago=79 * DAY)
    clock.advance(DAY + timedelta(minutes=1))  # 80 days and a minute
    assert isinstance(
        refusal(lambda: ours.create_infraction_report(report_request(old.id))), InfractionReportPeriodExpired
    )
    assert ours.create_infraction_report(report_request(tx.id)).status == "OPEN"  # a day old: fine
    wrong_kind = refusal(
        lambda: ours.create_infraction_report(
            report_request(pay(receiver).id, reason="REFUND_CANCELLED", situation_type="OTHER", report_details="x")
        )
    )
    assert isinstance(wrong_kind, InfractionReportInvalid)  # REFUND_CANCELLED is about a refund, not a payment


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"situation_type": "OTHER"}, "report_details"),
        ({"situation_type": "UNKNOWN"}, "situation_type"),
        ({"situation_type": "SCAM", "report_details": "x" * 2001}, "report_details"),
        ({"contact": ContactInformation(email="not-an-email", phone="+5561988887777")}, "contact.email"),
        ({"contact": ContactInformation(email="a@b.example", phone="")}, "contact.phone"),
        ({"reason": "REFUND_CANCELLED", "situation_type": "SCAM"}, "situation_type"),
    ],
)
def test_report_fields_are_checked(ours, receiver, fields, field) -> None:
    error = refusal(lambda: ours.create_infraction_report(report_request(pay(receiver).id, **fields)))
    assert isinstance(error, InfractionReportInvalid) and error.fields[0].field == field


def test_one_report_in_progress_per_transaction_and_none_after_a_close(ours, theirs, receiver) -> None:
    tx = pay(receiver)
    first = ours.create_infraction_report(report_request(tx.id))
    assert isinstance(
        refusal(lambda: ours.create_infraction_report(report_request(tx.id))),
        InfractionReportAlreadyBeingProcessedForTransaction,
    )
    ours.cancel_infraction_report(first.id)
    second = ours.create_infraction_report(report_request(tx.id))  # a cancelled one does not block
    theirs.acknowledge_infraction_report(second.id)
    theirs.close_infraction_report(second.id, analysis_result="DISAGREED", analysis_details="legit")
    assert isinstance(
        refusal(lambda: ours.create_infraction_report(report_request(tx.id))),
        InfractionReportAlreadyProcessedForTransaction,
    )


def test_who_may_update_acknowledge_close_and_cancel(ours, theirs, receiver) -> None:
    report = ours.create_infraction_report(report_request(pay(receiver).id))
    updated = ours.update_infraction_report(
        report.id, situation_type="OTHER", report_details="golpe do falso parente", contact=CONTACT
    )
    assert (updated.situation_type, updated.report_details) == ("OTHER", "golpe do falso parente")
    bad = refusal(
        lambda: ours.update_infraction_report(report.id, situation_type="OTHER", report_details="", contact=CONTACT)
    )
    assert isinstance(bad, InfractionReportInvalid)
    assert isinstance(
        refusal(
            lambda: theirs.update_infraction_report(
                report.id, situation_type="SCAM", report_details="", contact=CONTACT
            )
        ),
        Forbidden,
    )
    assert isinstance(refusal(lambda: ours.acknowledge_infraction_report(report.id)), Forbidden)
    early = refusal(lambda: theirs.close_infraction_report(report.id, analysis_result="AGREED", fraud_type="OTHER"))
    assert isinstance(early, InfractionReportOperationInvalid)  # from ACKNOWLEDGED only
    theirs.acknowledge_infraction_report(report.id)
    assert isinstance(refusal(lambda: ours.close_infraction_report(report.id, analysis_result="DISAGREED")), Forbidden)
    unknown_type = refusal(
        lambda: theirs.close_infraction_report(report.id, analysis_result="AGREED", fraud_type="UNKNOWN")
    )
    assert isinstance(unknown_type, InfractionReportInvalid)
    assert isinstance(refusal(lambda: theirs.cancel_infraction_report(report.id)), Forbidden)
    theirs.close_infraction_report(report.id, analysis_result="DISAGREED")
    assert isinstance(
        refusal(
            lambda: ours.update_infraction_report(report.id, situation_type="SCAM", report_details="", contact=CONTACT)
        ),
        InfractionReportOperationInvalid,
    )
    assert isinstance(
        refusal(lambda: theirs.acknowledge_infraction_report(report.id)), InfractionReportOperationInvalid
    )
    assert isinstance(
        refusal(lambda: LocalDirectoryClient(participant=THIRD).cancel_infraction_report(report.id)), NotFound
    )


def test_reports_are_listed_by_role_status_and_window_oldest_first(ours, theirs, receiver) -> None:
    first = ours.create_infraction_report(report_request(pay(receiver).id))
    clock.advance(timedelta(seconds=1))
    second = ours.create_infraction_report(report_request(pay(receiver).id))
    clock.advance(timedelta(seconds=1))
    theirs.acknowledge_infraction_report(first.id)  # now modified last

    assert [r.id for r in ours.list_infraction_reports(as_reporter=True, as_counterparty=False).reports] == [
        second.id,
        first.id,
    ]
    assert ours.list_infraction_reports(as_reporter=False, as_counterparty=True).reports == []
    assert [r.id for r in theirs.list_infraction_reports(as_reporter=False, as_counterparty=False).reports] == [
        second.id,
        first.id,
    ]  # neither role: both
    page = theirs.list_infraction_reports(as_reporter=False, as_counterparty=True, limit=1)
    assert ([r.id for r in page.reports], page.has_more) == ([second.id], True)
    acknowledged = theirs.list_infraction_reports(as_reporter=False, as_counterparty=True, statuses=("ACKNOWLEDGED",))
    assert [r.id for r in acknowledged.reports] == [first.id]
    window = ours.list_infraction_reports(
        as_reporter=True,
        as_counterparty=False,
        modified_after=second.last_modified,
        modified_before=second.last_modified,
    )
    assert [r.id for r in window.reports] == [second.id]  # both ends inclusive
    assert isinstance(
        refusal(lambda: ours.list_infraction_reports(as_reporter=True, as_counterparty=False, limit=201)), BadRequest
    )
    assert isinstance(
        refusal(lambda: ours.list_infraction_reports(as_reporter=True, as_counterparty=False, statuses=("DONE",))),
        BadRequest,
    )


# Fraud markers ---------------------------------------------------------------------------------


def test_a_participant_marks_only_its_own_customer_idempotently(ours, theirs, receiver) -> None:
    request_id = uuid.uuid4()
    marker = theirs.create_fraud_marker(
        FraudMarkerRequest(receiver.tax_id, "SCAMMER_ACCOUNT", request_id, receiver.tax_id)
    )
    assert (marker.participant, marker.status, marker.key, marker.infraction_report_id) == (
        OTHER,
        "REGISTERED",
        receiver.tax_id,
        None,
    )
    assert (
        theirs.create_fraud_marker(FraudMarkerRequest(receiver.tax_id, "SCAMMER_ACCOUNT", request_id, receiver.tax_id))
        == marker
    )
    reused = refusal(
        lambda: theirs.create_fraud_marker(FraudMarkerRequest(receiver.tax_id, "MULE_ACCOUNT", request_id))
    )
    assert isinstance(reused, RequestIdAlreadyUsed)

    not_ours = refusal(
        lambda: ours.create_fraud_marker(FraudMarkerRequest(receiver.tax_id, "MULE_ACCOUNT", uuid.uuid4()))
    )
    assert isinstance(not_ours, FraudMarkerInvalid)  # OURS holds no entry of this person
    other_key = refusal(
        lambda: theirs.create_fraud_marker(
            FraudMarkerRequest(receiver.tax_id, "MULE_ACCOUNT", uuid.uuid4(), "x@y.example")
        )
    )
    assert isinstance(other_key, FraudMarkerInvalid) and other_key.fields[0].field == "key"
    unknown = refusal(lambda: theirs.create_fraud_marker(FraudMarkerRequest(receiver.tax_id, "UNKNOWN", uuid.uuid4())))
    assert isinstance(unknown, FraudMarkerInvalid)

    assert isinstance(refusal(lambda: ours.get_fraud_marker(marker.id)), NotFound)
    assert isinstance(refusal(lambda: ours.cancel_fraud_marker(marker.id)), NotFound)
    cancelled = theirs.cancel_fraud_marker(marker.id)
    assert cancelled.status == "CANCELLED" and theirs.cancel_fraud_marker(marker.id) == cancelled


def test_fraud_markers_are_listed_for_the_caller_only_by_tax_id_or_key(ours, theirs, receiver) -> None:
    made = [
        theirs.create_fraud_marker(FraudMarkerRequest(receiver.tax_id, kind, uuid.uuid4()))
        for kind in ("SCAMMER_ACCOUNT", "MULE_ACCOUNT", "OTHER")
    ]
    report_marker_id = agreed_report(ours, theirs, pay(receiver)).fraud_marker_id
    page = theirs.list_fraud_markers(tax_id=receiver.tax_id, per_page=2)
    assert ([m.id for m in page.markers], page.has_more) == ([made[0].id, made[1].id], True)
    rest = theirs.list_fraud_markers(tax_id=receiver.tax_id, page=2, per_page=2)
    assert ([m.id for m in rest.markers], rest.has_more) == ([made[2].id, report_marker_id], False)
    assert [m.id for m in theirs.list_fraud_markers(key=receiver.tax_id).markers] == [report_marker_id]
    assert ours.list_fraud_markers(tax_id=receiver.tax_id).markers == []  # OURS made none
    assert isinstance(refusal(lambda: theirs.list_fraud_markers()), BadRequest)
    report_marker = ours.get_fraud_marker(report_marker_id)
    assert isinstance(refusal(lambda: ours.cancel_fraud_marker(report_marker.id)), Forbidden)  # its closer cancels


# Refunds ---------------------------------------------------------------------------------------


def fraud_refund(tx: DirTransaction, amount: str = "100.00") -> RefundRequest:
    return RefundRequest(transaction_id=tx.id, reason="FRAUD", amount=Decimal(amount))


def test_a_fraud_refund_rests_on_an_agreed_report_within_72_hours(ours, theirs, receiver) -> None:
    tx = pay(receiver)
    assert isinstance(refusal(lambda: ours.create_refund(fraud_refund(tx))), RefundInfractionReportNotFound)
    report = agreed_report(ours, theirs, tx)
    clock.advance(timedelta(hours=72, minutes=1))
    assert isinstance(refusal(lambda: ours.create_refund(fraud_refund(tx))), RefundPeriodExpired)

    fresh = pay(receiver, "80.00")
    report = agreed_report(ours, theirs, fresh)
    assert isinstance(refusal(lambda: theirs.create_refund(fraud_refund(fresh, "80.00"))), Forbidden)
    assert isinstance(refusal(lambda: ours.create_refund(fraud_refund(fresh, "80.01"))), RefundInvalid)
    refund = ours.create_refund(fraud_refund(fresh, "80.00"))
    assert (refund.status, refund.infraction_report_id, refund.amount) == ("OPEN", report.id, Decimal("80.00"))
    assert (refund.requesting_participant, refund.contested_participant) == (OURS, OTHER)
    assert isinstance(
        refusal(lambda: ours.create_refund(fraud_refund(fresh, "1.00"))), RefundAlreadyBeingProcessedForTransaction
    )
    assert theirs.get_refund(refund.id) == refund
    assert isinstance(refusal(lambda: LocalDirectoryClient(participant=THIRD).get_refund(refund.id)), NotFound)

    returned = rtid()
    closed = theirs.close_refund(refund.id, close=RefundClose("TOTALLY_ACCEPTED", refund_transaction_id=returned))
    assert (closed.status, closed.analysis_result, closed.refund_transaction_id) == (
        "CLOSED",
        "TOTALLY_ACCEPTED",
        returned,
    )
    assert (
        theirs.close_refund(refund.id, close=RefundClose("TOTALLY_ACCEPTED", refund_transaction_id=returned)) == closed
    )
    ledger = DirTransaction.objects.get(id=returned)
    assert (ledger.kind, ledger.payer_participant, ledger.receiver_participant, ledger.amount) == (
        "REFUND",
        OTHER,
        OURS,
        Decimal("80.00"),
    )
    assert (ledger.receiver_tax_id, ledger.original_id) == (PAYER, fresh.id)
    assert isinstance(
        refusal(lambda: ours.create_refund(fraud_refund(fresh, "1.00"))), RefundAlreadyProcessedForTransaction
    )
    assert isinstance(refusal(lambda: ours.cancel_refund(refund.id)), RefundOperationInvalid)


def test_partial_refunds_follow_up_until_90_days_for_what_is_left(ours, theirs, receiver) -> None:
    tx = pay(receiver, "100.00")
    agreed_report(ours, theirs, tx)
    first = ours.create_refund(fraud_refund(tx, "100.00"))
    theirs.close_refund(first.id, close=RefundClose("PARTIALLY_ACCEPTED", refund_transaction_id=rtid()))
    # The close carries no amount: the ledger records the amount requested, so nothing is left.
    assert isinstance(refusal(lambda: ours.create_refund(fraud_refund(tx, "0.01"))), RefundInvalid)

    other = pay(receiver, "100.00")
    agreed_report(ours, theirs, other)
    rejected = ours.create_refund(fraud_refund(other, "60.00"))
    theirs.close_refund(rejected.id, close=RefundClose("REJECTED", rejection_reason="NO_BALANCE"))
    clock.advance(10 * DAY)  # past the 72 h: a follow-up is still allowed
    follow_up = ours.create_refund(fraud_refund(other, "100.00"))
    theirs.close_refund(follow_up.id, close=RefundClose("PARTIALLY_ACCEPTED", refund_transaction_id=rtid()))
    late = pay(receiver, "100.00", ago=79 * DAY)
    agreed_report(ours, theirs, late)
    partial = ours.create_refund(fraud_refund(late, "30.00"))
    theirs.close_refund(partial.id, close=RefundClose("PARTIALLY_ACCEPTED", refund_transaction_id=rtid()))
    assert ours.create_refund(fraud_refund(late, "70.00")).status == "OPEN"  # exactly what is left
    ours.cancel_refund(ours.list_refunds(role="REQUESTING", statuses=("OPEN",)).refunds[0].id)
    clock.advance(11 * DAY + timedelta(minutes=1))  # 90 days and a minute after the transaction
    assert isinstance(refusal(lambda: ours.create_refund(fraud_refund(late, "10.00"))), RefundPeriodExpired)


def test_refund_requests_are_checked_against_their_transaction(ours, theirs, receiver) -> None:
    tx = pay(receiver)
    flaw = RefundRequest(transaction_id=tx.id, reason="OPERATIONAL_FLAW", amount=Decimal("10.00"))
    assert isinstance(refusal(lambda: ours.create_refund(flaw)), RefundInvalid)  # details required
    auto = RefundRequest(transaction_id=tx.id, reason="PIX_AUTOMATICO", amount=Decimal("10.00"))
    assert isinstance(refusal(lambda: ours.create_refund(auto)), TransactionNotRefundable)
    missing = RefundRequest(transaction_id=e2e(), reason="OPERATIONAL_FLAW", amount=Decimal("1.00"), details="dup")
    assert isinstance(refusal(lambda: ours.create_refund(missing)), RefundTransactionNotFound)
    unsettled = RefundRequest(
        transaction_id=pay(receiver, settled=False).id, reason="OPERATIONAL_FLAW", amount=Decimal("1.00"), details="dup"
    )
    assert isinstance(refusal(lambda: ours.create_refund(unsettled)), RefundTransactionNotSettled)
    assert isinstance(refusal(lambda: ours.create_refund(fraud_refund(tx, "0.00"))), RefundInvalid)
    assert isinstance(refusal(lambda: ours.create_refund(fraud_refund(tx, "1.001"))), RefundInvalid)
    old = RefundRequest(
        transaction_id=pay(receiver, ago=91 * DAY).id, reason="OPERATIONAL_FLAW", amount=Decimal("1.00"), details="dup"
    )
    assert isinstance(refusal(lambda: ours.create_refund(old)), RefundPeriodExpired)

    refund = ours.create_refund(
        RefundRequest(transaction_id=tx.id, reason="OPERATIONAL_FLAW", amount=Decimal("10.00"), details="paid twice")
    )
    assert isinstance(refusal(lambda: theirs.cancel_refund(refund.id)), Forbidden)
    assert isinstance(
        refusal(lambda: ours.close_refund(refund.id, close=RefundClose("REJECTED", rejection_reason="OTHER"))),
        Forbidden,
    )
    for close, field in [
        (RefundClose("TOTALLY_ACCEPTED"), "refund_transaction_id"),
        (RefundClose("REJECTED"), "rejection_reason"),
        (RefundClose("REJECTED", rejection_reason="INVALID_REQUEST"), "details"),
        (RefundClose("ACCEPTED", refund_transaction_id=rtid()), "result"),
    ]:
        error = refusal(lambda close=close: theirs.close_refund(refund.id, close=close))
        assert isinstance(error, RefundInvalid) and error.fields[0].field == field
    invalid = RefundClose("REJECTED", rejection_reason="INVALID_REQUEST", details="not a flaw")
    closed = theirs.close_refund(refund.id, close=invalid)
    assert (closed.status, closed.rejection_reason, closed.analysis_details) == (
        "CLOSED",
        "INVALID_REQUEST",
        "not a flaw",
    )
    assert isinstance(
        refusal(lambda: theirs.close_refund(refund.id, close=RefundClose("REJECTED", rejection_reason="OTHER"))),
        RefundOperationInvalid,
    )

    fraud_tx = pay(receiver)
    agreed_report(ours, theirs, fraud_tx)
    fraud = ours.create_refund(fraud_refund(fraud_tx))
    only_flaw = refusal(
        lambda: theirs.close_refund(
            fraud.id, close=RefundClose("REJECTED", rejection_reason="INVALID_REQUEST", details="x")
        )
    )
    assert isinstance(only_flaw, RefundInvalid)
    cancelled = ours.cancel_refund(fraud.id)
    assert cancelled.status == "CANCELLED" and ours.cancel_refund(fraud.id) == cancelled
    assert ours.create_refund(fraud_refund(fraud_tx)).status == "OPEN"  # a cancelled one does not block


def test_a_refund_cancelled_report_and_refund_return_a_refund(ours, theirs, receiver) -> None:
    """The original receiver (OTHER) contests the refund it paid: it reports the pacs.004 and asks for it back."""
    tx = pay(receiver)
    agreed_report(ours, theirs, tx)
    refund = ours.create_refund(fraud_refund(tx, "40.00"))
    returned = rtid()
    theirs.close_refund(refund.id, close=RefundClose("TOTALLY_ACCEPTED", refund_transaction_id=returned))

    contest = report_request(
        returned, reason="REFUND_CANCELLED", situation_type="OTHER", report_details="refund by mistake"
    )
    assert isinstance(refusal(lambda: ours.create_infraction_report(contest)), Forbidden)  # OURS was credited
    report = theirs.create_infraction_report(contest)
    assert (report.reporter_participant, report.counterparty_participant) == (OTHER, OURS)
    back = RefundRequest(transaction_id=returned, reason="REFUND_CANCELLED", amount=Decimal("40.00"))
    assert isinstance(refusal(lambda: theirs.create_refund(back)), RefundInfractionReportNotFound)
    ours.acknowledge_infraction_report(report.id)
    ours.close_infraction_report(report.id, analysis_result="AGREED", fraud_type="OTHER")
    again = theirs.create_refund(back)
    assert (again.requesting_participant, again.contested_participant, again.reason) == (
        OTHER,
        OURS,
        "REFUND_CANCELLED",
    )
    assert isinstance(
        refusal(lambda: ours.create_refund(RefundRequest(tx.id, "REFUND_CANCELLED", Decimal("1.00")))),
        TransactionNotRefundable,
    )


def test_refunds_are_listed_by_role(ours, theirs, receiver) -> None:
    tx = pay(receiver)
    refund = ours.create_refund(RefundRequest(tx.id, "OPERATIONAL_FLAW", Decimal("5.00"), "paid twice"))
    assert [r.id for r in ours.list_refunds(role="REQUESTING").refunds] == [refund.id]
    assert ours.list_refunds(role="CONTESTED").refunds == []
    assert [r.id for r in theirs.list_refunds().refunds] == [refund.id]
    assert theirs.list_refunds(statuses=("CLOSED",)).refunds == []
    assert isinstance(refusal(lambda: ours.list_refunds(role="PAYER")), BadRequest)


# Statistics ------------------------------------------------------------------------------------


def lookup(client: LocalDirectoryClient, key: str, **kwargs):
    return client.get_entry(key=key, payer_id=PAYER, end_to_end_id=e2e(), **kwargs)


def test_statistics_count_settlements_markers_reports_and_accounts(ours, theirs, receiver) -> None:
    third = LocalDirectoryClient(participant=THIRD)
    assert lookup(third, receiver.tax_id).statistics is None
    empty = lookup(third, receiver.tax_id, include_statistics=True).statistics
    assert empty.key.settlements == WindowedValue() and empty.key.accounts == WindowedValue(1, 1, 1)

    pay(receiver, "10.00")
    pay(receiver, "10.00", ago=120 * DAY)  # outside d90, inside m12 and m60
    agreed = agreed_report(ours, theirs, pay(receiver, "123.45"), fraud_type="SCAMMER_ACCOUNT")
    disagreed = ours.create_infraction_report(report_request(pay(receiver).id))
    theirs.acknowledge_infraction_report(disagreed.id)
    theirs.close_infraction_report(disagreed.id, analysis_result="DISAGREED")
    ours.create_infraction_report(report_request(pay(receiver).id))  # open
    theirs.create_fraud_marker(FraudMarkerRequest(receiver.tax_id, "APPLICATION_FRAUD", uuid.uuid4()))

    this_month = lookup(third, receiver.tax_id, include_statistics=True).statistics.key
    assert (this_month.settlements, this_month.scammer_accounts) == (WindowedValue(4, 1, 1), WindowedValue(1, 0, 0))
    clock.advance(32 * DAY)  # m12 and m60 count full months only: this one once it has ended
    stats = lookup(third, receiver.tax_id, include_statistics=True).statistics
    key, owner = stats.key, stats.owner
    assert key.settlements.d90 == 4 and key.settlements.m60 == 5 and key.settlements.m12 == 5
    assert owner.settlements == key.settlements
    assert key.scammer_accounts == WindowedValue(1, 1, 1) and key.application_frauds == WindowedValue()
    assert owner.application_frauds == WindowedValue(1, 1, 1)  # the tax id's marker has no key
    assert key.total_fraud_transaction_amount == WindowedValue(123, 123, 123)  # whole reais
    assert owner.total_fraud_transaction_amount == WindowedValue(123, 123, 123)  # APPLICATION_FRAUD excluded
    assert owner.distinct_fraud_reporters == WindowedValue(1, 1, 1)
    assert (key.open_reports, key.open_reports_distinct_reporters) == (1, 1)
    assert key.rejected_reports == WindowedValue(1, 1, 1) and owner.rejected_reports == WindowedValue(1, 1, 1)
    assert stats.key.watermark == stats.owner.watermark

    ours.cancel_infraction_report(agreed.id)  # its marker is cancelled and no longer counts
    after = lookup(third, receiver.tax_id, include_statistics=True).statistics
    assert after.key.scammer_accounts == WindowedValue() and after.key.total_fraud_transaction_amount == WindowedValue()
    assert after.owner.application_frauds == WindowedValue(1, 1, 1)


def test_statistics_count_the_accounts_a_key_was_registered_in(ours, theirs, receiver) -> None:
    third = LocalDirectoryClient(participant=THIRD)
    email = "fraudster@example.com"
    theirs.create_entry(request("EMAIL", email, receiver, account(OTHER)))
    theirs.update_entry(key=email, account=account(OTHER), owner=receiver, reason="USER_REQUESTED")
    stats = lookup(third, email, include_statistics=True).statistics
    assert stats.key.accounts == WindowedValue(2, 2, 2)  # its first account and the current one
    assert stats.owner.accounts == WindowedValue(2, 2, 2)  # the CPF key's account and the e-mail's
    clock.advance(100 * DAY)
    assert lookup(third, email, include_statistics=True).statistics.key.accounts == WindowedValue(1, 2, 2)


def test_a_lookup_without_statistics_makes_no_extra_query(receiver) -> None:
    third = LocalDirectoryClient(participant=THIRD)
    with CaptureQueriesContext(connection) as plain:
        lookup(third, receiver.tax_id)
    assert len(plain) == 1  # the entry, as before statistics existed
    with CaptureQueriesContext(connection) as counted:
        lookup(third, receiver.tax_id, include_statistics=True)
    assert len(counted) <= 10  # a few aggregates, whatever the rows


def test_windows_are_whole_days_and_full_months_on_brasilias_calendar() -> None:
    d90, m12, m60 = window_bounds(datetime(2026, 3, 1, 2, 0, tzinfo=UTC))  # still 28 Feb in Brasília
    assert d90 == (datetime(2025, 12, 1, 3, tzinfo=UTC), None)  # 28 Feb and the 89 days before, from 00:00 BRT
    february = datetime(2026, 2, 1, 3, tzinfo=UTC)  # the current month, partial: in neither m12 nor m60
    assert m12 == (datetime(2025, 2, 1, 3, tzinfo=UTC), february)  # the 12 full months before it
    assert m60 == (datetime(2021, 2, 1, 3, tzinfo=UTC), february)
