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


class DirectoryNotAsked(ServiceUnavailable):
    """The call was refused before it left this process: the directory never saw it."""


class DirectoryClient(Protocol):
    def create_entry(self, request: EntryRequest) -> DirectoryEntry: ...

    def get_entry(self, *, key: str, payer_id: str, end_to_end_id: str) -> DirectoryEntry: ...

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
