"""The Connect API's protobuf codec: explicit mappers between Connect proto messages and DICT's
value types (dict_rules.directory), both directions.

In the kernel because both ends of the wire use it: the PSP's Connect gRPC client
(connect.grpc_client) and the simulated directory's gRPC server (dictsim.grpc). dictsim may
import no PSP app, and dict_rules no protos, so the codec lives here (common imports protos and
dict_rules, never an app).

The ``*_from_pb`` readers of the directory's answers (entries, claims, a completion) check what
the caller relies on: a malformed id, an unspecified or unknown enum, a missing or unreadable
timestamp is the directory misbehaving, raised as ServiceUnavailable (the work stays pending and
is tried again), never as a bare ValueError. The readers of requests (used by dictsim's server)
stay lenient: there the domain refuses a bad value with the client's error.
"""

import dataclasses
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from types import ModuleType
from typing import Any

from common.pb_util import enum_name, enum_value, from_timestamp, parse_uuid, to_timestamp
from dict_rules import med
from dict_rules.cid import CID_RE
from dict_rules.directory import (
    BankAccount,
    ClaimRequest,
    CompletedClaim,
    DirectoryClaim,
    DirectoryEntry,
    EntryByCid,
    EntryRequest,
    Owner,
)
from dict_rules.errors import BadRequest, RefundInvalid, ServiceUnavailable
from dict_rules.med_rules import amount_from_text, format_amount, parse_amount
from protos.dict.connect.v1 import connect_pb2 as pb

logger = logging.getLogger(__name__)

# The gRPC metadata naming the calling participant's ISPB: what DICT learns from the mTLS
# certificate, sent by the PSP's client and read by the directory's server.
PARTICIPANT_METADATA_KEY = "x-participant-ispb"


def malformed(what: str, problem: str) -> ServiceUnavailable:
    logger.warning("connect: malformed %s from the directory: %s", what, problem)
    return ServiceUnavailable(f"the directory answered a malformed {what}: {problem}.")


@contextmanager
def _reading(what: str) -> Iterator[None]:
    """A value no field may hold (an out-of-range timestamp) is a malformed answer too."""
    try:
        yield
    except (ValueError, OverflowError) as error:
        raise malformed(what, str(error)) from None


def _answer_enum(pb_enum, value: int, what: str, field: str, *, required: bool = True) -> str:
    """An enum of an answer: an unknown number is malformed, and so is UNSPECIFIED when required."""
    name = enum_name(pb_enum, value)
    if not name and (required or value != 0):
        raise malformed(what, f"{field} {value} is not a known value")
    return name


def _answer_present(message, what: str, *fields: str) -> None:
    """The answer's required fields are there: a message field set, a string field not empty."""
    missing = [field for field in fields if not _has(message, field)]
    if missing:
        raise malformed(what, f"{', '.join(missing)} missing")


def _has(message, field: str) -> bool:
    if message.DESCRIPTOR.fields_by_name[field].message_type is None:
        return bool(getattr(message, field))
    return message.HasField(field)


def _answer_account(message: pb.BrazilianAccount, what: str, field: str) -> BankAccount:
    _answer_enum(pb.AccountType, message.account_type, what, f"{field}.account_type")
    return account_from_pb(message)


def _answer_owner(message: pb.Person, what: str, field: str) -> Owner:
    _answer_enum(pb.PersonType, message.type, what, f"{field}.type")
    return owner_from_pb(message)


def account_to_pb(account: BankAccount) -> pb.BrazilianAccount:
    return pb.BrazilianAccount(
        participant=account.participant,
        branch=account.branch,
        account_number=account.number,
        account_type=pb.AccountType.Value(account.account_type),
        opening_date=to_timestamp(account.opening_date),
    )


def account_from_pb(message: pb.BrazilianAccount) -> BankAccount:
    return BankAccount(
        participant=message.participant,
        branch=message.branch,
        number=message.account_number,
        account_type=enum_name(pb.AccountType, message.account_type),
        opening_date=from_timestamp(message.opening_date, message.HasField("opening_date")),
    )


