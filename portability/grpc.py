"""The portabilities' CoreDictService methods (StartPortability, ConfirmPortability, CancelPortability).

A portability is a claim: the methods call ``portability.services`` and read and answer through
``claims.grpc``'s helpers, as REST's portability views answer with the claim.
"""

from django.contrib.auth.models import AbstractBaseUser

from claims.grpc import claim_action, claim_start_args, started_claim
from common.grpc_service import rpc
from portability import services as portability_services
from protos.dict.core.v1 import core_dict_pb2 as pb


class PortabilityMethods:
    @rpc
    def StartPortability(self, request: pb.StartPortabilityRequest, user: AbstractBaseUser) -> pb.StartClaimResponse:
        args = claim_start_args(request, default_key_type=None)  # a portability names its key's type
        claim, replayed = portability_services.portability_start(user=user, **args)
        return started_claim(user, claim.pk, replayed)

    @rpc
    def ConfirmPortability(self, request: pb.ConfirmPortabilityRequest, user: AbstractBaseUser) -> pb.Claim:
        return claim_action(user, request, portability_services.portability_confirm)

    @rpc
    def CancelPortability(self, request: pb.CancelPortabilityRequest, user: AbstractBaseUser) -> pb.Claim:
        return claim_action(user, request, portability_services.portability_cancel)
