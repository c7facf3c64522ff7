"""What Core DICT asks of the directory, independent of how it is reached.

Adapters raise the DomainError subclasses of dict_project.errors named after DICT's error
types (EntryKeyOwnedByDifferentPerson, ...) for a refusal, and ServiceUnavailable when the
directory cannot be reached, so callers can tell "no" from "try again".
"""

import uuid
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


@dataclass(frozen=True)
class RegisteredEntry:
    key: str
    created_at: datetime
    key_ownership_date: datetime


class DirectoryClient(Protocol):
    def create_entry(self, request: EntryRequest) -> RegisteredEntry: ...

    def delete_entry(self, *, key: str, participant: str, reason: str) -> None: ...
