"""The lookup's CoreDictService method (LookupKey) and its mapper: the payer's view of a key, and for a
risk engine that asked, DICT's statistics (the rules of who may ask are lookup.services')."""

from django.contrib.auth.models import AbstractBaseUser

from common.connect_codec import statistics_to_pb
from common.grpc_fields import present
from common.grpc_service import rpc
from common.pb_util import enum_value
from common.throttling import counted_on_refusal
from dict_rules.errors import BadRequest
from dict_rules.med import EntryStatistics
from lookup import services as lookup_services
from lookup.domain import LookupAnswer
from protos.dict.core.v1 import core_dict_pb2 as pb


def _entry_statistics_to_pb(statistics: EntryStatistics | None) -> pb.LookupStatistics | None:
    if statistics is None:
        return None
    return pb.LookupStatistics(key=statistics_to_pb(statistics.key, pb), owner=statistics_to_pb(statistics.owner, pb))


def lookup_to_pb(answer: LookupAnswer) -> pb.LookupKeyResponse:
    """A customer's answer has neither statistics field set, so its bytes are what they always were."""
    return pb.LookupKeyResponse(
        key=answer.key,
        key_type=enum_value(pb.KeyType, answer.key_type),
        person_type=enum_value(pb.PersonType, answer.person_type),
        name=answer.name,
        trade_name=answer.trade_name or "",
        tax_id=answer.tax_id,
        ispb=answer.ispb,
        end_to_end_id=answer.end_to_end_id,
        **present(
            statistics=_entry_statistics_to_pb(answer.statistics),
            statistics_absent_reason=answer.statistics_absent_reason,
        ),
    )


def _payer_account_id_from_pb(value: int) -> int | None:
    """0 is proto's "not given" (a customer's own lookup); REST's query parameter refuses anything below 1."""
    if value < 0:
        raise BadRequest.on_field("payer_account_id", "Ensure this value is greater than or equal to 1.")
    return value or None


class LookupMethods:
    @rpc
    def LookupKey(self, request: pb.LookupKeyRequest, user: AbstractBaseUser) -> pb.LookupKeyResponse:
        with counted_on_refusal(user.pk):  # counted on the per-client limit as any call (lookup.store)
            payer_account_id = _payer_account_id_from_pb(request.payer_account_id)
        answer = lookup_services.lookup_key(
            user=user,
            key=request.key,
            include_statistics=request.include_statistics,
            payer_account_id=payer_account_id,
        )
        return lookup_to_pb(answer)
