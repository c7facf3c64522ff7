"""A bare CoreDictService.LookupKey: the floor of a lookup over gRPC (no Django, no interceptors).

Verify the token, one EVALSHA of the buckets, then the answer: by default one GET of a cached view
(the floor of an own-key lookup); with ``--forward HOST:PORT`` a GetEntry at that directory instead
(the floor of another PSP's key: the payer's and the PSP's buckets, the directory's answer mapped).
"""

import argparse

import grpc

from bench.bare import Minimum, Unauthenticated, bearer, end_to_end_id, serve
from dict_rules.masking import mask_tax_id
from protos.dict.connect.v1 import connect_pb2, connect_pb2_grpc
from protos.dict.core.v1 import core_dict_pb2 as pb
from protos.dict.core.v1 import core_dict_pb2_grpc

PAYER_TAX_ID = "39053344705"  # the payer's CPF sent to the directory (Core DICT reads bob's from its database)


class BareLookup(core_dict_pb2_grpc.CoreDictServiceServicer):
    def __init__(self, forward: str | None) -> None:
        self.minimum = Minimum()
        self.minimum.publish_view()
        self.directory = (
            connect_pb2_grpc.ConnectServiceStub(grpc.insecure_channel(forward)) if forward is not None else None
        )

    def LookupKey(self, request: pb.LookupKeyRequest, context: grpc.ServicerContext) -> pb.LookupKeyResponse:
        try:
            payer = self.minimum.caller(bearer(context))["user_id"]
        except Unauthenticated:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid token")
        buckets = (f"payer:{payer}",) if self.directory is None else (f"payer:{payer}", "psp")
        if not self.minimum.charge(*buckets):
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "too many lookups")
        e2e = end_to_end_id()
        if self.directory is None:
            view = self.minimum.cached_view()
            return pb.LookupKeyResponse(**view, end_to_end_id=e2e)
        ask = connect_pb2.GetEntryRequest(key=request.key, payer_id=PAYER_TAX_ID, end_to_end_id=e2e)
        entry = self.directory.GetEntry(ask, timeout=2).entry
        return pb.LookupKeyResponse(
            key=entry.key,
            key_type=entry.key_type,  # the two protos number their enums alike
            person_type=entry.owner.type,
            name=entry.owner.name,
            trade_name=entry.owner.trade_name,
            tax_id=mask_tax_id(entry.owner.tax_id_number),
            ispb=entry.account.participant,
            end_to_end_id=e2e,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--forward", help="the directory to ask (HOST:PORT); without it, the cached view")
    args = parser.parse_args()
    servicer = BareLookup(args.forward)
    serve(
        lambda server: core_dict_pb2_grpc.add_CoreDictServiceServicer_to_server(servicer, server),
        args.port,
        args.workers,
    )


if __name__ == "__main__":
    main()
