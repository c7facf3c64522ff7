"""MED end to end against the in-process directory: our side as the payer's PSP (report, refund) and as the
receiver's (the poll acknowledges, we close and answer refunds), fraud markers, idempotent retries, the
re-drive after a crash between the intent's commit and DICT's answer, the deadline sweep, and the events.

Another PSP (participant 99999901) is played by calling the simulated directory through its own adapter;
payments are settled in the simulated SPI (dictsim.spi.settle).
"""

import dataclasses
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from common.leases import lease
from connect.client import get_client
from connect.local import LocalDirectoryClient
from connect.ports import DirectoryNotAsked
from dict_rules.errors import (
    Forbidden,
    FraudMarkerInvalid,
    InfractionReportInvalid,
    InfractionReportTransactionNotFound,
    RateLimited,
    RefundInfractionReportNotFound,
    RefundInvalid,
    RefundOperationInvalid,
    RequestIdAlreadyUsed,
    ServiceUnavailable,
)
from dict_rules.med import ContactInformation, InfractionReportRequest, RefundRequest
from dictsim import clock
from dictsim.models import DirFraudMarker
from events.models import DomainEvent
from med.models import FraudMarker, InfractionReport, PollCursor, Refund
from med.selectors import due_counts
from med.services import (
    POLL_LEASE,
    REPORTS,
    _sync,
    marker_cancel,
    marker_create,
    med_poll,
    med_redrive,
    med_sweep,
    refund_cancel,
    refund_close,
    refund_request,
    report_cancel,
    report_close,
    report_open,
    report_update,
)
from tests.factories import OTHER_PSP, refusal
from tests.med_support import (
    CONTACT,
    fraud_team,
    other_psp,
    paid_by_our_customer,
    paid_to_our_customer,
    reported_by_other_psp,
)

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
CONTACT_INFO = ContactInformation(**CONTACT)


@pytest.fixture
def analyst(make_user):
    """The fraud team's service user: not staff, its tokens call the API."""
    return fraud_team(make_user())


def events_of(row) -> list[str]:
    return list(
        DomainEvent.objects.filter(aggregate_id=str(row.pk)).order_by("sequence").values_list("event_type", flat=True)
    )


def open_report(analyst, tx: str, request_id: uuid.UUID | None = None) -> InfractionReport:
    report, _ = report_open(
        user=analyst, transaction_id=tx, situation_type="SCAM", request_id=request_id or uuid.uuid4(), **CONTACT
    )
    return report


def agreed_at_dict(report: InfractionReport, fraud_type: str = "SCAMMER_ACCOUNT") -> None:
    """The receiver's PSP (the other one) acknowledges and agrees."""
    other_psp().acknowledge_infraction_report(report.dict_id)
    other_psp().close_infraction_report(report.dict_id, analysis_result="AGREED", fraud_type=fraud_type)


def mark(analyst, account, request_id: uuid.UUID) -> FraudMarker:
    marker, _ = marker_create(
        user=analyst, tax_id=account.holder.tax_id, fraud_type="MULE_ACCOUNT", request_id=request_id
    )
    return marker


def dict_reports_as_reporter(tx: str) -> list:
    page = get_client().list_infraction_reports(as_reporter=True, as_counterparty=False)
    return [r for r in page.reports if r.transaction_id == tx]


# --- as the payer's PSP -----------------------------------------------------------------------------


