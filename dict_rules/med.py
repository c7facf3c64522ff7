"""MED in DICT's vocabulary (DICT_RULES §8, §6 statistics): infraction reports, fraud markers,
refunds and the anti-fraud statistics, as plain values and constants.

Used on both sides of the wire: the PSP's Connect port (connect.ports.DirectoryClient) takes and
returns them, and the simulated directory (dictsim) serves them. Enum values are DICT's own names.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

# Infraction reports (DICT_RULES §8; SPEC tag "InfractionReport").
INFRACTION_REASONS = ("REFUND_REQUEST", "REFUND_CANCELLED")
SITUATION_TYPES = ("SCAM", "ACCOUNT_TAKEOVER", "COERCION", "FRAUDULENT_ACCESS", "OTHER", "UNKNOWN")
REPORT_STATUSES = ("OPEN", "ACKNOWLEDGED", "CLOSED", "CANCELLED")
ANALYSIS_RESULTS = ("AGREED", "DISAGREED")
FRAUD_TYPES = ("APPLICATION_FRAUD", "MULE_ACCOUNT", "SCAMMER_ACCOUNT", "OTHER", "UNKNOWN")
MARKABLE_FRAUD_TYPES = FRAUD_TYPES[:-1]  # UNKNOWN only describes v1 reports' markers: never sent
FRAUD_MARKER_STATUSES = ("REGISTERED", "CANCELLED")

# Refunds (DICT_RULES §8; SPEC tag "Refund").
REFUND_REASONS = ("FRAUD", "OPERATIONAL_FLAW", "REFUND_CANCELLED", "PIX_AUTOMATICO")
REFUND_STATUSES = ("OPEN", "CLOSED", "CANCELLED")
REFUND_RESULTS = ("TOTALLY_ACCEPTED", "PARTIALLY_ACCEPTED", "REJECTED")
REFUND_REJECTION_REASONS = ("NO_BALANCE", "ACCOUNT_CLOSURE", "INVALID_REQUEST", "OTHER")
REFUND_ROLES = ("REQUESTING", "CONTESTED")  # ListRefunds' ParticipantRole

# Deadlines [MAN §10.1, §17].
REPORT_MAX_TRANSACTION_AGE = timedelta(days=80)  # a report about an older transaction is refused
REPORT_ANALYSIS_PERIOD = timedelta(days=7)  # the counterparty closes within this of the report's creation
REFUND_AFTER_AGREED_PERIOD = timedelta(hours=72)  # a FRAUD refund is opened within this of the AGREED close
REFUND_MAX_TRANSACTION_AGE = timedelta(days=90)  # refunds (and further partial refunds) up to this age
REPORT_DETAILS_MAX = 2000
REFUND_DETAILS_MAX = 2000


@dataclass(frozen=True)
class ContactInformation:
    email: str
    phone: str


@dataclass(frozen=True)
class InfractionReportRequest:
    """createInfractionReport's InfractionReport: what the creating participant says."""

    transaction_id: str  # the EndToEndId (or, for REFUND_CANCELLED, the refund's RtrId)
    reason: str  # INFRACTION_REASONS
    situation_type: str  # SITUATION_TYPES; OTHER needs report_details; REFUND_CANCELLED uses OTHER
    contact: ContactInformation
    report_details: str = ""


@dataclass(frozen=True)
class InfractionReport:
    """DICT's ExtendedInfractionReport."""

    id: uuid.UUID
    transaction_id: str
    reason: str
    situation_type: str
    contact: ContactInformation
    report_details: str
    status: str  # REPORT_STATUSES
    reporter_participant: str
    counterparty_participant: str
    created_at: datetime
    last_modified: datetime
    analysis_result: str = ""  # ANALYSIS_RESULTS, once CLOSED
    analysis_details: str = ""
    fraud_type: str = ""  # FRAUD_TYPES, on an AGREED close
    fraud_marker_id: uuid.UUID | None = None  # the marker an AGREED close created


@dataclass(frozen=True)
class InfractionReportPage:
    reports: list[InfractionReport]
    has_more: bool


@dataclass(frozen=True)
class FraudMarkerRequest:
    """createFraudMarker: a participant marks its own customer; idempotent by request_id."""

    tax_id: str
    fraud_type: str  # FRAUD_TYPES except UNKNOWN
    request_id: uuid.UUID
    key: str = ""  # the key, when known


@dataclass(frozen=True)
class FraudMarker:
    """DICT's ExtendedFraudMarker."""

    id: uuid.UUID
    tax_id: str
    key: str
    fraud_type: str
    status: str  # FRAUD_MARKER_STATUSES
    participant: str  # who created it (for an AGREED close: the counterparty that closed)
    created_at: datetime
    last_modified: datetime
    infraction_report_id: uuid.UUID | None = None


@dataclass(frozen=True)
class FraudMarkerPage:
    markers: list[FraudMarker]
    has_more: bool


@dataclass(frozen=True)
class RefundRequest:
    """createRefund's Refund: only the debited (payer's) participant creates one."""

    transaction_id: str
    reason: str  # REFUND_REASONS
    amount: Decimal  # two decimal places, > 0 and at most the transaction's amount
    details: str = ""  # required for OPERATIONAL_FLAW


@dataclass(frozen=True)
class Refund:
    """DICT's ExtendedRefund."""

    id: uuid.UUID
    transaction_id: str
    reason: str
    amount: Decimal
    details: str
    status: str  # REFUND_STATUSES
    requesting_participant: str
    contested_participant: str
    created_at: datetime
    last_modified: datetime
    infraction_report_id: uuid.UUID | None = None  # for FRAUD: the AGREED report it rests on
    analysis_result: str = ""  # REFUND_RESULTS, once CLOSED
    analysis_details: str = ""
    rejection_reason: str = ""  # REFUND_REJECTION_REASONS, when REJECTED
    refund_transaction_id: str = ""  # the pacs.004 (or pacs.008) that returned the money


@dataclass(frozen=True)
class RefundPage:
    refunds: list[Refund]
    has_more: bool


@dataclass(frozen=True)
class RefundClose:
    """closeRefund's answer from the contested participant."""

    result: str  # REFUND_RESULTS
    refund_transaction_id: str = ""  # required when accepted
    rejection_reason: str = ""  # required when REJECTED; INVALID_REQUEST only for OPERATIONAL_FLAW
    details: str = ""  # required when REJECTED with INVALID_REQUEST


@dataclass(frozen=True)
class WindowedValue:
    """A counter over DICT's three windows: d90 (the last 89 days and today), m12 and m60 (full months)."""

    d90: int = 0
    m12: int = 0
    m60: int = 0


@dataclass(frozen=True)
class Statistics:
    """KeyStatistics or PersonStatistics, flattened: one watermark (the simulated data does not lag).

    ``accounts`` is DistinctAccounts for a key and RegisteredAccounts for a person.
    """

    watermark: datetime
    settlements: WindowedValue
    application_frauds: WindowedValue
    mule_accounts: WindowedValue
    scammer_accounts: WindowedValue
    other_frauds: WindowedValue
    unknown_frauds: WindowedValue
    total_fraud_transaction_amount: WindowedValue
    distinct_fraud_reporters: WindowedValue
    open_reports: int
    open_reports_distinct_reporters: int
    rejected_reports: WindowedValue
    accounts: WindowedValue


@dataclass(frozen=True)
class EntryStatistics:
    """A lookup's statistics (getEntry with IncludeStatistics=true): the key's and its owner's."""

    key: Statistics
    owner: Statistics
