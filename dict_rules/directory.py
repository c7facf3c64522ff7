"""DICT's API shapes as plain values: an owner, an account, an entry, a claim, a page of claims.

Here because they are the vocabulary of the wire between a participant and DICT, used on both
sides: the PSP's Connect port (connect.ports.DirectoryClient) takes and returns them, and the
simulated directory (dictsim) serves them. They carry DICT's field meanings, not the PSP's models.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from dict_rules.med import EntryStatistics


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
    statistics: EntryStatistics | None = None  # only when the lookup asked for them (IncludeStatistics)


@dataclass(frozen=True)
class EntryByCid:
    """getEntryByCid's answer (GET /cids/entries/{Cid}): an active entry and the RequestId of the
    createEntry (or completeClaim) that made its CID, which a PSP needs to hold the same CID."""

    cid: str
    entry: DirectoryEntry
    request_id: uuid.UUID


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
