"""DICT's MED rules as pure functions (DICT_RULES §8, §6 statistics): what a report, marker or refund
must hold, who may act on it, from which status, and until when.

Both sides use them: the simulated directory (dictsim) enforces them, and the PSP may check a
request before it leaves. Each check raises the DICT error named in the spec's table. Where the
text is unclear we took the stricter reading, and say so in the function's docstring.
"""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from zoneinfo import ZoneInfo

from dict_rules import med
from dict_rules.errors import (
    DomainError,
    Forbidden,
    FraudMarkerInvalid,
    InfractionReportInvalid,
    InfractionReportOperationInvalid,
    InfractionReportPeriodExpired,
    InfractionReportTransactionNotSettled,
    RefundInfractionReportNotFound,
    RefundInvalid,
    RefundOperationInvalid,
    RefundPeriodExpired,
    RefundTransactionNotSettled,
    TransactionNotRefundable,
)

# [SPEC schemas `Email`, `Phone`, `Refund.TransactionId` and `RefundTransactionId`]
CONTACT_EMAIL_RE = re.compile(
    r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)
CONTACT_PHONE_RE = re.compile(r"^\+[0-9]{2,15}$")  # ASCII digits only: \d would take any script's
TRANSACTION_ID_RE = re.compile(r"^\w{32}$", re.ASCII)  # an EndToEndId, RtrId or RefundTransactionId
AMOUNT_RE = re.compile(r"^[0-9]{1,15}\.[0-9]{2}$")  # the wire's decimal: "100.00"
MAX_AMOUNT = Decimal(10) ** 15  # AMOUNT_RE's 15 integer digits
STATISTICS_TZ = ZoneInfo("America/Sao_Paulo")

# The SPI's two kinds of settled transaction the directory's MED deals with.
PAYMENT, REFUND = "PAYMENT", "REFUND"  # pacs.008, pacs.004
OPEN_REPORT_STATUSES = ("OPEN", "ACKNOWLEDGED")


class Party(StrEnum):
    """The caller's part in a report (REPORTER / COUNTERPARTY) or refund (REQUESTING / CONTESTED)."""

    REPORTER = "REPORTER"
    COUNTERPARTY = "COUNTERPARTY"
    REQUESTING = "REQUESTING"
    CONTESTED = "CONTESTED"


def _require(party: Party, expected: Party, what: str) -> None:
    """A party of the record acting in the other party's place is Forbidden (the spec's 403)."""
    if party is not expected:
        raise Forbidden(f"only the {expected.lower()} participant may {what}.")


def parse_amount(text: str) -> Decimal | None:
    """A wire amount ("100.00") as a Decimal; None when it is not one."""
    if not AMOUNT_RE.fullmatch(text or ""):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return None


def amount_from_text(text: str, error_cls: type[DomainError], field: str = "amount") -> Decimal:
    """A wire amount every edge reads the same way; anything else is ``error_cls`` on ``field``."""
    amount = parse_amount(text)
    if amount is None:
        raise error_cls.on_field(field, f'{field} is a decimal with two places, such as "150.00".')
    check_amount(amount, error_cls, field)
    return amount


def format_amount(amount: Decimal) -> str:
    return f"{amount:.2f}"


def check_amount(amount: Decimal, error_cls: type[DomainError], field: str = "amount") -> None:
    """Positive, below the wire's 15 integer digits (what the columns hold), at most two decimal places."""
    if not amount.is_finite() or not 0 < amount < MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise error_cls.on_field(field, "the amount must be positive with at most two decimal places.")


# Infraction reports ---------------------------------------------------------------------------


def validate_contact(contact: med.ContactInformation) -> None:
    """Both e-mail and phone are required [SPEC `ContactInformation`] and must match the spec's patterns."""
    if not CONTACT_EMAIL_RE.fullmatch(contact.email or "") or len(contact.email) > 77:
        raise InfractionReportInvalid.on_field("contact.email", "a valid contact e-mail is required.")
    if not CONTACT_PHONE_RE.fullmatch(contact.phone or ""):
        raise InfractionReportInvalid.on_field(
            "contact.phone", "a contact phone in E.164 (+5561988887777) is required."
        )