def test_we_report_a_payment_the_counterparty_agrees_and_we_ask_for_the_money_back(make_account, analyst) -> None:
    tx = paid_by_our_customer(make_account(), "250.00")
    request_id = uuid.uuid4()
    report = open_report(analyst, tx, request_id)
    assert (report.role, report.status, report.intent, report.counterparty_participant) == (
        "REPORTER",
        "OPEN",
        "",
        OTHER_PSP,
    )
    assert report.analysis_deadline == report.dict_created_at + 7 * DAY
    again, replayed = report_open(
        user=analyst, transaction_id=tx, situation_type="SCAM", request_id=request_id, **CONTACT
    )
    assert (again.pk, replayed) == (report.pk, True)
    assert len(dict_reports_as_reporter(tx)) == 1

    agreed_at_dict(report)
    assert med_poll()["seen_reports"] >= 1
    report.refresh_from_db()
    assert (report.status, report.analysis_result, report.fraud_type) == ("CLOSED", "AGREED", "SCAMMER_ACCOUNT")
    assert report.refund_deadline == report.closed_at + timedelta(hours=72)

    refund, replayed = refund_request(
        user=analyst, transaction_id=tx, reason="FRAUD", amount="250.00", request_id=uuid.uuid4()
    )
    assert (refund.status, refund.role, refund.amount, refund.infraction_report_id) == (
        "OPEN",
        "REQUESTING",
        Decimal("250.00"),
        report.pk,
    )
    assert refund.contested_participant == OTHER_PSP
    assert events_of(report) == ["InfractionReportOpened", "InfractionReportClosed"]
    assert events_of(refund) == ["RefundRequested"]
    closed = DomainEvent.objects.get(aggregate_id=str(report.pk), event_type="InfractionReportClosed")
    assert closed.payload == {
        "status": "CLOSED",
        "role": "REPORTER",
        "analysis_result": "AGREED",
        "fraud_type": "SCAMMER_ACCOUNT",
    }


def test_our_refusals_and_dicts_each_with_its_code(make_account, analyst) -> None:
    account = make_account()
    not_ours = f"E{OTHER_PSP}202611300000{uuid.uuid4().hex[:11]}"
    error = refusal(lambda: open_report(analyst, not_ours))
    assert (type(error), [f.field for f in error.fields]) == (InfractionReportInvalid, ["transaction_id"])
    error = refusal(
        lambda: report_open(
            user=analyst,
            transaction_id=paid_by_our_customer(account),
            situation_type="OTHER",
            request_id=uuid.uuid4(),
            **CONTACT,
        )
    )
    assert (type(error), [f.field for f in error.fields]) == (InfractionReportInvalid, ["report_details"])

    # DICT refuses an unknown transaction: the row stays FAILED, and its request id answers the same again.
    unknown = f"E{settings.DICT_ISPB}202611300000{uuid.uuid4().hex[:11]}"  # ours, never settled
    request_id = uuid.uuid4()
    assert isinstance(refusal(lambda: open_report(analyst, unknown, request_id)), InfractionReportTransactionNotFound)
    row = InfractionReport.objects.get(request_id=request_id)
    assert (row.status, row.failure_code, row.intent) == ("FAILED", "InfractionReportTransactionNotFound", "")
    assert isinstance(refusal(lambda: open_report(analyst, unknown, request_id)), InfractionReportTransactionNotFound)
    assert events_of(row) == ["InfractionReportActionRefused"]  # DICT was asked once
    error = refusal(lambda: open_report(analyst, paid_by_our_customer(account), request_id))
    assert isinstance(error, RequestIdAlreadyUsed)

    tx = paid_by_our_customer(account)
    error = refusal(
        lambda: refund_request(user=analyst, transaction_id=tx, reason="FRAUD", amount="10.00", request_id=uuid.uuid4())
    )
    assert isinstance(error, RefundInfractionReportNotFound)
    error = refusal(
        lambda: refund_request(
            user=analyst, transaction_id=tx, reason="OPERATIONAL_FLAW", amount="10.00", request_id=uuid.uuid4()
        )
    )
    assert (type(error), [f.field for f in error.fields]) == (RefundInvalid, ["details"])
    error = refusal(
        lambda: refund_request(user=analyst, transaction_id=tx, reason="FRAUD", amount="10", request_id=uuid.uuid4())
    )
    assert (type(error), [f.field for f in error.fields]) == (RefundInvalid, ["amount"])
    assert not Refund.objects.exists()


def test_a_fraud_refund_after_the_72_hours_is_refused_here(make_account, analyst) -> None:
    tx = paid_by_our_customer(make_account())
    report = open_report(analyst, tx)
    agreed_at_dict(report)
    med_poll()
    later = timezone.now() + 72 * timedelta(hours=1) + timedelta(minutes=1)
    error = refusal(
        lambda: refund_request(
            user=analyst, transaction_id=tx, reason="FRAUD", amount="1.00", request_id=uuid.uuid4(), now=later
        )
    )
    assert error.code == "RefundPeriodExpired"


