"""Explicit mappers between Connect proto messages and the port's dataclasses (both directions)."""

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from connect.ports import BankAccount, DirectoryEntry, EntryRequest, Owner
from protos.dict.connect.v1 import connect_pb2 as pb


def ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    out = Timestamp()
    out.FromDatetime(value)
    return out


def from_ts(value: Timestamp, present: bool = True) -> datetime | None:
    return value.ToDatetime(tzinfo=UTC) if present else None


def enum_name(enum, value: int) -> str:
    """An enum's name, or '' for UNSPECIFIED/unknown values (the domain refuses those)."""
    name = enum.Name(value) if value in enum.values() else ""
    return "" if name.endswith("UNSPECIFIED") else name


def account_to_pb(account: BankAccount) -> pb.BrazilianAccount:
    return pb.BrazilianAccount(
        participant=account.participant,
        branch=account.branch,
        account_number=account.number,
        account_type=pb.AccountType.Value(account.account_type),
        opening_date=ts(account.opening_date),
    )


def account_from_pb(message: pb.BrazilianAccount) -> BankAccount:
    return BankAccount(
        participant=message.participant,
        branch=message.branch,
        number=message.account_number,
        account_type=enum_name(pb.AccountType, message.account_type),
        opening_date=from_ts(message.opening_date, message.HasField("opening_date")),
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
        creation_date=ts(entry.created_at),
        key_ownership_date=ts(entry.key_ownership_date),
        open_claim_creation_date=ts(entry.open_claim_creation_date),
    )


def entry_from_pb(message: pb.Entry) -> DirectoryEntry:
    return DirectoryEntry(
        key=message.key,
        key_type=enum_name(pb.KeyType, message.key_type),
        owner=owner_from_pb(message.owner),
        account=account_from_pb(message.account),
        created_at=from_ts(message.creation_date),
        key_ownership_date=from_ts(message.key_ownership_date),
        open_claim_creation_date=from_ts(
            message.open_claim_creation_date, message.HasField("open_claim_creation_date")
        ),
    )


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
