"""The embedded directory: the simulated DICT (dictsim) called in-process, on this database.

A real implementation, not a mock: the same services `run_dictsim` serves over gRPC.
"""

import uuid
from collections.abc import Iterator
from datetime import datetime

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
from dictsim import claims, clock, services


class LocalDirectoryClient:
    def __init__(self, *, participant: str) -> None:
        self._participant = participant

    def create_entry(self, request: EntryRequest) -> DirectoryEntry:
        return services.entry_create(participant=self._participant, request=request)

    def get_entry(self, *, key: str, payer_id: str, end_to_end_id: str) -> DirectoryEntry:
        return services.entry_get(
            participant=self._participant, key=key, payer_id=payer_id, end_to_end_id=end_to_end_id
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
