"""The portabilities' CoreDictService methods (StartPortability, ConfirmPortability, CancelPortability).

A portability is a claim: the methods call ``portability.services`` and answer with the claim
through ``claims.grpc``'s mappers, as REST's portability views answer with the claim.
"""

from django.contrib.auth.models import AbstractBaseUser

from claims.grpc import CLAIM_NOT_FOUND, otp_from_pb, shown_claim, started_claim
from common.grpc_fields import account_id_from_pb, enum_from_pb, resource_id_from_pb
from common.grpc_service import rpc
from common.pb_util import uuid_field
from dict_rules.keys import KeyType
from keys.grpc import key_from_pb
from portability import services as portability_services
from protos.dict.core.v1 import core_dict_pb2 as pb


def portability_args(request: pb.StartPortabilityRequest) -> dict:
    """portability.services.portability_start's arguments."""
    return {
        "account_id": account_id_from_pb(request.account_id),
        "key_type": enum_from_pb(pb.KeyType, request.key_type, KeyType, "key_type"),
        "key": key_from_pb(request.key, "key", required=True),
        "request_id": uuid_field(request.request_id, "request_id"),
    }


class PortabilityMethods:
    @rpc
    def StartPortability(self, request: pb.StartPortabilityRequest, user: AbstractBaseUser) -> pb.StartClaimResponse:
        claim, replayed = portability_services.portability_start(user=user, **portability_args(request))
        return started_claim(user, claim.pk, replayed)

    @rpc
    def ConfirmPortability(self, request: pb.ConfirmPortabilityRequest, user: AbstractBaseUser) -> pb.Claim:
        claim_id = resource_id_from_pb(request.id, CLAIM_NOT_FOUND)
        portability_services.portability_confirm(user=user, claim_id=claim_id, otp=otp_from_pb(request.otp))
        return shown_claim(user, claim_id)

    @rpc
    def CancelPortability(self, request: pb.CancelPortabilityRequest, user: AbstractBaseUser) -> pb.Claim:
        claim_id = resource_id_from_pb(request.id, CLAIM_NOT_FOUND)
        portability_services.portability_cancel(user=user, claim_id=claim_id, otp=otp_from_pb(request.otp))
        return shown_claim(user, claim_id)