def validate_report_details(*, reason: str, situation_type: str, report_details: str) -> None:
    """SituationType is one DICT accepts today (UNKNOWN marks only v1 reports, so a client may not send
    it); OTHER needs ReportDetails; REFUND_CANCELLED always uses OTHER; details at most 2000."""
    if situation_type not in med.SITUATION_TYPES or situation_type == "UNKNOWN":
        raise InfractionReportInvalid.on_field("situation_type", "unknown situation type.")
    if reason == "REFUND_CANCELLED" and situation_type != "OTHER":
        raise InfractionReportInvalid.on_field("situation_type", "a REFUND_CANCELLED report uses OTHER.")
    if situation_type == "OTHER" and not report_details.strip():
        raise InfractionReportInvalid.on_field("report_details", "SituationType OTHER requires ReportDetails.")
    if len(report_details) > med.REPORT_DETAILS_MAX:
        raise InfractionReportInvalid.on_field("report_details", f"at most {med.REPORT_DETAILS_MAX} characters.")


def validate_report_request(request: med.InfractionReportRequest) -> None:
    if not TRANSACTION_ID_RE.fullmatch(request.transaction_id or ""):
        raise InfractionReportInvalid.on_field("transaction_id", "a TransactionId is 32 letters or digits.")
    if request.reason not in med.INFRACTION_REASONS:
        raise InfractionReportInvalid.on_field("reason", "unknown reason.")
    validate_report_details(
        reason=request.reason, situation_type=request.situation_type, report_details=request.report_details
    )
    validate_contact(request.contact)


def report_transaction_kind(reason: str) -> str:
    """REFUND_REQUEST is about a payment (pacs.008), REFUND_CANCELLED about a refund (pacs.004)."""
    return REFUND if reason == "REFUND_CANCELLED" else PAYMENT


def check_report_transaction(*, reason: str, kind: str, settled: bool, settled_at: datetime, now: datetime) -> None:
    """The transaction suits the reason, was settled, and is at most 80 days old [MAN §10.1].

    The age counts from the settlement to the directory's now, to the second (the stricter reading
    of "80 days"; no calendar rounding)."""
    if kind != report_transaction_kind(reason):
        raise InfractionReportInvalid.on_field("transaction_id", f"a {reason} report is about a {kind.lower()}.")
    if not settled:
        raise InfractionReportTransactionNotSettled()
    if now - settled_at > med.REPORT_MAX_TRANSACTION_AGE:
        raise InfractionReportPeriodExpired()


def check_report_update(*, status: str, party: Party) -> None:
    """The creator edits SituationType, contact and details while OPEN or ACKNOWLEDGED."""
    _require(party, Party.REPORTER, "update the report")
    if status not in OPEN_REPORT_STATUSES:
        raise InfractionReportOperationInvalid("only an OPEN or ACKNOWLEDGED report can be updated.")


def check_report_acknowledge(*, status: str, party: Party) -> bool:
    """The counterparty, OPEN -> ACKNOWLEDGED; False for a repeat (the spec's idempotency)."""
    _require(party, Party.COUNTERPARTY, "acknowledge the report")
    if status == "ACKNOWLEDGED":
        return False
    if status != "OPEN":
        raise InfractionReportOperationInvalid("only an OPEN report can be acknowledged.")
    return True


def check_report_cancel(*, status: str, party: Party) -> bool:
    """The creator, from any status, CLOSED included; False for a repeat."""
    _require(party, Party.REPORTER, "cancel the report")
    return status != "CANCELLED"