def test_we_cancel_our_report_once_even_when_asked_twice(make_account, analyst) -> None:
    report = open_report(analyst, paid_by_our_customer(make_account()))
    assert report_cancel(user=analyst, report_id=report.pk).status == "CANCELLED"
    assert report_cancel(user=analyst, report_id=report.pk).status == "CANCELLED"
    assert get_client().get_infraction_report(report.dict_id).status == "CANCELLED"
    assert events_of(report) == ["InfractionReportOpened", "InfractionReportCancelled"]


# --- as the receiver's PSP --------------------------------------------------------------------------


def incoming(make_account, make_entry) -> str:
    """A report the other PSP opened on a payment our customer received (not yet polled)."""
    entry = make_entry(make_account())
    tx = paid_to_our_customer(entry)
    reported_by_other_psp(tx)
    return tx


def test_the_poll_acknowledges_incoming_reports_at_once_and_we_close_them(make_account, make_entry, analyst) -> None:
    tx = incoming(make_account, make_entry)
    counts = med_poll()
    assert (counts["new_infractionreport"], counts["acknowledged"]) == (1, 1)
    report = InfractionReport.objects.get(transaction_id=tx)
    assert (report.role, report.status, report.reporter_participant) == ("COUNTERPARTY", "ACKNOWLEDGED", OTHER_PSP)
    assert other_psp().get_infraction_report(report.dict_id).status == "ACKNOWLEDGED"
    assert med_poll()["acknowledged"] == 0  # seen again (inclusive window), acknowledged once

    error = refusal(lambda: report_close(user=analyst, report_id=report.pk, analysis_result="DISAGREED"))
    assert (type(error), [f.field for f in error.fields]) == (InfractionReportInvalid, ["analysis_details"])
    closed = report_close(user=analyst, report_id=report.pk, analysis_result="AGREED", fraud_type="MULE_ACCOUNT")
    assert (closed.status, closed.analysis_result, closed.intent) == ("CLOSED", "AGREED", "")
    assert closed.fraud_marker_dict_id is not None
    assert events_of(report) == [
        "InfractionReportReceived",
        "InfractionReportAcknowledged",
        "InfractionReportClosed",
    ]


def test_a_customer_never_reaches_med(make_account, make_entry) -> None:
    account = make_account()
    customer = account.holder.user
    incoming(make_account, make_entry)
    med_poll()
    report = InfractionReport.objects.get()
    for call in (
        lambda: report_close(user=customer, report_id=report.pk, analysis_result="AGREED", fraud_type="OTHER"),
        lambda: open_report(customer, paid_by_our_customer(account)),
        lambda: marker_create(user=customer, tax_id=account.holder.tax_id, fraud_type="OTHER", request_id=uuid.uuid4()),
    ):
        assert isinstance(refusal(call), Forbidden)
    assert InfractionReport.objects.get().status == "ACKNOWLEDGED"


def test_a_refund_asked_of_us_is_answered(make_account, make_entry, analyst) -> None:
    tx = incoming(make_account, make_entry)
    med_poll()
    report = InfractionReport.objects.get(transaction_id=tx)
    report_close(user=analyst, report_id=report.pk, analysis_result="AGREED", fraud_type="MULE_ACCOUNT")
    other_psp().create_refund(RefundRequest(transaction_id=tx, reason="FRAUD", amount=Decimal("100.00")))
    assert med_poll()["new_refund"] == 1
    refund = Refund.objects.get(transaction_id=tx)
    assert (refund.role, refund.status, refund.requesting_participant) == ("CONTESTED", "OPEN", OTHER_PSP)

    error = refusal(
        lambda: refund_close(
            user=analyst, refund_id=refund.pk, result="REJECTED", rejection_reason="INVALID_REQUEST", details="x"
        )
    )
    assert (type(error), [f.field for f in error.fields]) == (RefundInvalid, ["rejection_reason"])
    assert isinstance(refusal(lambda: refund_cancel(user=analyst, refund_id=refund.pk)), RefundOperationInvalid)
    rtr_id = f"D{settings.DICT_ISPB}202611300000{uuid.uuid4().hex[:11]}"
    answered = refund_close(user=analyst, refund_id=refund.pk, result="TOTALLY_ACCEPTED", refund_transaction_id=rtr_id)
    assert (answered.status, answered.analysis_result, answered.refund_transaction_id) == (
        "CLOSED",
        "TOTALLY_ACCEPTED",
        rtr_id,
    )
    assert events_of(refund) == ["RefundReceived", "RefundClosed"]


# --- fraud markers ----------------------------------------------------------------------------------


