"""A bare directory: Connect's ConnectService answering GetEntry from an in-memory dict of the synthetic
entries (dictsim.synthetic's keys) and CreateEntry with the entry it was sent, registered at once.

No database, no checks: the floor of a directory, so a lookup forwarded to it (by bench.bare_lookup
--forward, or by a Core DICT grpcserver whose CONNECT_URL names it) measures the caller's own work.
"""

import argparse
import uuid
from datetime import UTC, datetime

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from bench.bare import serve
from dict_rules.tax_ids import cnpj_from_base, cpf_from_base
from dictsim.synthetic import is_legal_person, seed_key
from protos.dict.connect.v1 import connect_pb2 as pb
from protos.dict.connect.v1 import connect_pb2_grpc

OPENED = Timestamp(seconds=int(datetime(2020, 1, 2, 3, tzinfo=UTC).timestamp()))


def synthetic_entry(index: int) -> pb.Entry:
    """The index-th synthetic entry, held by another participant (999999xx)."""
    key_type, key = seed_key(index)
    legal = is_legal_person(index)
    owner = pb.Person(
        type=pb.LEGAL_PERSON if legal else pb.NATURAL_PERSON,
        tax_id_number=cnpj_from_base(f"{index:012d}") if legal else cpf_from_base(f"{index + 1:09d}"),
        name=f"EMPRESA SINTETICA {index} LTDA" if legal else f"Pessoa Sintetica {chr(65 + index % 26)}",
        trade_name=f"SINTETICA {index}" if legal else "",
    )
    account = pb.BrazilianAccount(
        participant=f"9999990{index % 4 + 1}",
        branch=f"{index % 9999 + 1}",
        account_number=f"{index:010d}",
        account_type=pb.CACC,
        opening_date=OPENED,
    )
    return pb.Entry(
        key=key,
        key_type=pb.KeyType.Value(key_type),
        account=account,
        owner=owner,
        creation_date=OPENED,
        key_ownership_date=OPENED,
    )


class BareDirectory(connect_pb2_grpc.ConnectServiceServicer):
    def __init__(self, entries: int) -> None:
        self.entries = {seed_key(i)[1]: synthetic_entry(i) for i in range(entries)}

    def GetEntry(self, request: pb.GetEntryRequest, context: grpc.ServicerContext) -> pb.GetEntryResponse:
        entry = self.entries.get(request.key)
        if entry is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "EntryNotFound")
        return pb.GetEntryResponse(entry=entry, correlation_id=str(uuid.uuid4()))

    def CreateEntry(self, request: pb.CreateEntryRequest, context: grpc.ServicerContext) -> pb.CreateEntryResponse:
        now = Timestamp()
        now.GetCurrentTime()
        entry = pb.Entry()
        entry.CopyFrom(request.entry)
        entry.key = entry.key or str(uuid.uuid4())  # an EVP: the directory makes the key
        entry.creation_date.CopyFrom(now)
        entry.key_ownership_date.CopyFrom(now)
        return pb.CreateEntryResponse(entry=entry, correlation_id=str(uuid.uuid4()))

    def Health(self, request: pb.HealthRequest, context: grpc.ServicerContext) -> pb.HealthResponse:
        now = Timestamp()
        now.GetCurrentTime()
        return pb.HealthResponse(serving=True, now=now)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=32, help="threads (run_dictsim's bench setting)")
    args = parser.parse_args()
    directory = BareDirectory(args.entries)
    serve(
        lambda server: connect_pb2_grpc.add_ConnectServiceServicer_to_server(directory, server), args.port, args.workers
    )


if __name__ == "__main__":
    main()