def owner_to_pb(owner: Owner) -> pb.Person:
    return pb.Person(
        type=pb.PersonType.Value(owner.person_type),
        tax_id_number=owner.tax_id,
        name=owner.name,
        trade_name=owner.trade_name,
    )


def owner_from_pb(message: pb.Person) -> Owner:
    return Owner(
        person_type=enum_name(pb.PersonType, message.type),
        tax_id=message.tax_id_number,
        name=message.name,
        trade_name=message.trade_name,
    )


def entry_to_pb(entry: DirectoryEntry) -> pb.Entry:
    return pb.Entry(
        key=entry.key,
        key_type=pb.KeyType.Value(entry.key_type),
        account=account_to_pb(entry.account),
        owner=owner_to_pb(entry.owner),
        creation_date=to_timestamp(entry.created_at),
        key_ownership_date=to_timestamp(entry.key_ownership_date),
        open_claim_creation_date=to_timestamp(entry.open_claim_creation_date),
    )


def entry_from_pb(message: pb.Entry) -> DirectoryEntry:
    """An entry the directory answered with; malformed is ServiceUnavailable (see the module doc)."""
    what = "entry"
    _answer_present(message, what, "key", "creation_date", "key_ownership_date")
    with _reading(what):
        return DirectoryEntry(
            key=message.key,
            key_type=_answer_enum(pb.KeyType, message.key_type, what, "key_type"),
            owner=_answer_owner(message.owner, what, "owner"),
            account=_answer_account(message.account, what, "account"),
            created_at=from_timestamp(message.creation_date),
            key_ownership_date=from_timestamp(message.key_ownership_date),
            open_claim_creation_date=from_timestamp(
                message.open_claim_creation_date, message.HasField("open_claim_creation_date")
            ),
        )


def entry_by_cid_to_pb(found: EntryByCid, correlation_id: str) -> pb.GetEntryByCidResponse:
    return pb.GetEntryByCidResponse(
        cid=found.cid,
        entry=entry_to_pb(found.entry),
        request_id=str(found.request_id),
        correlation_id=correlation_id,
    )


def entry_by_cid_from_pb(message: pb.GetEntryByCidResponse) -> EntryByCid:
    """getEntryByCid's answer; malformed (no entry, a CID or RequestId that is not one) is ServiceUnavailable."""
    what = "entry by CID"
    _answer_present(message, what, "cid", "entry", "request_id")
    request_id = parse_uuid(message.request_id)
    if request_id is None or not CID_RE.fullmatch(message.cid):
        raise malformed(what, "cid or request_id is not valid")
    return EntryByCid(cid=message.cid, entry=entry_from_pb(message.entry), request_id=request_id)


def create_request_to_pb(request: EntryRequest) -> pb.CreateEntryRequest:
    return pb.CreateEntryRequest(
        entry=pb.Entry(
            key=request.key or "",
            key_type=pb.KeyType.Value(request.key_type),
            account=account_to_pb(request.account),
            owner=owner_to_pb(request.owner),
        ),
        reason=pb.Reason.Value(request.reason),
        request_id=str(request.request_id),
    )


def create_request_from_pb(message: pb.CreateEntryRequest, request_id) -> EntryRequest:
    return EntryRequest(
        key_type=enum_name(pb.KeyType, message.entry.key_type),
        key=message.entry.key or None,
        owner=owner_from_pb(message.entry.owner),
        account=account_from_pb(message.entry.account),
        request_id=request_id,
        reason=enum_name(pb.Reason, message.reason),
    )


def claim_to_pb(claim: DirectoryClaim) -> pb.Claim:
    return pb.Claim(
        id=str(claim.id),
        type=pb.ClaimType.Value(claim.claim_type),
        key=claim.key,
        key_type=pb.KeyType.Value(claim.key_type),
        claimer_account=account_to_pb(claim.claimer_account),
        claimer=owner_to_pb(claim.claimer),
        donor_participant=claim.donor_participant,
        status=pb.ClaimStatus.Value(claim.status),
        creation_date=to_timestamp(claim.created_at),
        resolution_period_end=to_timestamp(claim.resolution_period_end),
        completion_period_end=to_timestamp(claim.completion_period_end),
        last_modified=to_timestamp(claim.last_modified),
        confirm_reason=enum_value(pb.Reason, claim.confirm_reason),
        cancel_reason=enum_value(pb.Reason, claim.cancel_reason),
        cancelled_by=enum_value(pb.ClaimParty, claim.cancelled_by),
    )


