"""The lookup's CoreDictService method (LookupKey) and its mapper: the payer's view of a key."""

from django.contrib.auth.models import AbstractBaseUser

from common.grpc_service import rpc
from common.pb_util import enum_value
from lookup import services as lookup_services
from lookup.domain import LookupAnswer
from protos.dict.core.v1 import core_dict_pb2 as pb


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


class LookupMethods:
    @rpc
    def LookupKey(self, request: pb.LookupKeyRequest, user: AbstractBaseUser) -> pb.LookupKeyResponse:
        return lookup_to_pb(lookup_services.lookup_key(user=user, key=request.key))