def check_report_close(
    *,
    status: str,
    party: Party,
    analysis_result: str,
    fraud_type: str,
    analysis_details: str,
    closed_with: tuple[str, str, str] | None,
) -> bool:
    """The counterparty closes an ACKNOWLEDGED report; AGREED needs a FraudType other than UNKNOWN.

    ``closed_with`` is (result, fraud type, details) of an earlier close: the same again is a repeat
    (False), anything else OperationInvalid. A DISAGREED close takes no FraudType (stricter: one
    sent is refused rather than dropped). The 7-day analysis period is the counterparty's duty and
    the spec names no refusal for a late close, so a late close is accepted."""
    _require(party, Party.COUNTERPARTY, "close the report")
    if analysis_result not in med.ANALYSIS_RESULTS:
        raise InfractionReportInvalid.on_field("analysis_result", "AGREED or DISAGREED.")
    if analysis_result == "AGREED" and fraud_type not in med.MARKABLE_FRAUD_TYPES:
        raise InfractionReportInvalid.on_field("fraud_type", "an AGREED close needs a FraudType other than UNKNOWN.")
    if analysis_result == "DISAGREED" and fraud_type:
        raise InfractionReportInvalid.on_field("fraud_type", "a DISAGREED close takes no FraudType.")
    if len(analysis_details) > med.REPORT_DETAILS_MAX:
        raise InfractionReportInvalid.on_field("analysis_details", f"at most {med.REPORT_DETAILS_MAX} characters.")
    if status == "CLOSED" and closed_with == (analysis_result, fraud_type, analysis_details):
        return False
    if status != "ACKNOWLEDGED":
        raise InfractionReportOperationInvalid("only an ACKNOWLEDGED report can be closed.")
    return True


# Fraud markers --------------------------------------------------------------------------------


def validate_fraud_marker(request: med.FraudMarkerRequest) -> None:
    if request.fraud_type not in med.MARKABLE_FRAUD_TYPES:
        raise FraudMarkerInvalid.on_field("fraud_type", "a FraudType other than UNKNOWN is required.")


def check_marker_cancel(*, status: str, is_creator: bool) -> bool:
    """The creator (for a report's marker: the participant that closed it); False for a repeat."""
    if not is_creator:
        raise Forbidden("only the participant that created the fraud marker may cancel it.")
    return status != "CANCELLED"


# Refunds --------------------------------------------------------------------------------------


def validate_refund_request(request: med.RefundRequest) -> None:
    if not TRANSACTION_ID_RE.fullmatch(request.transaction_id or ""):
        raise RefundInvalid.on_field("transaction_id", "a TransactionId is 32 letters or digits.")
    if request.reason not in med.REFUND_REASONS:
        raise RefundInvalid.on_field("reason", "unknown refund reason.")
    check_amount(request.amount, RefundInvalid)
    if len(request.details) > med.REFUND_DETAILS_MAX:
        raise RefundInvalid.on_field("details", f"at most {med.REFUND_DETAILS_MAX} characters.")
    if request.reason == "OPERATIONAL_FLAW" and not request.details.strip():
        raise RefundInvalid.on_field("details", "an OPERATIONAL_FLAW refund requires RefundDetails.")


def check_refund_transaction(*, reason: str, kind: str, settled: bool, settled_at: datetime, now: datetime) -> None:
    """The transaction was settled, suits the reason and is at most 90 days old [MAN §17].

    REFUND_CANCELLED returns a refund (pacs.004); FRAUD and OPERATIONAL_FLAW a payment. Pix
    Automático's transactions are not in the simulated ledger, so PIX_AUTOMATICO is refused as
    TransactionNotRefundable (the stricter reading: nothing is refunded we cannot check)."""
    if not settled:
        raise RefundTransactionNotSettled()
    expected = REFUND if reason == "REFUND_CANCELLED" else PAYMENT
    if reason == "PIX_AUTOMATICO" or kind != expected:
        raise TransactionNotRefundable(f"a {reason} refund does not apply to this transaction.")
    if now - settled_at > med.REFUND_MAX_TRANSACTION_AGE:
        raise RefundPeriodExpired("refunds are requested up to 90 days after the transaction.")


def check_refund_basis(*, reason: str, agreed_closed_at: datetime | None, follow_up: bool, now: datetime) -> None:
    """FRAUD and REFUND_CANCELLED rest on an AGREED-closed report of the same reason on the transaction.

    A FRAUD refund is requested within 72 h of that close [MAN §10.1]; a follow-up (an earlier
    refund of the transaction was closed partially or rejected) may come until the 90 days of
    check_refund_transaction [MAN §17]. Whether the 72 h bind REFUND_CANCELLED is unstated: we
    apply them to FRAUD only, as the manual words it."""
    if reason not in ("FRAUD", "REFUND_CANCELLED"):
        return
    if agreed_closed_at is None:
        raise RefundInfractionReportNotFound()
    if reason == "FRAUD" and not follow_up and now - agreed_closed_at > med.REFUND_AFTER_AGREED_PERIOD:
        raise RefundPeriodExpired("a FRAUD refund is requested within 72 hours of the agreed close.")