def claim_from_pb(message: pb.Claim) -> DirectoryClaim:
    """A claim the directory answered with; malformed is ServiceUnavailable (see the module doc)."""
    what = "claim"
    claim_id = parse_uuid(message.id)
    if claim_id is None:
        raise malformed(what, f"id {message.id!r} is not a UUID")
    _answer_present(message, what, "key", "creation_date", "resolution_period_end", "last_modified")
    with _reading(what):
        return DirectoryClaim(
            id=claim_id,
            claim_type=_answer_enum(pb.ClaimType, message.type, what, "type"),
            key=message.key,
            key_type=_answer_enum(pb.KeyType, message.key_type, what, "key_type"),
            claimer_account=_answer_account(message.claimer_account, what, "claimer_account"),
            claimer=_answer_owner(message.claimer, what, "claimer"),
            donor_participant=message.donor_participant,
            status=_answer_enum(pb.ClaimStatus, message.status, what, "status"),
            created_at=from_timestamp(message.creation_date),
            resolution_period_end=from_timestamp(message.resolution_period_end),
            completion_period_end=from_timestamp(
                message.completion_period_end, message.HasField("completion_period_end")
            ),
            last_modified=from_timestamp(message.last_modified),
            confirm_reason=_answer_enum(pb.Reason, message.confirm_reason, what, "confirm_reason", required=False),
            cancel_reason=_answer_enum(pb.Reason, message.cancel_reason, what, "cancel_reason", required=False),
            cancelled_by=_answer_enum(pb.ClaimParty, message.cancelled_by, what, "cancelled_by", required=False),
        )


def claim_request_to_pb(request: ClaimRequest) -> pb.CreateClaimRequest:
    return pb.CreateClaimRequest(
        type=pb.ClaimType.Value(request.claim_type),
        key=request.key,
        key_type=pb.KeyType.Value(request.key_type),
        claimer_account=account_to_pb(request.claimer_account),
        claimer=owner_to_pb(request.claimer),
    )


def claim_request_from_pb(message: pb.CreateClaimRequest) -> ClaimRequest:
    return ClaimRequest(
        claim_type=enum_name(pb.ClaimType, message.type),
        key=message.key,
        key_type=enum_name(pb.KeyType, message.key_type),
        claimer_account=account_from_pb(message.claimer_account),
        claimer=owner_from_pb(message.claimer),
    )


def completed_to_pb(completed: CompletedClaim, correlation_id: str) -> pb.CompleteClaimResponse:
    return pb.CompleteClaimResponse(
        claim=claim_to_pb(completed.claim),
        entry_creation_date=to_timestamp(completed.entry_created_at),
        key_ownership_date=to_timestamp(completed.key_ownership_date),
        correlation_id=correlation_id,
    )


def completed_from_pb(message: pb.CompleteClaimResponse) -> CompletedClaim:
    what = "completion"
    _answer_present(message, what, "claim", "entry_creation_date", "key_ownership_date")
    claim = claim_from_pb(message.claim)
    with _reading(what):
        return CompletedClaim(
            claim=claim,
            entry_created_at=from_timestamp(message.entry_creation_date),
            key_ownership_date=from_timestamp(message.key_ownership_date),
        )


def list_claims_request_to_pb(
    *,
    as_donor: bool,
    as_claimer: bool,
    statuses: tuple[str, ...],
    claim_type: str,
    modified_after: datetime | None,
    modified_before: datetime | None,
    limit: int,
) -> pb.ListClaimsRequest:
    return pb.ListClaimsRequest(
        is_donor=as_donor,
        is_claimer=as_claimer,
        status=[pb.ClaimStatus.Value(status) for status in statuses],
        type=enum_value(pb.ClaimType, claim_type),
        modified_after=to_timestamp(modified_after),
        modified_before=to_timestamp(modified_before),
        limit=limit,
    )


