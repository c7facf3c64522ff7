"""Explicit mappers between CoreDictService messages and domain objects, in one place.

Inputs are checked as REST's serializers check them, with the same codes: a missing or unknown
enum, a malformed UUID, account id or one-time code is BadRequest naming the field; a malformed
resource id is NotFound, as REST's URL patterns answer it. Every rule beyond the shape of a
field is the domain's, reached through the same services REST calls.
"""

import uuid
from enum import StrEnum
from typing import TypeVar

from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from accounts.second_factor import OTP_RE
from claims.domain import ClaimReason, ClaimStatus, ClaimType
from claims.models import Claim
from claims.selectors import claim_time_left
from common.health import Readiness
from common.pb_util import enum_name, enum_value, parse_uuid, to_timestamp, uuid_field
from dict_rules.errors import BadRequest, NotFound
from keys.domain import KEY_MAX_LENGTH, DeleteReason, EntryStatus, KeyType
from keys.models import Entry
from lookup.domain import LookupAnswer
from protos.dict.core.v1 import core_dict_pb2 as pb

E = TypeVar("E", bound=StrEnum)


# --- fields ---------------------------------------------------------------------------------------


def enum_from_pb(
    pb_enum: EnumTypeWrapper, value: int, domain: type[E], field: str, *, required: bool = True
) -> E | None:
    """The domain member with the proto value's name; UNSPECIFIED is None when optional.

    Proto enums are open, so an unknown number arrives as is: like a name outside the domain's
    (DEFAULT_OPERATION for a delete), it is refused as REST refuses a bad choice.
    """
    if value == 0 and not required:
        return None
    allowed = ", ".join(domain)
    name = enum_name(pb_enum, value)
    if value == 0:
        raise BadRequest.on_field(field, f"{field} is required: one of {allowed}.")
    if name not in domain.__members__:
        raise BadRequest.on_field(field, f"{field} must be one of {allowed}.")
    return domain(name)


def resource_id_from_pb(value: str, not_found: str) -> uuid.UUID:
    """A key's or claim's id: a malformed one names nothing, so it is NotFound (REST's 404)."""
    parsed = parse_uuid(value)
    if parsed is None:
        raise NotFound(not_found)
    return parsed


def account_id_from_pb(value: int) -> int:
    if value < 1:
        raise BadRequest.on_field("account_id", "account_id must be a positive integer.")
    return value


def key_from_pb(value: str, field: str, *, required: bool) -> str:
    if required and not value.strip():
        raise BadRequest.on_field(field, f"{field} is required.")
    if len(value) > KEY_MAX_LENGTH:
        raise BadRequest.on_field(field, f"{field} has at most {KEY_MAX_LENGTH} characters.")
    return value


def otp_from_pb(value: str) -> str:
    if not OTP_RE.fullmatch(value):
        raise BadRequest.on_field("otp", "otp must be the 6-digit code of the caller's TOTP app.")
    return value


def _present(**fields) -> dict:
    """Leave out unset message fields (a None timestamp) instead of relying on the runtime's reading of None."""
    return {name: value for name, value in fields.items() if value is not None}


# --- requests -------------------------------------------------------------------------------------


def create_key_args(request: pb.CreateKeyRequest) -> dict:
    """keys.services.entry_create's arguments."""
    return {
        "account_id": account_id_from_pb(request.account_id),
        "key_type": enum_from_pb(pb.KeyType, request.key_type, KeyType, "key_type"),
        "key_value": key_from_pb(request.key_value, "key_value", required=False) or None,
        "request_id": uuid_field(request.request_id, "request_id"),
    }


def key_filters(request: pb.ListKeysRequest) -> dict:
    """keys.selectors.entry_list's filters."""
    return {
        "key_type": enum_from_pb(pb.KeyType, request.key_type, KeyType, "key_type", required=False),
        "status": enum_from_pb(pb.EntryStatus, request.status, EntryStatus, "status", required=False),
    }


def delete_reason_from_pb(value: int) -> DeleteReason | None:
    return enum_from_pb(pb.Reason, value, DeleteReason, "reason", required=False)


def claim_filters(request: pb.ListClaimsRequest) -> dict:
    """claims.selectors.claim_list's filters."""
    return {
        "claim_type": enum_from_pb(pb.ClaimType, request.type, ClaimType, "type", required=False),
        "status": enum_from_pb(pb.ClaimStatus, request.status, ClaimStatus, "status", required=False),
    }


