"""The possession challenges' CoreDictService methods (StartPossessionChallenge, ConfirmPossessionChallenge)."""

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from common.grpc_fields import enum_from_pb, key_from_pb, present, resource_id_from_pb
from common.grpc_service import rpc
from common.pb_util import enum_value, to_timestamp
from dict_rules.errors import BadRequest
from dict_rules.keys import KeyType
from possession import selectors, services
from possession.domain import CODE_RE, attempts_left, challenge_status
from possession.models import PossessionChallenge
from protos.dict.core.v1 import core_dict_pb2 as pb

CHALLENGE_NOT_FOUND = "Possession challenge not found."


def code_from_pb(value: str) -> str:
    """A verification code, of the one shape every interface takes (``possession.domain.CODE_RE``)."""
    if not CODE_RE.fullmatch(value):
        raise BadRequest.on_field("code", "code must be the 6-digit code that was sent.")
    return value


def challenge_to_pb(challenge: PossessionChallenge) -> pb.PossessionChallenge:
    status = challenge_status(challenge.facts, now=timezone.now())
    return pb.PossessionChallenge(
        **present(
            id=str(challenge.pk),
            key_type=enum_value(pb.KeyType, challenge.key_type),
            key=challenge.key,
            status=enum_value(pb.PossessionStatus, f"POSSESSION_{status}"),
            attempts_left=attempts_left(challenge.facts),
            created_at=to_timestamp(challenge.created_at),
            expires_at=to_timestamp(challenge.expires_at),
            confirmed_at=to_timestamp(challenge.confirmed_at),
        )
    )


class PossessionMethods:
    @rpc
    def StartPossessionChallenge(
        self, request: pb.StartPossessionChallengeRequest, user: AbstractBaseUser
    ) -> pb.PossessionChallenge:
        key_type = enum_from_pb(pb.KeyType, request.key_type, KeyType, "key_type")
        key = key_from_pb(request.key, "key", required=True)
        return challenge_to_pb(services.challenge_start(user=user, key_type=key_type, key=key))

    @rpc
    def ConfirmPossessionChallenge(
        self, request: pb.ConfirmPossessionChallengeRequest, user: AbstractBaseUser
    ) -> pb.PossessionChallenge:
        challenge_id = resource_id_from_pb(request.id, CHALLENGE_NOT_FOUND)
        services.challenge_confirm(user=user, challenge_id=challenge_id, code=code_from_pb(request.code))
        return challenge_to_pb(selectors.challenge_get(user=user, challenge_id=challenge_id))