def test_we_mark_our_own_customer_once_per_request_id_and_cancel(make_account, make_entry, analyst) -> None:
    account = make_account()
    entry = make_entry(account)
    request_id = uuid.uuid4()
    marker, replayed = marker_create(
        user=analyst,
        tax_id=account.holder.tax_id,
        fraud_type="MULE_ACCOUNT",
        key=entry.key_value.upper(),
        request_id=request_id,
    )
    assert (marker.status, marker.key, replayed, marker.holder_id) == (
        "REGISTERED",
        entry.key_value,
        False,
        account.holder_id,
    )
    again, replayed = marker_create(
        user=analyst,
        tax_id=account.holder.tax_id,
        fraud_type="MULE_ACCOUNT",
        key=entry.key_value,
        request_id=request_id,
    )
    assert (again.pk, replayed) == (marker.pk, True)
    stranger_key = make_entry(make_account()).key_value
    error = refusal(
        lambda: marker_create(
            user=analyst, tax_id=account.holder.tax_id, fraud_type="OTHER", key=stranger_key, request_id=uuid.uuid4()
        )
    )
    assert (type(error), [f.field for f in error.fields]) == (FraudMarkerInvalid, ["key"])
    error = refusal(
        lambda: marker_create(user=analyst, tax_id="52998224725", fraud_type="OTHER", request_id=uuid.uuid4())
    )
    assert (type(error), [f.field for f in error.fields]) == (FraudMarkerInvalid, ["tax_id"])

    assert marker_cancel(user=analyst, marker_id=marker.pk).status == "CANCELLED"
    assert get_client().get_fraud_marker(marker.dict_id).status == "CANCELLED"
    assert events_of(marker) == ["FraudMarkerCreated", "FraudMarkerCancelled"]
    assert DomainEvent.objects.get(aggregate_id=str(marker.pk), event_type="FraudMarkerCreated").payload == {
        "status": "REGISTERED",
        "fraud_type": "MULE_ACCOUNT",
    }
    assert FraudMarker.objects.count() == 1


# --- the re-drive after a crash ---------------------------------------------------------------------


@pytest.fixture
def dict_answer_lost(monkeypatch):
    """DICT does what it is asked, and the answer never arrives (a timeout, or the process dies)."""

    def lose(method: str) -> None:
        original = getattr(LocalDirectoryClient, method)

        def lost(self, *args, **kwargs):
            original(self, *args, **kwargs)
            raise ServiceUnavailable("the directory did not answer in time.")

        monkeypatch.setattr(LocalDirectoryClient, method, lost)
        get_client.cache_clear()

    yield lose
    monkeypatch.undo()
    get_client.cache_clear()


def answers_again(monkeypatch) -> None:
    """The directory answers again (the adapter as it was)."""
    monkeypatch.undo()
    get_client.cache_clear()


def redrive_later() -> dict:
    return dict(med_redrive(now=timezone.now() + timedelta(minutes=3)))


def test_a_report_dict_opened_without_our_knowing_is_found_not_opened_twice(
    make_account, analyst, dict_answer_lost, monkeypatch
) -> None:
    tx = paid_by_our_customer(make_account())
    request_id = uuid.uuid4()
    dict_answer_lost("create_infraction_report")
    assert isinstance(refusal(lambda: open_report(analyst, tx, request_id)), ServiceUnavailable)
    row = InfractionReport.objects.get(request_id=request_id)
    assert (row.status, row.intent, row.dict_id) == ("PENDING", "create", None)
    assert isinstance(refusal(lambda: open_report(analyst, tx, request_id)), ServiceUnavailable)  # still in flight

    answers_again(monkeypatch)
    assert redrive_later() == {"redriven_infractionreport": 1}
    row.refresh_from_db()
    assert (row.status, row.intent) == ("OPEN", "")
    assert [r.id for r in dict_reports_as_reporter(tx)] == [row.dict_id]
    assert events_of(row) == ["InfractionReportOpened"]
    assert open_report(analyst, tx, request_id).pk == row.pk  # the retry now answers the report


