"""What Core DICT asks of the directory, in DICT's vocabulary, independent of how it is reached.

Adapters raise the DomainError subclasses of dict_rules.errors named after DICT's error
types (EntryKeyOwnedByDifferentPerson, ...) for a refusal, and ServiceUnavailable when the
directory cannot be reached, so callers can tell "no" from "try again".
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Owner:
    person_type: str
    tax_id: str
    name: str
    trade_name: str


@dataclass(frozen=True)
class BankAccount:
    participant: str
    branch: str
    number: str
    account_type: str
    opening_date: datetime


@dataclass(frozen=True)
class EntryRequest:
    key_type: str
    key: str | None  # None for an EVP key, which the directory generates
    owner: Owner
    account: BankAccount
    request_id: uuid.UUID
    reason: str = "USER_REQUESTED"


@dataclass(frozen=True)
class DirectoryEntry:
    key: str
    key_type: str
    owner: Owner
    account: BankAccount
    created_at: datetime
    key_ownership_date: datetime
    open_claim_creation_date: datetime | None = None


@dataclass(frozen=True)
class ClaimRequest:
    claim_type: str  # OWNERSHIP or PORTABILITY
    key: str
    key_type: str
    claimer_account: BankAccount
    claimer: Owner


@dataclass(frozen=True)
class DirectoryClaim:
    """DICT's ExtendedClaim: the periods are the directory's, never recomputed here."""

    id: uuid.UUID
    claim_type: str
    key: str
    key_type: str
    claimer_account: BankAccount
    claimer: Owner
    donor_participant: str
    status: str
    created_at: datetime
    resolution_period_end: datetime
    completion_period_end: datetime | None
    last_modified: datetime
    confirm_reason: str = ""
    cancel_reason: str = ""
    cancelled_by: str = ""  # DONOR or CLAIMER


@dataclass(frozen=True)
class CompletedClaim:
    claim: DirectoryClaim
    entry_created_at: datetime
    key_ownership_date: datetime


@dataclass(frozen=True)
class ClaimPage:
    claims: list[DirectoryClaim]
    has_more: bool


class DirectoryClient(Protocol):
    def create_entry(self, request: EntryRequest) -> DirectoryEntry: ...

    def get_entry(self, *, key: str, payer_id: str, end_to_end_id: str) -> DirectoryEntry: ...

    def update_entry(self, *, key: str, account: BankAccount, owner: Owner, reason: str) -> DirectoryEntry: ...

    def delete_entry(self, *, key: str, reason: str) -> None: ...

    def check_sync(self, *, key_type: str, verifier: str) -> tuple[bool, str]:
        """Whether the directory's VSync for our keys of this type equals ours; and its value."""
        ...

    def list_cids(self, *, key_type: str) -> Iterator[str]: ...

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
