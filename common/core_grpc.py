"""The CoreDictService gRPC server as `grpcserver` and `serve` both start it.

One assembly for both commands, so the embedded `serve` runs exactly the production chain:
the interceptors, the services the root handlers hook adds (``settings.GRPC_FRAMEWORK
["ROOT_HANDLERS_HOOK"]``, django-grpc-framework's convention, so the kernel imports no app),
health and reflection, TLS when configured, and health answers that follow readiness.
"""

import threading
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from django.conf import settings
from django.core.management.base import CommandError
from django.db import close_old_connections
from django.utils.module_loading import import_string
from grpc_health.v1 import health, health_pb2

from common.grpc_interceptors import server_interceptors
from common.grpc_server import drain, listen_address, new_server, start_server
from common.health import readiness

READINESS_INTERVAL_SEC = 5.0


def tls_credentials(cert_file: str, key_file: str) -> grpc.ServerCredentials | None:
    """Server credentials from PEM files when both are configured; None means plaintext."""
    if not cert_file and not key_file:
        return None
    if not (cert_file and key_file):
        raise CommandError("TLS needs both GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE.")
    try:
        pair = (Path(key_file).read_bytes(), Path(cert_file).read_bytes())
    except OSError as error:
        raise CommandError(f"cannot read the TLS certificate or key: {error}") from error
    return grpc.ssl_server_credentials([pair])


def watch_readiness(
    health_servicer: health.HealthServicer,
    stop: threading.Event,
    service_names: list[str],
    interval: float = READINESS_INTERVAL_SEC,
) -> None:
    """Keep grpc.health.v1 answering SERVING only while the database and the cache answer.

    Runs on its own thread until ``stop`` is set; its database connection is closed after each
    check, so a restarted database is picked up on the next round.
    """
    while True:
        try:
            ready = readiness().ready
        finally:
            close_old_connections()
        status = health_pb2.HealthCheckResponse.SERVING if ready else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ("", *service_names):
            health_servicer.set(name, status)
        if stop.wait(interval):
            return


@dataclass
class CoreService:
    """A started CoreDictService server: its bound port, health servicer and readiness watcher."""

    server: grpc.Server
    port: int
    health: health.HealthServicer
    tls: bool
    stop_watching: threading.Event = field(default_factory=threading.Event)

    def stop(self, grace: float) -> None:
        """Drain (health NOT_SERVING, no new calls, in-flight ones get ``grace`` seconds), then stop watching."""
        try:
            drain(self.server, self.health, grace=grace)
        finally:
            self.stop_watching.set()


def start_core_service(*, host: str, port: int, workers: int) -> CoreService:
    """Build, start and watch the CoreDictService server on ``host:port`` (0: any free port)."""
    credentials = tls_credentials(settings.GRPC_TLS_CERT_FILE, settings.GRPC_TLS_KEY_FILE)
    server = new_server(workers=workers, interceptors=server_interceptors())
    service_names = import_string(settings.GRPC_FRAMEWORK["ROOT_HANDLERS_HOOK"])(server)
    bound, health_servicer = start_server(
        server, address=listen_address(host, port), service_names=service_names, credentials=credentials
    )
    service = CoreService(server=server, port=bound, health=health_servicer, tls=credentials is not None)
    watcher = threading.Thread(
        target=watch_readiness,
        args=(health_servicer, service.stop_watching, service_names),
        name="grpc-readiness",
        daemon=True,
    )
    watcher.start()
    return service
