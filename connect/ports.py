"""What Core DICT asks of the directory, independent of how it is reached: the DirectoryClient
protocol, in DICT's vocabulary (the value types of dict_rules.directory).

Adapters raise the DomainError subclasses of dict_rules.errors named after DICT's error
types (EntryKeyOwnedByDifferentPerson, ...) for a refusal, and ServiceUnavailable when the
directory cannot be reached, so callers can tell "no" from "try again". DirectoryNotAsked, a
ServiceUnavailable, says the request never left this process (breaker open, bulkhead full): the
directory knows nothing of it, so a caller may undo what it reserved for the call.
"""

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from dict_rules.directory import (
    BankAccount,
    ClaimPage,
    ClaimRequest,
    CompletedClaim,
    DirectoryClaim,
    DirectoryEntry,
    EntryByCid,
    EntryRequest,
    Owner,
)
from dict_rules.errors import ServiceUnavailable
from dict_rules.med import (
    ContactInformation,
    FraudMarker,
    FraudMarkerPage,
    FraudMarkerRequest,
    InfractionReport,
    InfractionReportPage,
    InfractionReportRequest,
    Refund,
    RefundClose,
    RefundPage,
    RefundRequest,
)


class DirectoryNotAsked(ServiceUnavailable):
    """The call was refused before it left this process: the directory never saw it."""


class DirectoryClient(Protocol):
    def create_entry(self, request: EntryRequest) -> DirectoryEntry: ...

    def get_entry(
        self, *, key: str, payer_id: str, end_to_end_id: str, include_statistics: bool = False
    ) -> DirectoryEntry:
        """The entry; with ``include_statistics``, its ``statistics`` too (for the PSP's risk engine only)."""
        ...

    def update_entry(self, *, key: str, account: BankAccount, owner: Owner, reason: str) -> DirectoryEntry: ...

    def delete_entry(self, *, key: str, reason: str) -> None: ...

    def check_sync(self, *, key_type: str, verifier: str) -> tuple[bool, str]:
        """Whether the directory's VSync for our keys of this type equals ours; and its value."""
        ...

    def list_cids(self, *, key_type: str) -> Iterator[str]: ...

    def get_entry_by_cid(self, cid: str) -> EntryByCid:
        """One of our active entries by its CID, with the RequestId that made it (NotFound if none)."""
        ...

    def health(self) -> datetime:
        """The directory's clock; raises ServiceUnavailable when it cannot be reached."""
        ...

    def create_claim(self, request: ClaimRequest) -> DirectoryClaim: ...

    def get_claim(self, claim_id: uuid.UUID) -> DirectoryClaim: ...

    def list_claims(
        self,
        *,
        as_donor: bool,
        as_claimer: bool,
        modified_after: datetime | None = None,
        modified_before: datetime | None = None,
        statuses: tuple[str, ...] = (),
        claim_type: str = "",
        limit: int = 200,
    ) -> ClaimPage:
        """Claims where we are donor and/or claimer, oldest LastModified first (inclusive window)."""
        ...

    def acknowledge_claim(self, claim_id: uuid.UUID) -> DirectoryClaim: ...

    def confirm_claim(self, claim_id: uuid.UUID, *, reason: str) -> DirectoryClaim: ...

    def cancel_claim(self, claim_id: uuid.UUID, *, reason: str) -> DirectoryClaim: ...

    def complete_claim(self, claim_id: uuid.UUID, *, request_id: uuid.UUID) -> CompletedClaim: ...

    # MED (DICT_RULES §8). Reports and refunds are listed where we are either party; markers by
    # tax id or key. Refusals are the MED DomainErrors of dict_rules.errors (InfractionReport*, Refund*).
    def create_infraction_report(self, request: InfractionReportRequest) -> InfractionReport: ...

    def get_infraction_report(self, report_id: uuid.UUID) -> InfractionReport: ...

    def list_infraction_reports(
        self,
        *,
        as_reporter: bool,
        as_counterparty: bool,
        statuses: tuple[str, ...] = (),
        modified_after: datetime | None = None,
        modified_before: datetime | None = None,
        limit: int = 200,
    ) -> InfractionReportPage:
        """Reports where we are reporter and/or counterparty, oldest LastModified first (inclusive window)."""
        ...

    def update_infraction_report(
        self, report_id: uuid.UUID, *, situation_type: str, report_details: str, contact: ContactInformation
    ) -> InfractionReport: ...

    def acknowledge_infraction_report(self, report_id: uuid.UUID) -> InfractionReport: ...

    def cancel_infraction_report(self, report_id: uuid.UUID) -> InfractionReport: ...

    def close_infraction_report(
        self, report_id: uuid.UUID, *, analysis_result: str, fraud_type: str = "", analysis_details: str = ""
    ) -> InfractionReport: ...

    def create_fraud_marker(self, request: FraudMarkerRequest) -> FraudMarker: ...

    def get_fraud_marker(self, marker_id: uuid.UUID) -> FraudMarker: ...

    def list_fraud_markers(
        self, *, tax_id: str = "", key: str = "", page: int = 1, per_page: int = 20
    ) -> FraudMarkerPage: ...

    def cancel_fraud_marker(self, marker_id: uuid.UUID) -> FraudMarker: ...

    def create_refund(self, request: RefundRequest) -> Refund: ...

    def get_refund(self, refund_id: uuid.UUID) -> Refund: ...

    def list_refunds(
        self,
        *,
        role: str = "",
        statuses: tuple[str, ...] = (),
        modified_after: datetime | None = None,
        modified_before: datetime | None = None,
        limit: int = 200,
    ) -> RefundPage:
        """Refunds where we are REQUESTING or CONTESTED (empty role: both), oldest LastModified first."""
        ...

    def cancel_refund(self, refund_id: uuid.UUID) -> Refund: ...

    def close_refund(self, refund_id: uuid.UUID, *, close: RefundClose) -> Refund: ...