# MED (DICT_RULES §8, §6 statistics). Enums travel as DICT's names in strings (see the proto), amounts
# as decimal strings with two places ("100.00"). The answers' readers check ids, the enums' names,
# timestamps and amounts as the claims' do: a malformed answer is ServiceUnavailable.


def _answer_name(value: str, allowed: tuple[str, ...], what: str, field: str, *, required: bool = True) -> str:
    if (value or required) and value not in allowed:
        raise malformed(what, f"{field} {value!r} is not a known value")
    return value


def _answer_uuid(value: str, what: str, field: str, *, required: bool = True) -> uuid.UUID | None:
    if not value and not required:
        return None
    parsed = parse_uuid(value)
    if parsed is None:
        raise malformed(what, f"{field} {value!r} is not a UUID")
    return parsed


def _answer_amount(value: str, what: str, field: str) -> Decimal:
    amount = parse_amount(value)
    if amount is None:
        raise malformed(what, f"{field} {value!r} is not an amount")
    return amount


def windowed_from_pb(message: pb.WindowedValue) -> med.WindowedValue:
    return med.WindowedValue(d90=message.d90, m12=message.m12, m60=message.m60)


_WINDOWED_STATISTICS = (
    "settlements",
    "application_frauds",
    "mule_accounts",
    "scammer_accounts",
    "other_frauds",
    "unknown_frauds",
    "total_fraud_transaction_amount",
    "distinct_fraud_reporters",
    "rejected_reports",
    "accounts",
)


def statistics_to_pb(stats: med.Statistics, messages: ModuleType = pb) -> Any:
    """DICT's counters as a ``Statistics`` message of ``messages``: the Connect proto's by default, or
    CoreDictService's, whose Statistics and WindowedValue have the same fields."""
    return messages.Statistics(
        watermark=to_timestamp(stats.watermark),
        open_reports=stats.open_reports,
        open_reports_distinct_reporters=stats.open_reports_distinct_reporters,
        **{
            name: messages.WindowedValue(d90=value.d90, m12=value.m12, m60=value.m60)
            for name, value in ((name, getattr(stats, name)) for name in _WINDOWED_STATISTICS)
        },
    )


def statistics_from_pb(message: pb.Statistics) -> med.Statistics:
    what = "statistics"
    _answer_present(message, what, "watermark")
    with _reading(what):
        return med.Statistics(
            watermark=from_timestamp(message.watermark),
            open_reports=message.open_reports,
            open_reports_distinct_reporters=message.open_reports_distinct_reporters,
            **{name: windowed_from_pb(getattr(message, name)) for name in _WINDOWED_STATISTICS},
        )


def get_entry_response_to_pb(entry: DirectoryEntry, correlation_id: str) -> pb.GetEntryResponse:
    stats = entry.statistics
    return pb.GetEntryResponse(
        entry=entry_to_pb(entry),
        correlation_id=correlation_id,
        key_statistics=statistics_to_pb(stats.key) if stats else None,
        owner_statistics=statistics_to_pb(stats.owner) if stats else None,
    )


def get_entry_response_from_pb(message: pb.GetEntryResponse, *, include_statistics: bool) -> DirectoryEntry:
    """getEntry's answer; statistics asked for and missing is a malformed answer."""
    entry = entry_from_pb(message.entry)
    if not include_statistics:
        return entry
    _answer_present(message, "entry statistics", "key_statistics", "owner_statistics")
    stats = med.EntryStatistics(
        key=statistics_from_pb(message.key_statistics), owner=statistics_from_pb(message.owner_statistics)
    )
    return dataclasses.replace(entry, statistics=stats)


def report_to_pb(report: med.InfractionReport) -> pb.InfractionReport:
    return pb.InfractionReport(
        id=str(report.id),
        transaction_id=report.transaction_id,
        reason=report.reason,
        situation_type=report.situation_type,
        report_details=report.report_details,
        contact_email=report.contact.email,
        contact_phone=report.contact.phone,
        status=report.status,
        reporter_participant=report.reporter_participant,
        counterparty_participant=report.counterparty_participant,
        creation_time=to_timestamp(report.created_at),
        last_modified=to_timestamp(report.last_modified),
        analysis_result=report.analysis_result,
        analysis_details=report.analysis_details,
        fraud_type=report.fraud_type,
        fraud_marker_id=str(report.fraud_marker_id or ""),
    )