def test_a_report_dict_never_saw_is_opened_by_the_redrive(make_account, analyst, monkeypatch) -> None:
    tx = paid_by_our_customer(make_account())

    def crash(self, request):
        raise ServiceUnavailable("the process died before the call.")

    monkeypatch.setattr(LocalDirectoryClient, "create_infraction_report", crash)
    get_client.cache_clear()
    refusal(lambda: open_report(analyst, tx))
    assert dict_reports_as_reporter(tx) == []
    answers_again(monkeypatch)
    assert med_redrive() == {}  # not stale yet: the first call may still be asking
    assert redrive_later() == {"redriven_infractionreport": 1}
    assert redrive_later() == {}
    assert InfractionReport.objects.get(transaction_id=tx).status == "OPEN"
    assert len(dict_reports_as_reporter(tx)) == 1


def test_a_cancel_whose_answer_was_lost_is_finished_by_the_redrive(
    make_account, analyst, dict_answer_lost, monkeypatch
) -> None:
    report = open_report(analyst, paid_by_our_customer(make_account()))
    dict_answer_lost("cancel_infraction_report")
    refusal(lambda: report_cancel(user=analyst, report_id=report.pk))
    report.refresh_from_db()
    assert (report.status, report.intent) == ("OPEN", "cancel")
    assert isinstance(refusal(lambda: report_cancel(user=analyst, report_id=report.pk)), ServiceUnavailable)
    answers_again(monkeypatch)
    assert redrive_later() == {"redriven_infractionreport": 1}  # DICT repeats the cancel: idempotent
    report.refresh_from_db()
    assert (report.status, report.intent) == ("CANCELLED", "")


def test_the_poll_adopts_a_report_whose_create_answer_was_lost(make_account, analyst, dict_answer_lost) -> None:
    tx = paid_by_our_customer(make_account())
    dict_answer_lost("create_infraction_report")
    refusal(lambda: open_report(analyst, tx))
    assert med_poll()["adopted"] == 1
    row = InfractionReport.objects.get(transaction_id=tx)
    assert (row.status, row.intent, InfractionReport.objects.count()) == ("OPEN", "", 1)


def test_a_marker_whose_answer_was_lost_is_created_again_by_the_redrive_once(
    make_account, make_entry, analyst, dict_answer_lost, monkeypatch
) -> None:
    account = make_account()
    make_entry(account)
    request_id = uuid.uuid4()
    dict_answer_lost("create_fraud_marker")
    refusal(lambda: mark(analyst, account, request_id))
    assert FraudMarker.objects.get(request_id=request_id).intent == "create"
    answers_again(monkeypatch)
    assert redrive_later() == {"redriven_fraudmarker": 1}  # DICT's request id answers the first create
    marker = FraudMarker.objects.get(request_id=request_id)
    assert (marker.status, marker.intent) == ("REGISTERED", "")
    assert DirFraudMarker.objects.filter(tax_id=account.holder.tax_id).count() == 1


def not_asked(self, *args, **kwargs):
    raise DirectoryNotAsked("the circuit is open.", retry_after=5)


def rate_limited(self, *args, **kwargs):
    raise RateLimited()


def test_a_redrive_that_cannot_ask_keeps_the_create_dict_may_have_taken(
    make_account, make_entry, analyst, dict_answer_lost, monkeypatch
) -> None:
    """The first attempt's marker is at DICT (its answer lost): an open circuit in the re-drive must not
    delete our row, which DICT's marker would then outlive."""
    account = make_account()
    make_entry(account)
    request_id = uuid.uuid4()
    dict_answer_lost("create_fraud_marker")
    refusal(lambda: mark(analyst, account, request_id))
    monkeypatch.setattr(LocalDirectoryClient, "create_fraud_marker", not_asked)
    get_client.cache_clear()
    assert redrive_later() == {"stopped": 1}
    assert FraudMarker.objects.get(request_id=request_id).intent == "create"
    answers_again(monkeypatch)
    assert dict(med_redrive(now=timezone.now() + timedelta(minutes=6))) == {"redriven_fraudmarker": 1}
    assert FraudMarker.objects.get(request_id=request_id).status == "REGISTERED"