def ownership_claim_args(request: pb.StartClaimRequest) -> dict:
    """claims.services.ownership_claim_start's arguments; key_type defaults to PHONE, as in REST."""
    key_type = enum_from_pb(pb.KeyType, request.key_type, KeyType, "key_type", required=False)
    return {
        "account_id": account_id_from_pb(request.account_id),
        "key": key_from_pb(request.key, "key", required=True),
        "key_type": key_type or KeyType.PHONE,
        "request_id": uuid_field(request.request_id, "request_id"),
    }


def portability_args(request: pb.StartPortabilityRequest) -> dict:
    """portability.services.portability_start's arguments."""
    return {
        "account_id": account_id_from_pb(request.account_id),
        "key_type": enum_from_pb(pb.KeyType, request.key_type, KeyType, "key_type"),
        "key": key_from_pb(request.key, "key", required=True),
        "request_id": uuid_field(request.request_id, "request_id"),
    }


def accept_from_pb(value: int) -> bool:
    """ACCEPT or REJECT; UNSPECIFIED is refused as REST refuses a missing decision."""
    if value not in (pb.ACCEPT, pb.REJECT):
        raise BadRequest.on_field("decision", "decision must be ACCEPT or REJECT.")
    return value == pb.ACCEPT


def claim_reason_from_pb(value: int) -> ClaimReason | None:
    return enum_from_pb(pb.Reason, value, ClaimReason, "reason", required=False)


# --- responses ------------------------------------------------------------------------------------


def entry_to_pb(entry: Entry) -> pb.Entry:
    return pb.Entry(
        **_present(
            id=str(entry.pk),
            account_id=entry.account_id,
            key_type=enum_value(pb.KeyType, entry.key_type),
            key_value=entry.key_value or "",
            status=enum_value(pb.EntryStatus, entry.status),
            failure_code=entry.failure_code,
            delete_reason=enum_value(pb.Reason, entry.delete_reason),
            request_id=str(entry.request_id),
            cid=entry.cid,
            created_at=to_timestamp(entry.created_at),
            updated_at=to_timestamp(entry.updated_at),
            registered_at=to_timestamp(entry.registered_at),
            key_ownership_date=to_timestamp(entry.key_ownership_date),
            deleted_at=to_timestamp(entry.deleted_at),
        )
    )


def claim_to_pb(claim: Claim) -> pb.Claim:
    left = claim_time_left(claim)
    return pb.Claim(
        **_present(
            id=str(claim.pk),
            dict_id=str(claim.dict_id),
            type=enum_value(pb.ClaimType, claim.claim_type),
            role=enum_value(pb.ClaimRole, claim.role),
            status=enum_value(pb.ClaimStatus, claim.status),
            key_type=enum_value(pb.KeyType, claim.key_type),
            key=claim.key,
            account_id=claim.account_id or 0,
            entry_id=str(claim.entry_id) if claim.entry_id else "",
            donor_participant=claim.donor_participant,
            claimer_participant=claim.claimer_participant,
            dict_created_at=to_timestamp(claim.dict_created_at),
            resolution_period_end=to_timestamp(claim.resolution_period_end),
            completion_period_end=to_timestamp(claim.completion_period_end),
            last_modified=to_timestamp(claim.last_modified),
            time_left_seconds=None if left is None else int(left.total_seconds()),
            confirm_reason=enum_value(pb.Reason, claim.confirm_reason),
            cancel_reason=enum_value(pb.Reason, claim.cancel_reason),
            cancelled_by=enum_value(pb.ClaimRole, claim.cancelled_by),
            request_id=str(claim.request_id) if claim.request_id else "",
        )
    )


def lookup_to_pb(answer: LookupAnswer) -> pb.LookupKeyResponse:
    return pb.LookupKeyResponse(
        key=answer.key,
        key_type=enum_value(pb.KeyType, answer.key_type),
        person_type=enum_value(pb.PersonType, answer.person_type),
        name=answer.name,
        trade_name=answer.trade_name or "",
        tax_id=answer.tax_id,
        ispb=answer.ispb,
        end_to_end_id=answer.end_to_end_id,
    )


def health_to_pb(state: Readiness) -> pb.HealthCheckResponse:
    return pb.HealthCheckResponse(
        status=pb.SERVING if state.ready else pb.NOT_SERVING,
        database=state.database,
        cache=state.cache,
        connect=state.connect,
    )
