"""Fixtures shared by test modules: the Connect gRPC server (dictsim's ConnectServicer) on loopback and its clients,
a spy on the directory's lookups, and the per-client rate limit switched off.

(Project-wide fixtures, such as users and accounts, are in the root conftest.py; plain builders in tests/factories.py.)
"""

from collections.abc import Callable, Iterator

import grpc
import pytest
from django.db import connections

from common.grpc_server import build_server
from connect.breaker import Bulkhead, RatioBreaker
from connect.client import get_client
from connect.grpc_client import GrpcDirectoryClient
from connect.local import LocalDirectoryClient
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


@pytest.fixture
def no_api_rate_limit(settings) -> None:
    """Tests that send many requests at once from one client; the per-client RPS limit has its own tests."""
    settings.RATE_LIMIT_RPS = 0


@pytest.fixture
def directory_calls(monkeypatch) -> Iterator[list[str]]:
    """The keys the directory was asked about (the in-process adapter, spied on, still answers).

    The process's client is built afresh on both sides of the test, so it binds the spy and no
    later test keeps it.
    """
    calls: list[str] = []
    original = LocalDirectoryClient.get_entry

    def spy(self, *, key: str, **kwargs):
        calls.append(key)
        return original(self, key=key, **kwargs)

    monkeypatch.setattr(LocalDirectoryClient, "get_entry", spy)
    get_client.cache_clear()
    yield calls
    get_client.cache_clear()


# --- the back-office: staff users and entries (tests/test_admin.py, tests/test_admin_pii_oracles.py) -----


@pytest.fixture
def make_staff(make_user) -> Callable[..., object]:
    """A staff user holding exactly the given permissions ("app_label.codename")."""
    from django.contrib.auth.models import Permission

    def make(*perms: str):
        user = make_user(staff=True)
        for perm in perms:
            app_label, codename = perm.split(".")
            user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        return user

    return make


@pytest.fixture
def make_entry() -> Callable[..., object]:
    """An entry created by its holder through the service (possession proven first); registered at DICT (ACTIVE)
    unless ``register=False``."""
    import uuid

    from keys.services import entry_register
    from tests.factories import create_entry

    def make(account, key_type: str = "EMAIL", key_value: str | None = None, *, register: bool = True):
        if key_value is None and key_type != "EVP":
            key_value = f"{uuid.uuid4().hex}@example.com"
        entry = create_entry(account, key_type, key_value)
        return entry_register(entry_id=entry.pk) if register else entry

    return make