def test_a_rate_limited_create_is_tried_again_not_failed(make_account, analyst, monkeypatch) -> None:
    tx = paid_by_our_customer(make_account())
    request_id = uuid.uuid4()
    monkeypatch.setattr(LocalDirectoryClient, "create_infraction_report", rate_limited)
    get_client.cache_clear()
    assert isinstance(refusal(lambda: open_report(analyst, tx, request_id)), RateLimited)  # 429 to the caller
    row = InfractionReport.objects.get(request_id=request_id)
    assert (row.status, row.intent) == ("PENDING", "create")
    assert redrive_later() == {"stopped": 1}  # still limited: kept for the next run
    answers_again(monkeypatch)
    assert dict(med_redrive(now=timezone.now() + timedelta(minutes=6))) == {"redriven_infractionreport": 1}
    assert open_report(analyst, tx, request_id).status == "OPEN"  # the request id answers the report


def test_a_rate_limited_cancel_in_the_redrive_is_not_taken_for_done(
    make_account, analyst, dict_answer_lost, monkeypatch
) -> None:
    report = open_report(analyst, paid_by_our_customer(make_account()))
    monkeypatch.setattr(LocalDirectoryClient, "cancel_infraction_report", rate_limited)
    get_client.cache_clear()
    assert isinstance(refusal(lambda: report_cancel(user=analyst, report_id=report.pk)), RateLimited)
    assert redrive_later() == {"stopped": 1}
    report.refresh_from_db()
    assert (report.status, report.intent) == ("OPEN", "cancel")
    answers_again(monkeypatch)
    assert dict(med_redrive(now=timezone.now() + timedelta(minutes=6))) == {"redriven_infractionreport": 1}
    report.refresh_from_db()
    assert (report.status, report.intent) == ("CANCELLED", "")


def test_a_rate_limited_acknowledge_is_finished_later_not_skipped(make_account, make_entry, monkeypatch) -> None:
    first, second = incoming(make_account, make_entry), incoming(make_account, make_entry)
    original = LocalDirectoryClient.acknowledge_infraction_report
    calls = []

    def limited_once(self, report_id):
        calls.append(report_id)
        if len(calls) == 1:
            raise RateLimited()
        return original(self, report_id)

    monkeypatch.setattr(LocalDirectoryClient, "acknowledge_infraction_report", limited_once)
    get_client.cache_clear()
    assert med_poll()["stopped"] == 1
    assert med_poll()["acknowledged"] == 1  # the other one; the limited one waits for the re-drive
    assert redrive_later() == {"redriven_infractionreport": 1}
    statuses = InfractionReport.objects.filter(transaction_id__in=(first, second)).values_list("status", flat=True)
    assert list(statuses) == ["ACKNOWLEDGED", "ACKNOWLEDGED"]


def test_an_incoming_report_left_open_is_acknowledged_by_a_later_poll(make_account, make_entry, monkeypatch) -> None:
    tx = incoming(make_account, make_entry)
    monkeypatch.setattr(LocalDirectoryClient, "acknowledge_infraction_report", not_asked)
    get_client.cache_clear()
    assert med_poll()["stopped"] == 1
    report = InfractionReport.objects.get(transaction_id=tx)
    assert (report.status, report.intent) == ("OPEN", "")  # a first call not asked is undone
    later = reported_by_other_psp(paid_to_our_customer(make_entry(make_account())))
    answers_again(monkeypatch)
    PollCursor.objects.update(modified_after=later.last_modified)  # the list no longer shows the first
    assert med_poll()["acknowledged"] == 2
    report.refresh_from_db()
    assert report.status == "ACKNOWLEDGED"


@pytest.mark.django_db(transaction=True)  # the other poll runs on a thread with its own connection
def test_a_poll_meeting_the_row_another_poll_is_inserting_reads_it_again(make_account, make_entry) -> None:
    tx = incoming(make_account, make_entry)
    remote = get_client().list_infraction_reports(as_reporter=False, as_counterparty=True).reports[0]
    inserted = threading.Event()

    def other_poll() -> None:
        try:
            with transaction.atomic():
                _sync(REPORTS, remote, "COUNTERPARTY", Counter())
                inserted.set()
                time.sleep(0.5)  # our insert waits on this uncommitted one's unique (dict_id, role)
        finally:
            connection.close()

    thread = threading.Thread(target=other_poll)
    thread.start()
    assert inserted.wait(5)
    row = _sync(REPORTS, remote, "COUNTERPARTY", Counter())
    thread.join()
    assert (row.dict_id, InfractionReport.objects.filter(transaction_id=tx).count()) == (remote.id, 1)
    assert events_of(row) == ["InfractionReportReceived"]


