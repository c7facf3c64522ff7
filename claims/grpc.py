"""The claims' CoreDictService methods (StartClaim, GetClaimStatus, ListIncomingClaims,
ListOutgoingClaims, RespondToClaim, CancelClaim, CompleteClaim) and their mappers.

Each method parses the request, calls the same service or selector as REST and answers with the
claim as the caller now sees it. Portabilities are claims too: ``portability.grpc`` reads its start with
``claim_start_args``, changes one with ``claim_action`` and answers with ``started_claim``.
"""

import functools
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from accounts.second_factor import OTP_RE
from claims import selectors as claim_selectors
from claims import services as claim_services
from claims.models import Claim
from common.grpc_fields import account_id_from_pb, enum_from_pb, present, resource_id_from_pb
from common.grpc_pages import Keyset
from common.grpc_service import rpc
from common.pagination import DeadlineFirstCursorPagination, NewestFirstCursorPagination
from common.pb_util import enum_value, to_timestamp, uuid_field
from dict_rules.claims import OWNERSHIP_CLAIM_DEFAULT_KEY_TYPE, ClaimReason, ClaimStatus, ClaimType, Role
from dict_rules.errors import BadRequest
from dict_rules.keys import KeyType
from keys.grpc import key_from_pb
from protos.dict.core.v1 import core_dict_pb2 as pb

CLAIM_NOT_FOUND = "Claim not found."
INCOMING = Keyset("incoming", DeadlineFirstCursorPagination)
OUTGOING = Keyset("outgoing", NewestFirstCursorPagination)


# --- mappers --------------------------------------------------------------------------------------


def otp_from_pb(value: str) -> str:
    """A one-time code, of the one shape every interface takes (``accounts.second_factor.OTP_RE``)."""
    if not OTP_RE.fullmatch(value):
        raise BadRequest.on_field("otp", "otp must be the 6-digit code of the caller's TOTP app.")
    return value


def claim_filters(request: pb.ListClaimsRequest) -> dict:
    """claims.selectors.claim_list's filters."""
    return {
        "claim_type": enum_from_pb(pb.ClaimType, request.type, ClaimType, "type", required=False),
        "status": enum_from_pb(pb.ClaimStatus, request.status, ClaimStatus, "status", required=False),
    }


def claim_start_args(
    request: pb.StartClaimRequest | pb.StartPortabilityRequest, *, default_key_type: KeyType | None
) -> dict:
    """The arguments of a claim's start (``claims.services.ownership_claim_start``,
    ``portability.services.portability_start``); key_type is required when there is no default."""
    key_type = enum_from_pb(pb.KeyType, request.key_type, KeyType, "key_type", required=default_key_type is None)
    return {
        "account_id": account_id_from_pb(request.account_id),
        "key_type": key_type or default_key_type,
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


def proof_from_pb(value: str) -> uuid.UUID | None:
    """An optional possession challenge id, as REST's: empty is none, malformed is BadRequest naming it."""
    return uuid_field(value, "possession_challenge_id") if value else None


def claim_to_pb(claim: Claim) -> pb.Claim:
    left = claim_selectors.claim_time_left(claim)
    return pb.Claim(
        **present(
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


# --- answers shared with portability ----------------------------------------------------------------


def shown_claim(user: AbstractBaseUser, claim_id: uuid.UUID) -> pb.Claim:
    """The claim as ``user`` sees it now (after a change, or for GetClaimStatus)."""
    return claim_to_pb(claim_selectors.claim_get(user=user, claim_id=claim_id))


def started_claim(user: AbstractBaseUser, claim_id: uuid.UUID, replayed: bool) -> pb.StartClaimResponse:
    return pb.StartClaimResponse(claim=shown_claim(user, claim_id), replayed=replayed)


def claim_action(
    user: AbstractBaseUser, request: Any, act: Callable[..., Claim], **args: Callable[[], Any]
) -> pb.Claim:
    """A change to one claim with the customer's one-time code (respond, cancel, confirm, ...).

    ``request.id`` (malformed: NotFound) and ``request.otp`` are read first, then each of ``args``
    (a parser of another field); ``act(user=, claim_id=, otp=, **parsed)`` is the service.
    Answers with the claim as ``user`` now sees it.
    """
    claim_id = resource_id_from_pb(request.id, CLAIM_NOT_FOUND)
    otp = otp_from_pb(request.otp)
    act(user=user, claim_id=claim_id, otp=otp, **{name: parse() for name, parse in args.items()})
    return shown_claim(user, claim_id)


def _claims(user: AbstractBaseUser, request: pb.ListClaimsRequest, role: Role, keyset: Keyset) -> pb.ListClaimsResponse:
    qs = claim_selectors.claim_list(user=user, role=role, **claim_filters(request))
    rows, token = keyset.page(qs, request.page_size, request.page_token)
    return pb.ListClaimsResponse(claims=[claim_to_pb(c) for c in rows], next_page_token=token)


# --- methods --------------------------------------------------------------------------------------


class ClaimMethods:
    @rpc
    def StartClaim(self, request: pb.StartClaimRequest, user: AbstractBaseUser) -> pb.StartClaimResponse:
        args = claim_start_args(request, default_key_type=OWNERSHIP_CLAIM_DEFAULT_KEY_TYPE)
        claim, replayed = claim_services.ownership_claim_start(user=user, **args)
        return started_claim(user, claim.pk, replayed)

    @rpc
    def GetClaimStatus(self, request: pb.GetClaimStatusRequest, user: AbstractBaseUser) -> pb.Claim:
        return shown_claim(user, resource_id_from_pb(request.id, CLAIM_NOT_FOUND))

    @rpc
    def ListIncomingClaims(self, request: pb.ListClaimsRequest, user: AbstractBaseUser) -> pb.ListClaimsResponse:
        return _claims(user, request, Role.DONOR, INCOMING)

    @rpc
    def ListOutgoingClaims(self, request: pb.ListClaimsRequest, user: AbstractBaseUser) -> pb.ListClaimsResponse:
        return _claims(user, request, Role.CLAIMER, OUTGOING)

    @rpc
    def RespondToClaim(self, request: pb.RespondToClaimRequest, user: AbstractBaseUser) -> pb.Claim:
        accept = functools.partial(accept_from_pb, request.decision)
        proof = functools.partial(proof_from_pb, request.possession_challenge_id)
        return claim_action(user, request, claim_services.claim_respond, accept=accept, possession_challenge_id=proof)

    @rpc
    def CompleteClaim(self, request: pb.CompleteClaimRequest, user: AbstractBaseUser) -> pb.Claim:
        claim_id = resource_id_from_pb(request.id, CLAIM_NOT_FOUND)
        proof = uuid_field(request.possession_challenge_id, "possession_challenge_id")
        claim_services.claim_complete(user=user, claim_id=claim_id, possession_challenge_id=proof)
        return shown_claim(user, claim_id)

    @rpc
    def CancelClaim(self, request: pb.CancelClaimRequest, user: AbstractBaseUser) -> pb.Claim:
        reason = functools.partial(claim_reason_from_pb, request.reason)
        proof = functools.partial(proof_from_pb, request.possession_challenge_id)
        return claim_action(user, request, claim_services.claim_cancel, reason=reason, possession_challenge_id=proof)
