"""The simulated directory's infraction reports (DICT_RULES §8; rules in dict_rules.med_rules).

The debited participant of a settled transaction reports it (REFUND_REQUEST: the payment's payer
PSP; REFUND_CANCELLED: the refund's payer, the original receiver); the credited one is the
counterparty, which acknowledges and closes. A participant that is neither party does not see the
report (NotFound, the only refusal getInfractionReport has); a party acting in the other's place is
Forbidden (the 403 of the write operations). An AGREED close marks the credited person (and key).
"""

import uuid
from datetime import datetime

from django.db import IntegrityError, transaction

from dict_rules.errors import (
    Forbidden,
    InfractionReportAlreadyBeingProcessedForTransaction,
    InfractionReportAlreadyProcessedForTransaction,
    InfractionReportTransactionNotFound,
    NotFound,
)
from dict_rules.med import (
    REPORT_STATUSES,
    ContactInformation,
    InfractionReport,
    InfractionReportPage,
    InfractionReportRequest,
)
from dict_rules.med_rules import (
    OPEN_REPORT_STATUSES,
    Party,
    check_report_acknowledge,
    check_report_cancel,
    check_report_close,
    check_report_transaction,
    check_report_update,
    validate_contact,
    validate_report_details,
    validate_report_request,
)
from dictsim import clock, listing
from dictsim.models import DirFraudMarker, DirInfractionReport, DirTransaction


def to_port(report: DirInfractionReport) -> InfractionReport:
    """DICT's view of a report; its marker is read through the reverse one-to-one (select_related in lists)."""
    marker = getattr(report, "fraud_marker", None)  # the accessor raises an AttributeError when there is none
    return InfractionReport(
        id=report.id,
        transaction_id=report.transaction_id,
        reason=report.reason,
        situation_type=report.situation_type,
        contact=ContactInformation(email=report.contact_email, phone=report.contact_phone),
        report_details=report.report_details,
        status=report.status,
        reporter_participant=report.reporter_participant,
        counterparty_participant=report.counterparty_participant,
        created_at=report.created_at,
        last_modified=report.last_modified,
        analysis_result=report.analysis_result,
        analysis_details=report.analysis_details,
        fraud_type=report.fraud_type,
        fraud_marker_id=marker.id if marker is not None else None,
    )


def report_create(*, participant: str, request: InfractionReportRequest) -> InfractionReport:
    """createInfractionReport: one report in progress per transaction, none after one was closed."""
    validate_report_request(request)
    try:
        with transaction.atomic():
            return _create(participant, request)
    except IntegrityError:  # a concurrent create won the partial unique index
        raise InfractionReportAlreadyBeingProcessedForTransaction() from None


def _create(participant: str, request: InfractionReportRequest) -> InfractionReport:
    tx = DirTransaction.objects.select_for_update().filter(id=request.transaction_id).first()
    if tx is None:
        raise InfractionReportTransactionNotFound()
    if tx.payer_participant != participant:
        raise Forbidden("only the debited participant of the transaction may report it.")
    now = clock.now()
    check_report_transaction(reason=request.reason, kind=tx.kind, settled=tx.settled, settled_at=tx.settled_at, now=now)
    earlier = set(DirInfractionReport.objects.filter(transaction=tx).values_list("status", flat=True))
    if earlier & set(OPEN_REPORT_STATUSES):
        raise InfractionReportAlreadyBeingProcessedForTransaction()
    if "CLOSED" in earlier:
        raise InfractionReportAlreadyProcessedForTransaction()
    report = DirInfractionReport.objects.create(
        transaction=tx,
        reason=request.reason,
        situation_type=request.situation_type,
        report_details=request.report_details,
        contact_email=request.contact.email,
        contact_phone=request.contact.phone,
        status="OPEN",
        reporter_participant=participant,
        counterparty_participant=tx.receiver_participant,
        target_tax_id=tx.receiver_tax_id,
        target_key=tx.receiver_key,
        created_at=now,
        last_modified=now,
    )
    return to_port(report)


def _party(report: DirInfractionReport, participant: str) -> Party | None:
    if report.reporter_participant == participant:
        return Party.REPORTER
    if report.counterparty_participant == participant:
        return Party.COUNTERPARTY
    return None


