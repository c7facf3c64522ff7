"""Explicit mappers between Connect proto messages and the port's dataclasses (both directions)."""

import uuid
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from connect.ports import (
    BankAccount,
    ClaimRequest,
    CompletedClaim,
    DirectoryClaim,
    DirectoryEntry,
    EntryRequest,
    Owner,
)
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


def _enum_value(enum, name: str) -> int:
    """An enum's number, 0 (UNSPECIFIED) for an empty name."""
    return enum.Value(name) if name else 0


def claim_to_pb(claim: DirectoryClaim) -> pb.Claim:
    return pb.Claim(
        id=str(claim.id),
        type=pb.ClaimType.Value(claim.claim_type),
        key=claim.key,
        key_type=pb.KeyType.Value(claim.key_type),
        claimer_account=account_to_pb(claim.claimer_account),
        claimer=owner_to_pb(claim.claimer),
        donor_participant=claim.donor_participant,
        status=pb.ClaimStatus.Value(claim.status),
        creation_date=ts(claim.created_at),
        resolution_period_end=ts(claim.resolution_period_end),
        completion_period_end=ts(claim.completion_period_end),
        last_modified=ts(claim.last_modified),
        confirm_reason=_enum_value(pb.Reason, claim.confirm_reason),
        cancel_reason=_enum_value(pb.Reason, claim.cancel_reason),
        cancelled_by=_enum_value(pb.ClaimParty, claim.cancelled_by),
    )


def claim_from_pb(message: pb.Claim) -> DirectoryClaim:
    return DirectoryClaim(
        id=uuid.UUID(message.id),
        claim_type=enum_name(pb.ClaimType, message.type),
        key=message.key,
        key_type=enum_name(pb.KeyType, message.key_type),
        claimer_account=account_from_pb(message.claimer_account),
        claimer=owner_from_pb(message.claimer),
        donor_participant=message.donor_participant,
        status=enum_name(pb.ClaimStatus, message.status),
        created_at=from_ts(message.creation_date),
        resolution_period_end=from_ts(message.resolution_period_end),
        completion_period_end=from_ts(message.completion_period_end, message.HasField("completion_period_end")),
        last_modified=from_ts(message.last_modified),
        confirm_reason=enum_name(pb.Reason, message.confirm_reason),
        cancel_reason=enum_name(pb.Reason, message.cancel_reason),
        cancelled_by=enum_name(pb.ClaimParty, message.cancelled_by),
    )


def claim_request_to_pb(request: ClaimRequest) -> pb.CreateClaimRequest:
    return pb.CreateClaimRequest(
        type=pb.ClaimType.Value(request.claim_type),
        key=request.key,
        key_type=pb.KeyType.Value(request.key_type),
        claimer_account=account_to_pb(request.claimer_account),
        claimer=owner_to_pb(request.claimer),
    )


def claim_request_from_pb(message: pb.CreateClaimRequest) -> ClaimRequest:
    return ClaimRequest(
        claim_type=enum_name(pb.ClaimType, message.type),
        key=message.key,
        key_type=enum_name(pb.KeyType, message.key_type),
        claimer_account=account_from_pb(message.claimer_account),
        claimer=owner_from_pb(message.claimer),
    )


def completed_to_pb(completed: CompletedClaim, correlation_id: str) -> pb.CompleteClaimResponse:
    return pb.CompleteClaimResponse(
        claim=claim_to_pb(completed.claim),
        entry_creation_date=ts(completed.entry_created_at),
        key_ownership_date=ts(completed.key_ownership_date),
        correlation_id=correlation_id,
    )


def completed_from_pb(message: pb.CompleteClaimResponse) -> CompletedClaim:
    return CompletedClaim(
        claim=claim_from_pb(message.claim),
        entry_created_at=from_ts(message.entry_creation_date),
        key_ownership_date=from_ts(message.key_ownership_date),
    )


def list_claims_request_to_pb(
    *,
    as_donor: bool,
    as_claimer: bool,
    statuses: tuple[str, ...],
    claim_type: str,
    modified_after: datetime | None,
    modified_before: datetime | None,
    limit: int,
) -> pb.ListClaimsRequest:
    return pb.ListClaimsRequest(
        is_donor=as_donor,
        is_claimer=as_claimer,
        status=[pb.ClaimStatus.Value(status) for status in statuses],
        type=_enum_value(pb.ClaimType, claim_type),
        modified_after=ts(modified_after),
        modified_before=ts(modified_before),
        limit=limit,
    )