def test_a_report_of_ours_the_poll_inserts_is_recorded_as_opened(make_account) -> None:
    """DICT holds a report of ours we have no row for (opened by another system of ours): not 'received'."""
    tx = paid_by_our_customer(make_account())
    get_client().create_infraction_report(InfractionReportRequest(tx, "REFUND_REQUEST", "SCAM", CONTACT_INFO))
    med_poll()
    report = InfractionReport.objects.get(transaction_id=tx)
    assert (report.role, events_of(report)) == ("REPORTER", ["InfractionReportOpened"])


def test_an_answer_older_than_the_row_records_no_update(make_account, analyst, monkeypatch) -> None:
    report = open_report(analyst, paid_by_our_customer(make_account()))
    original = LocalDirectoryClient.update_infraction_report

    def overtaken(self, *args, **kwargs):  # the poll stored a later state while the answer travelled
        answer = original(self, *args, **kwargs)
        return dataclasses.replace(answer, last_modified=report.last_modified - timedelta(seconds=1))

    monkeypatch.setattr(LocalDirectoryClient, "update_infraction_report", overtaken)
    get_client.cache_clear()
    updated = report_update(user=analyst, report_id=report.pk, situation_type="COERCION", **CONTACT)
    assert (updated.situation_type, updated.intent) == ("SCAM", "")  # the older answer ignored, the call done
    assert events_of(report) == ["InfractionReportOpened"]


def test_the_poll_stops_paging_before_its_lease_can_expire(make_account, make_entry, monkeypatch) -> None:
    incoming(make_account, make_entry)
    monkeypatch.setattr("med.services.POLL_TIME_BUDGET", timedelta(0))
    assert med_poll() == {"out_of_time": 1}
    assert not InfractionReport.objects.exists()


# --- the deadline sweep -----------------------------------------------------------------------------


def test_the_sweep_queues_reports_near_their_7_days_once(make_account, make_entry) -> None:
    incoming(make_account, make_entry)
    med_poll()
    assert med_sweep(now=clock.now()) == {}
    now = clock.advance(6 * DAY + timedelta(hours=1))
    assert med_sweep(now=now) == {"analysis_due": 1}
    assert med_sweep(now=now) == {}
    report = InfractionReport.objects.get()
    assert report.analysis_due_flagged_at == now
    assert events_of(report)[-1] == "InfractionReportAnalysisDue"
    assert due_counts(now=now)["analysis_due"] == 1
    assert due_counts(now=now + DAY)["analysis_overdue"] == 1


def test_the_sweep_flags_an_agreed_report_without_its_refund_near_the_72_hours(make_account, analyst) -> None:
    tx = paid_by_our_customer(make_account())
    report = open_report(analyst, tx)
    agreed_at_dict(report)
    med_poll()
    report.refresh_from_db()
    assert due_counts(now=report.closed_at)["awaiting_refund"] == 1
    assert med_sweep(now=report.closed_at + timedelta(hours=59)) == {}
    assert med_sweep(now=report.closed_at + timedelta(hours=61)) == {"refund_due": 1}
    assert med_sweep(now=report.closed_at + timedelta(hours=62)) == {}
    assert events_of(report)[-1] == "InfractionReportRefundDue"