def report_from_pb(message: pb.InfractionReport) -> med.InfractionReport:
    what = "infraction report"
    _answer_present(message, what, "transaction_id", "creation_time", "last_modified")
    with _reading(what):
        return med.InfractionReport(
            id=_answer_uuid(message.id, what, "id"),
            transaction_id=message.transaction_id,
            reason=_answer_name(message.reason, med.INFRACTION_REASONS, what, "reason"),
            situation_type=_answer_name(message.situation_type, med.SITUATION_TYPES, what, "situation_type"),
            contact=med.ContactInformation(email=message.contact_email, phone=message.contact_phone),
            report_details=message.report_details,
            status=_answer_name(message.status, med.REPORT_STATUSES, what, "status"),
            reporter_participant=message.reporter_participant,
            counterparty_participant=message.counterparty_participant,
            created_at=from_timestamp(message.creation_time),
            last_modified=from_timestamp(message.last_modified),
            analysis_result=_answer_name(
                message.analysis_result, med.ANALYSIS_RESULTS, what, "analysis_result", required=False
            ),
            analysis_details=message.analysis_details,
            fraud_type=_answer_name(message.fraud_type, med.FRAUD_TYPES, what, "fraud_type", required=False),
            fraud_marker_id=_answer_uuid(message.fraud_marker_id, what, "fraud_marker_id", required=False),
        )


def report_request_to_pb(request: med.InfractionReportRequest) -> pb.CreateInfractionReportRequest:
    return pb.CreateInfractionReportRequest(
        transaction_id=request.transaction_id,
        reason=request.reason,
        situation_type=request.situation_type,
        report_details=request.report_details,
        contact_email=request.contact.email,
        contact_phone=request.contact.phone,
    )


def report_request_from_pb(message: pb.CreateInfractionReportRequest) -> med.InfractionReportRequest:
    return med.InfractionReportRequest(
        transaction_id=message.transaction_id,
        reason=message.reason,
        situation_type=message.situation_type,
        contact=med.ContactInformation(email=message.contact_email, phone=message.contact_phone),
        report_details=message.report_details,
    )


def marker_to_pb(marker: med.FraudMarker) -> pb.FraudMarker:
    return pb.FraudMarker(
        id=str(marker.id),
        tax_id_number=marker.tax_id,
        key=marker.key,
        fraud_type=marker.fraud_type,
        status=marker.status,
        participant=marker.participant,
        creation_time=to_timestamp(marker.created_at),
        last_modified=to_timestamp(marker.last_modified),
        infraction_report_id=str(marker.infraction_report_id or ""),
    )


def marker_from_pb(message: pb.FraudMarker) -> med.FraudMarker:
    what = "fraud marker"
    _answer_present(message, what, "tax_id_number", "creation_time", "last_modified")
    with _reading(what):
        return med.FraudMarker(
            id=_answer_uuid(message.id, what, "id"),
            tax_id=message.tax_id_number,
            key=message.key,
            fraud_type=_answer_name(message.fraud_type, med.FRAUD_TYPES, what, "fraud_type"),
            status=_answer_name(message.status, med.FRAUD_MARKER_STATUSES, what, "status"),
            participant=message.participant,
            created_at=from_timestamp(message.creation_time),
            last_modified=from_timestamp(message.last_modified),
            infraction_report_id=_answer_uuid(
                message.infraction_report_id, what, "infraction_report_id", required=False
            ),
        )


def marker_request_to_pb(request: med.FraudMarkerRequest) -> pb.CreateFraudMarkerRequest:
    return pb.CreateFraudMarkerRequest(
        tax_id_number=request.tax_id, key=request.key, fraud_type=request.fraud_type, request_id=str(request.request_id)
    )


def marker_request_from_pb(message: pb.CreateFraudMarkerRequest, request_id: uuid.UUID) -> med.FraudMarkerRequest:
    return med.FraudMarkerRequest(
        tax_id=message.tax_id_number, fraud_type=message.fraud_type, request_id=request_id, key=message.key
    )