def check_refund_amount(*, amount: Decimal, transaction_amount: Decimal, refunded: Decimal) -> None:
    """At most what is left of the transaction after the refunds already settled."""
    if amount > transaction_amount - refunded:
        raise RefundInvalid.on_field("amount", "the amount exceeds what is left to refund of the transaction.")


def check_refund_cancel(*, status: str, party: Party) -> bool:
    """The requester, while OPEN (never after the close); False for a repeat."""
    _require(party, Party.REQUESTING, "cancel the refund")
    if status == "CANCELLED":
        return False
    if status != "OPEN":
        raise RefundOperationInvalid("a closed refund request cannot be cancelled.")
    return True


def check_refund_close(
    *, reason: str, status: str, party: Party, close: med.RefundClose, closed_with: med.RefundClose | None
) -> bool:
    """The contested participant, while OPEN; False for a repeat with the same parameters.

    Accepted closes need a RefundTransactionId and take no rejection reason; REJECTED needs a
    reason, INVALID_REQUEST only for OPERATIONAL_FLAW and then with details."""
    _require(party, Party.CONTESTED, "close the refund")
    if close.result not in med.REFUND_RESULTS:
        raise RefundInvalid.on_field("result", "TOTALLY_ACCEPTED, PARTIALLY_ACCEPTED or REJECTED.")
    if len(close.details) > med.REFUND_DETAILS_MAX:
        raise RefundInvalid.on_field("details", f"at most {med.REFUND_DETAILS_MAX} characters.")
    if close.result == "REJECTED":
        if close.rejection_reason not in med.REFUND_REJECTION_REASONS:
            raise RefundInvalid.on_field("rejection_reason", "a rejection needs a RefundRejectionReason.")
        if close.rejection_reason == "INVALID_REQUEST" and reason != "OPERATIONAL_FLAW":
            raise RefundInvalid.on_field("rejection_reason", "INVALID_REQUEST is only for OPERATIONAL_FLAW.")
        if close.rejection_reason == "INVALID_REQUEST" and not close.details.strip():
            raise RefundInvalid.on_field("details", "an INVALID_REQUEST rejection requires details.")
        if close.refund_transaction_id:
            raise RefundInvalid.on_field("refund_transaction_id", "a rejection returns no money.")
    else:
        if not TRANSACTION_ID_RE.fullmatch(close.refund_transaction_id or ""):
            raise RefundInvalid.on_field(
                "refund_transaction_id", "an accepted refund names its 32-character transaction."
            )
        if close.rejection_reason:
            raise RefundInvalid.on_field("rejection_reason", "only a rejection has a reason.")
    if status == "CLOSED" and closed_with == close:
        return False
    if status != "OPEN":
        raise RefundOperationInvalid("only an OPEN refund request can be closed.")
    return True


# Statistics -----------------------------------------------------------------------------------


def window_bounds(now: datetime) -> tuple[tuple[datetime, datetime | None], ...]:
    """Where d90, m12 and m60 begin and end (None: open up to now), on Brasília's calendar (the
    boundaries are UNCERTAIN in the spec; stricter reading: whole days and whole months). d90 is today
    and the 89 days before (DICT_RULES §6: "the last 90 days"); m12 and m60 are "the last 12 (60) full
    months": the 12 (60) months before the current one, which is partial and so not counted."""
    local = now.astimezone(STATISTICS_TZ)
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month = today.replace(day=1)

    def months_back(count: int) -> datetime:
        index = month.year * 12 + month.month - 1 - count
        return month.replace(year=index // 12, month=index % 12 + 1)

    this_month = month.astimezone(UTC)
    return (
        ((today - timedelta(days=89)).astimezone(UTC), None),
        (months_back(12).astimezone(UTC), this_month),
        (months_back(60).astimezone(UTC), this_month),
    )


def whole_reais(amount: Decimal | None) -> int:
    """DICT truncates amounts in statistics to whole reais."""
    return int(amount or 0)
