"""Fixtures shared by test modules: the Connect gRPC server (dictsim's ConnectServicer) on loopback and its clients.

(Project-wide fixtures, such as users and accounts, are in the root conftest.py; plain builders in tests/factories.py.)
"""

from collections.abc import Callable, Iterator

import grpc
import pytest
from django.db import connections

from common.grpc_server import build_server
from connect.breaker import Bulkhead, RatioBreaker
from connect.grpc_client import GrpcDirectoryClient
from dictsim.grpc import ConnectServicer
from protos.dict.connect.v1 import connect_pb2 as pb
from protos.dict.connect.v1 import connect_pb2_grpc
from tests.factories import OURS

CONNECT_SERVICE = pb.DESCRIPTOR.services_by_name["ConnectService"].full_name


@pytest.fixture
def server_threads_close_their_connections(monkeypatch) -> None:
    """Each call's connection is closed when it ends, so none outlives the test database."""
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)


@pytest.fixture
def start_server(server_threads_close_their_connections) -> Iterator[Callable[..., tuple[grpc.Server, int]]]:
    """Start the Connect gRPC server (health and reflection included) on a free loopback port.

    The server's threads use their own database connections: tests that let it read or write
    rows need ``django_db(transaction=True)``.
    """
    started: list[grpc.Server] = []

    def start(servicer: ConnectServicer | None = None) -> tuple[grpc.Server, int]:
        server, port, _ = build_server(
            address="127.0.0.1:0",
            workers=4,
            register=[
                lambda s: connect_pb2_grpc.add_ConnectServiceServicer_to_server(servicer or ConnectServicer(), s)
            ],
            service_names=[CONNECT_SERVICE],
        )
        started.append(server)
        return server, port

    yield start
    for server in started:
        server.stop(None).wait()


@pytest.fixture
def make_client() -> Iterator[Callable[..., GrpcDirectoryClient]]:
    """Connect gRPC clients (as participant OURS unless told) to a port; closed after the test."""
    made: list[GrpcDirectoryClient] = []

    def make(
        port: int,
        participant: str = OURS,
        *,
        attempts: int = 3,
        deadline: float = 2,
        breaker: RatioBreaker | None = None,
        bulkhead: Bulkhead | None = None,
    ) -> GrpcDirectoryClient:
        client = GrpcDirectoryClient(
            url=f"127.0.0.1:{port}",
            participant=participant,
            deadline=deadline,
            attempts=attempts,
            breaker=breaker or RatioBreaker(window=60, min_calls=5, failure_ratio=0.5, open_for=60),
            bulkhead=bulkhead or Bulkhead(limit=16, wait=1),
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