def refund_to_pb(refund: med.Refund) -> pb.Refund:
    return pb.Refund(
        id=str(refund.id),
        transaction_id=refund.transaction_id,
        refund_reason=refund.reason,
        refund_amount=format_amount(refund.amount),
        refund_details=refund.details,
        status=refund.status,
        requesting_participant=refund.requesting_participant,
        contested_participant=refund.contested_participant,
        creation_time=to_timestamp(refund.created_at),
        last_modified=to_timestamp(refund.last_modified),
        infraction_report_id=str(refund.infraction_report_id or ""),
        analysis_result=refund.analysis_result,
        analysis_details=refund.analysis_details,
        refund_rejection_reason=refund.rejection_reason,
        refund_transaction_id=refund.refund_transaction_id,
    )


def refund_from_pb(message: pb.Refund) -> med.Refund:
    what = "refund"
    _answer_present(message, what, "transaction_id", "creation_time", "last_modified")
    with _reading(what):
        return med.Refund(
            id=_answer_uuid(message.id, what, "id"),
            transaction_id=message.transaction_id,
            reason=_answer_name(message.refund_reason, med.REFUND_REASONS, what, "refund_reason"),
            amount=_answer_amount(message.refund_amount, what, "refund_amount"),
            details=message.refund_details,
            status=_answer_name(message.status, med.REFUND_STATUSES, what, "status"),
            requesting_participant=message.requesting_participant,
            contested_participant=message.contested_participant,
            created_at=from_timestamp(message.creation_time),
            last_modified=from_timestamp(message.last_modified),
            infraction_report_id=_answer_uuid(
                message.infraction_report_id, what, "infraction_report_id", required=False
            ),
            analysis_result=_answer_name(
                message.analysis_result, med.REFUND_RESULTS, what, "analysis_result", required=False
            ),
            analysis_details=message.analysis_details,
            rejection_reason=_answer_name(
                message.refund_rejection_reason,
                med.REFUND_REJECTION_REASONS,
                what,
                "refund_rejection_reason",
                required=False,
            ),
            refund_transaction_id=message.refund_transaction_id,
        )


def refund_request_to_pb(request: med.RefundRequest) -> pb.CreateRefundRequest:
    return pb.CreateRefundRequest(
        transaction_id=request.transaction_id,
        refund_reason=request.reason,
        refund_amount=format_amount(request.amount),
        refund_details=request.details,
    )


def refund_request_from_pb(message: pb.CreateRefundRequest) -> med.RefundRequest:
    """A request's amount that is no two-place decimal is the client's RefundInvalid."""
    return med.RefundRequest(
        transaction_id=message.transaction_id,
        reason=message.refund_reason,
        amount=amount_from_text(message.refund_amount, RefundInvalid),
        details=message.refund_details,
    )


def refund_close_to_pb(refund_id: uuid.UUID, close: med.RefundClose) -> pb.CloseRefundRequest:
    return pb.CloseRefundRequest(
        refund_id=str(refund_id),
        refund_analysis_result=close.result,
        refund_analysis_details=close.details,
        refund_rejection_reason=close.rejection_reason,
        refund_transaction_id=close.refund_transaction_id,
    )


def refund_close_from_pb(message: pb.CloseRefundRequest) -> med.RefundClose:
    return med.RefundClose(
        result=message.refund_analysis_result,
        refund_transaction_id=message.refund_transaction_id,
        rejection_reason=message.refund_rejection_reason,
        details=message.refund_analysis_details,
    )


def window_to_pb(modified_after: datetime | None, modified_before: datetime | None) -> dict:
    """The inclusive LastModified window of a list request, as its two optional fields."""
    return {"modified_after": to_timestamp(modified_after), "modified_before": to_timestamp(modified_before)}


def window_from_pb(message) -> tuple[datetime | None, datetime | None]:
    """A list's LastModified window; a timestamp no datetime can hold is the caller's BadRequest."""
    window = []
    for field in ("modified_after", "modified_before"):
        try:
            window.append(from_timestamp(getattr(message, field), message.HasField(field)))
        except (ValueError, OverflowError):
            raise BadRequest.on_field(field, f"{field} is out of range.") from None
    return window[0], window[1]
