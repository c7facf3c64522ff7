"""A bare CoreDictService.CreateKey: the floor of a key registration (no Django, no interceptors).

Verify the token, one PostgreSQL transaction inserting the key and its event (tables of its own,
made at start), one CreateEntry at the bare directory, then the answer: ACTIVE with the directory's key.
"""

import argparse
import json
import os
import threading
import uuid

import grpc
import psycopg

from bench.bare import Minimum, Unauthenticated, bearer, serve
from protos.dict.connect.v1 import connect_pb2, connect_pb2_grpc
from protos.dict.core.v1 import core_dict_pb2 as pb
from protos.dict.core.v1 import core_dict_pb2_grpc

TABLES = """
CREATE TABLE IF NOT EXISTS bench_bare_entry (
    id uuid PRIMARY KEY, account_id bigint NOT NULL, key_type text NOT NULL,
    request_id uuid NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS bench_bare_event (
    id bigserial PRIMARY KEY, entry_id uuid NOT NULL REFERENCES bench_bare_entry, type text NOT NULL,
    payload jsonb NOT NULL, occurred_at timestamptz NOT NULL DEFAULT now());
"""


class BareCreate(core_dict_pb2_grpc.CoreDictServiceServicer):
    def __init__(self, database_url: str, directory: str) -> None:
        self.minimum = Minimum()
        self.database_url = database_url
        self.connections = threading.local()  # one connection per server thread, opened on its first call
        self.directory = connect_pb2_grpc.ConnectServiceStub(grpc.insecure_channel(directory))
        with psycopg.connect(database_url, autocommit=True) as connection:
            connection.execute(TABLES)

    def _connection(self) -> psycopg.Connection:
        if not hasattr(self.connections, "db"):
            self.connections.db = psycopg.connect(self.database_url, autocommit=True)
        return self.connections.db

    def CreateKey(self, request: pb.CreateKeyRequest, context: grpc.ServicerContext) -> pb.CreateKeyResponse:
        try:
            self.minimum.caller(bearer(context))
        except Unauthenticated:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid token")
        entry_id, key_type = uuid.uuid4(), pb.KeyType.Name(request.key_type)
        connection = self._connection()
        with connection.transaction():
            connection.execute(
                "INSERT INTO bench_bare_entry (id, account_id, key_type, request_id) VALUES (%s, %s, %s, %s)",
                (entry_id, request.account_id, key_type, request.request_id),
            )
            connection.execute(
                "INSERT INTO bench_bare_event (entry_id, type, payload) VALUES (%s, 'EntryCreated', %s)",
                (entry_id, json.dumps({"account_id": request.account_id, "key_type": key_type})),
            )
        entry = connect_pb2.Entry(key=request.key_value, key_type=request.key_type)
        registered = self.directory.CreateEntry(
            connect_pb2.CreateEntryRequest(
                entry=entry, reason=connect_pb2.USER_REQUESTED, request_id=request.request_id
            ),
            timeout=2,
        ).entry
        answer = pb.Entry(
            id=str(entry_id),
            account_id=request.account_id,
            key_type=request.key_type,
            key_value=registered.key,
            status=pb.ACTIVE,
            request_id=request.request_id,
        )
        return pb.CreateKeyResponse(entry=answer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--directory", required=True, help="the bare directory (HOST:PORT)")
    args = parser.parse_args()
    servicer = BareCreate(os.environ["DATABASE_URL"], args.directory)
    serve(
        lambda server: core_dict_pb2_grpc.add_CoreDictServiceServicer_to_server(servicer, server),
        args.port,
        args.workers,
    )


if __name__ == "__main__":
    main()