@pytest.mark.django_db(transaction=True)  # the sweeps run on two threads, each with its own connection
def test_two_concurrent_sweeps_flag_each_report_once(make_account, make_entry) -> None:
    for _ in range(3):
        incoming(make_account, make_entry)
    med_poll()
    now = clock.advance(6 * DAY + timedelta(hours=1))
    results, barrier = [], threading.Barrier(2)

    def sweep() -> None:
        try:
            barrier.wait()
            results.append(med_sweep(now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result.get("analysis_due", 0) for result in results) == 3
    assert DomainEvent.objects.filter(event_type="InfractionReportAnalysisDue").count() == 3


def test_an_operational_flaw_refund_does_not_take_an_agreed_reports_place(make_account, analyst) -> None:
    tx = paid_by_our_customer(make_account())
    report = open_report(analyst, tx)
    agreed_at_dict(report)
    med_poll()
    report.refresh_from_db()
    refund_request(
        user=analyst,
        transaction_id=tx,
        reason="OPERATIONAL_FLAW",
        amount="1.00",
        details="paid twice",
        request_id=uuid.uuid4(),
    )
    assert due_counts(now=report.closed_at)["awaiting_refund"] == 1  # still owed its FRAUD refund
    assert med_sweep(now=report.closed_at + timedelta(hours=61)) == {"refund_due": 1}


def test_one_poll_at_a_time_and_the_commands_run_them(make_account, make_entry) -> None:
    incoming(make_account, make_entry)
    with lease(POLL_LEASE, 60) as held:
        assert held
        assert med_poll() == {"skipped": 1}  # another worker polls now
    assert not InfractionReport.objects.exists()
    out = StringIO()
    call_command("med_poll", stdout=out)
    assert "acknowledged: 1" in out.getvalue()
    out = StringIO()
    call_command("med_sweep", stdout=out)
    assert out.getvalue().strip() == "nothing due"


# --- a caller's retry of a call DICT has not answered -----------------------------------------------------


def aged(row, seconds: int = 30) -> None:
    """Time passes: the row's intent is older than any call of it lasts (the Connect budget and its margin)."""
    type(row).objects.filter(pk=row.pk).update(intent_at=timezone.now() - timedelta(seconds=seconds))


def test_a_retry_after_a_rate_limit_finishes_the_kept_action_at_once(make_account, analyst, monkeypatch) -> None:
    report = open_report(analyst, paid_by_our_customer(make_account()))
    monkeypatch.setattr(LocalDirectoryClient, "cancel_infraction_report", rate_limited)
    get_client.cache_clear()
    assert isinstance(refusal(lambda: report_cancel(user=analyst, report_id=report.pk)), RateLimited)
    waiting = refusal(lambda: report_cancel(user=analyst, report_id=report.pk))
    assert (type(waiting), waiting.retry_after) == (ServiceUnavailable, 1)
    answers_again(monkeypatch)
    aged(report)
    assert report_cancel(user=analyst, report_id=report.pk).status == "CANCELLED"  # not left to the sweep's 2 min
    report.refresh_from_db()
    assert (report.status, report.intent) == ("CANCELLED", "")
    assert events_of(report) == ["InfractionReportOpened", "InfractionReportCancelled"]


def test_a_retry_still_limited_keeps_the_intent(make_account, analyst, monkeypatch) -> None:
    tx = paid_by_our_customer(make_account())
    request_id = uuid.uuid4()
    monkeypatch.setattr(LocalDirectoryClient, "create_infraction_report", rate_limited)
    get_client.cache_clear()
    refusal(lambda: open_report(analyst, tx, request_id))
    row = InfractionReport.objects.get(request_id=request_id)
    aged(row)
    assert isinstance(refusal(lambda: open_report(analyst, tx, request_id)), RateLimited)  # asked again: 429
    row.refresh_from_db()
    assert (row.status, row.intent) == ("PENDING", "create")
    assert isinstance(refusal(lambda: open_report(analyst, tx, request_id)), ServiceUnavailable)  # just asked


@pytest.mark.django_db(transaction=True)  # the retries run on two threads, each with its own connection
def test_two_retries_of_a_stale_create_ask_dict_once(make_account, analyst, monkeypatch) -> None:
    tx = paid_by_our_customer(make_account())
    request_id = uuid.uuid4()
    monkeypatch.setattr(LocalDirectoryClient, "create_infraction_report", rate_limited)
    get_client.cache_clear()
    refusal(lambda: open_report(analyst, tx, request_id))
    answers_again(monkeypatch)
    original, asked = LocalDirectoryClient.create_infraction_report, []

    def slow(self, request):
        asked.append(request.transaction_id)
        time.sleep(0.3)  # the other retry comes while this one asks
        return original(self, request)

    monkeypatch.setattr(LocalDirectoryClient, "create_infraction_report", slow)
    get_client.cache_clear()
    aged(InfractionReport.objects.get(request_id=request_id))
    answers, barrier = [], threading.Barrier(2)

    def retry() -> None:
        try:
            barrier.wait()
            answers.append(open_report(analyst, tx, request_id).status)
        except ServiceUnavailable as waiting:
            answers.append(f"{waiting.code} {waiting.retry_after}")
        finally:
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert asked == [tx]  # one of them asked; the other waited (or, come late, found the report)
    assert "OPEN" in answers and set(answers) <= {"OPEN", "ServiceUnavailable 1"}
    assert len(dict_reports_as_reporter(tx)) == 1