def _visible(participant: str, report_id: uuid.UUID, *, lock: bool = False) -> tuple[DirInfractionReport, Party]:
    rows = DirInfractionReport.objects.select_for_update() if lock else DirInfractionReport.objects
    report = rows.filter(id=report_id).first()
    party = _party(report, participant) if report is not None else None
    if party is None:
        raise NotFound("no infraction report with this id for this participant.")
    return report, party


def _touch(report: DirInfractionReport, now: datetime, **fields) -> InfractionReport:
    for name, value in fields.items():
        setattr(report, name, value)
    report.last_modified = now
    report.save()
    return to_port(report)


def report_get(*, participant: str, report_id: uuid.UUID) -> InfractionReport:
    return to_port(_visible(participant, report_id)[0])


@transaction.atomic
def report_update(
    *, participant: str, report_id: uuid.UUID, situation_type: str, report_details: str, contact: ContactInformation
) -> InfractionReport:
    """updateInfractionReport: the creator edits SituationType, contact and details while in progress."""
    report, party = _visible(participant, report_id, lock=True)
    check_report_update(status=report.status, party=party)
    validate_report_details(reason=report.reason, situation_type=situation_type, report_details=report_details)
    validate_contact(contact)
    return _touch(
        report,
        clock.now(),
        situation_type=situation_type,
        report_details=report_details,
        contact_email=contact.email,
        contact_phone=contact.phone,
    )


@transaction.atomic
def report_acknowledge(*, participant: str, report_id: uuid.UUID) -> InfractionReport:
    report, party = _visible(participant, report_id, lock=True)
    if not check_report_acknowledge(status=report.status, party=party):
        return to_port(report)
    return _touch(report, clock.now(), status="ACKNOWLEDGED")


@transaction.atomic
def report_cancel(*, participant: str, report_id: uuid.UUID) -> InfractionReport:
    """The creator cancels, even after the close; an AGREED close's fraud marker is cancelled with it."""
    report, party = _visible(participant, report_id, lock=True)
    if not check_report_cancel(status=report.status, party=party):
        return to_port(report)
    now = clock.now()
    DirFraudMarker.objects.filter(infraction_report=report, status="REGISTERED").update(
        status="CANCELLED", last_modified=now
    )
    return _touch(report, now, status="CANCELLED")


@transaction.atomic
def report_close(
    *, participant: str, report_id: uuid.UUID, analysis_result: str, fraud_type: str = "", analysis_details: str = ""
) -> InfractionReport:
    """The counterparty's analysis; AGREED marks the transaction's receiver (tax id and key) as its own marker."""
    report, party = _visible(participant, report_id, lock=True)
    closed_with = (report.analysis_result, report.fraud_type, report.analysis_details)
    if not check_report_close(
        status=report.status,
        party=party,
        analysis_result=analysis_result,
        fraud_type=fraud_type,
        analysis_details=analysis_details,
        closed_with=closed_with if report.status == "CLOSED" else None,
    ):
        return to_port(report)
    now = clock.now()
    if analysis_result == "AGREED":
        DirFraudMarker.objects.create(
            participant=participant,
            tax_id=report.target_tax_id,
            key=report.target_key,
            fraud_type=fraud_type,
            status="REGISTERED",
            created_at=now,
            last_modified=now,
            infraction_report=report,
        )
    return _touch(
        report,
        now,
        status="CLOSED",
        closed_at=now,
        analysis_result=analysis_result,
        fraud_type=fraud_type,
        analysis_details=analysis_details,
    )


def report_list(
    *,
    participant: str,
    as_reporter: bool = False,
    as_counterparty: bool = False,
    statuses: tuple[str, ...] = (),
    modified_after: datetime | None = None,
    modified_before: datetime | None = None,
    limit: int = listing.LIST_DEFAULT,
) -> InfractionReportPage:
    """listInfractionReports: the caller's reports (neither role asked means both)."""
    reporter, counterparty = (as_reporter, as_counterparty) if as_reporter or as_counterparty else (True, True)
    rows = DirInfractionReport.objects.none()
    if reporter:
        rows |= DirInfractionReport.objects.filter(reporter_participant=participant)
    if counterparty:
        rows |= DirInfractionReport.objects.filter(counterparty_participant=participant)
    found, more = listing.page(
        rows.select_related("fraud_marker"),
        statuses=statuses,
        known_statuses=REPORT_STATUSES,
        modified_after=modified_after,
        modified_before=modified_before,
        limit=limit,
    )
    return InfractionReportPage(reports=[to_port(report) for report in found], has_more=more)
