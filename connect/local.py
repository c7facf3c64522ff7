"""The embedded directory: the simulated DICT (dictsim) called in-process, on this database.

A real implementation, not a mock: the same services `run_dictsim` serves over gRPC.
"""

import uuid
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

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
from dictsim import bcb, claims, clock, fraud_markers, infractions, refunds, services, spi


class LocalDirectoryClient:
    def __init__(self, *, participant: str) -> None:
        self._participant = participant

    def create_entry(self, request: EntryRequest) -> DirectoryEntry:
        return services.entry_create(participant=self._participant, request=request)

    def get_entry(
        self, *, key: str, payer_id: str, end_to_end_id: str, include_statistics: bool = False
    ) -> DirectoryEntry:
        return services.entry_get(
            participant=self._participant,
            key=key,
            payer_id=payer_id,
            end_to_end_id=end_to_end_id,
            include_statistics=include_statistics,
        )

    def update_entry(self, *, key: str, account: BankAccount, owner: Owner, reason: str) -> DirectoryEntry:
        return services.entry_update(
            participant=self._participant, key=key, account=account, owner=owner, reason=reason
        )

    def delete_entry(self, *, key: str, reason: str) -> None:
        services.entry_delete(participant=self._participant, key=key, reason=reason)

    def check_sync(self, *, key_type: str, verifier: str) -> tuple[bool, str]:
        return services.sync_verify(participant=self._participant, key_type=key_type, verifier=verifier)

    def list_cids(self, *, key_type: str) -> Iterator[str]:
        return services.cid_iter(participant=self._participant, key_type=key_type)

    def get_entry_by_cid(self, cid: str) -> EntryByCid:
        return services.entry_by_cid(participant=self._participant, cid=cid)

    def health(self) -> datetime:
        return clock.now()

    def create_claim(self, request: ClaimRequest) -> DirectoryClaim:
        return claims.claim_create(participant=self._participant, request=request)

    def get_claim(self, claim_id: uuid.UUID) -> DirectoryClaim:
        return claims.claim_get(participant=self._participant, claim_id=claim_id)

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
        return claims.claim_list(
            participant=self._participant,
            as_donor=as_donor,
            as_claimer=as_claimer,
            statuses=statuses,
            claim_type=claim_type,
            modified_after=modified_after,
            modified_before=modified_before,
            limit=limit,
        )

    def acknowledge_claim(self, claim_id: uuid.UUID) -> DirectoryClaim:
        return claims.claim_acknowledge(participant=self._participant, claim_id=claim_id)

    def confirm_claim(self, claim_id: uuid.UUID, *, reason: str) -> DirectoryClaim:
        return claims.claim_confirm(participant=self._participant, claim_id=claim_id, reason=reason)

    def cancel_claim(self, claim_id: uuid.UUID, *, reason: str) -> DirectoryClaim:
        return claims.claim_cancel(participant=self._participant, claim_id=claim_id, reason=reason)

    def complete_claim(self, claim_id: uuid.UUID, *, request_id: uuid.UUID) -> CompletedClaim:
        return claims.claim_complete(participant=self._participant, claim_id=claim_id, request_id=request_id)

    def create_infraction_report(self, request: InfractionReportRequest) -> InfractionReport:
        return infractions.report_create(participant=self._participant, request=request)

    def get_infraction_report(self, report_id: uuid.UUID) -> InfractionReport:
        return infractions.report_get(participant=self._participant, report_id=report_id)

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
        return infractions.report_list(
            participant=self._participant,
            as_reporter=as_reporter,
            as_counterparty=as_counterparty,
            statuses=statuses,
            modified_after=modified_after,
            modified_before=modified_before,
            limit=limit,
        )

    def update_infraction_report(
        self, report_id: uuid.UUID, *, situation_type: str, report_details: str, contact: ContactInformation
    ) -> InfractionReport:
        return infractions.report_update(
            participant=self._participant,
            report_id=report_id,
            situation_type=situation_type,
            report_details=report_details,
            contact=contact,
        )

    def acknowledge_infraction_report(self, report_id: uuid.UUID) -> InfractionReport:
        return infractions.report_acknowledge(participant=self._participant, report_id=report_id)

    def cancel_infraction_report(self, report_id: uuid.UUID) -> InfractionReport:
        return infractions.report_cancel(participant=self._participant, report_id=report_id)

    def close_infraction_report(
        self, report_id: uuid.UUID, *, analysis_result: str, fraud_type: str = "", analysis_details: str = ""
    ) -> InfractionReport:
        return infractions.report_close(
            participant=self._participant,
            report_id=report_id,
            analysis_result=analysis_result,
            fraud_type=fraud_type,
            analysis_details=analysis_details,
        )

    def create_fraud_marker(self, request: FraudMarkerRequest) -> FraudMarker:
        return fraud_markers.marker_create(participant=self._participant, request=request)

    def get_fraud_marker(self, marker_id: uuid.UUID) -> FraudMarker:
        return fraud_markers.marker_get(participant=self._participant, marker_id=marker_id)

    def list_fraud_markers(
        self, *, tax_id: str = "", key: str = "", page: int = 1, per_page: int = 20
    ) -> FraudMarkerPage:
        return fraud_markers.marker_list(
            participant=self._participant, tax_id=tax_id, key=key, page=page, per_page=per_page
        )

    def cancel_fraud_marker(self, marker_id: uuid.UUID) -> FraudMarker:
        return fraud_markers.marker_cancel(participant=self._participant, marker_id=marker_id)

    def create_refund(self, request: RefundRequest) -> Refund:
        return refunds.refund_create(participant=self._participant, request=request)

    def get_refund(self, refund_id: uuid.UUID) -> Refund:
        return refunds.refund_get(participant=self._participant, refund_id=refund_id)

    def list_refunds(
        self,
        *,
        role: str = "",
        statuses: tuple[str, ...] = (),
        modified_after: datetime | None = None,
        modified_before: datetime | None = None,
        limit: int = 200,
    ) -> RefundPage:
        return refunds.refund_list(
            participant=self._participant,
            role=role,
            statuses=statuses,
            modified_after=modified_after,
            modified_before=modified_before,
            limit=limit,
        )

    def cancel_refund(self, refund_id: uuid.UUID) -> Refund:
        return refunds.refund_cancel(participant=self._participant, refund_id=refund_id)

    def close_refund(self, refund_id: uuid.UUID, *, close: RefundClose) -> Refund:
        return refunds.refund_close(participant=self._participant, refund_id=refund_id, close=close)


class LocalDirectorySimulator:
    """The simulator port (connect.simulator) on the embedded directory: BCB's moves, in-process,
    asked by ``participant`` (the caller, whose own keys are never seeded)."""

    def __init__(self, *, participant: str) -> None:
        self._participant = participant

    def now(self) -> datetime:
        return clock.now()

    def seed_entries(self, *, participant: str, count: int, start: int = 0) -> list[str]:
        return bcb.seed_participant(caller=self._participant, participant=participant, count=count, start=start)

    def tamper(self, *, participant: str, key_type: str, changes: int, inserts: int) -> list[str]:
        return bcb.tamper_type(participant=participant, key_type=key_type, changes=changes, inserts=inserts)

    def settle(
        self,
        *,
        end_to_end_id: str,
        payer_participant: str,
        payer_tax_id: str,
        receiver_key: str,
        amount: Decimal,
        ago_seconds: int = 0,
    ) -> None:
        spi.settle(
            end_to_end_id=end_to_end_id,
            payer_participant=payer_participant,
            payer_tax_id=payer_tax_id,
            receiver_key=receiver_key,
            amount=amount,
            settled_at=spi.settled_ago(ago_seconds),
        )
