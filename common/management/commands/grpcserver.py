"""Serve the CoreDictService over gRPC: interceptors, TLS, reflection, readiness-driven health, SIGTERM.

The services come from the root handlers hook that ``settings.GRPC_FRAMEWORK["ROOT_HANDLERS_HOOK"]``
names (django-grpc-framework's convention), so the kernel imports no app. That library's own
`grpcrunserver` is not used: it fails on Django >= 4.1 (STACK_NOTES).
"""

import logging
import threading
from pathlib import Path

import grpc
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils.module_loading import import_string
from grpc_health.v1 import health, health_pb2

from common.grpc_interceptors import server_interceptors, start_metrics_server
from common.grpc_server import new_server, serve_until_signalled, start_server
from common.health import readiness

logger = logging.getLogger(__name__)

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


class Command(BaseCommand):
    help = "Run the CoreDictService gRPC server (GRPC_PORT, GRPC_WORKERS, TLS when GRPC_TLS_* are set)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="0.0.0.0", help="interface to listen on")  # noqa: S104
        parser.add_argument("--port", type=int, default=settings.GRPC_PORT, help="port (0: any free one)")
        parser.add_argument("--workers", type=int, default=settings.GRPC_WORKERS, help="thread pool size")
        parser.add_argument("--grace", type=float, default=10.0, help="seconds in-flight calls get on SIGTERM")
        parser.add_argument(
            "--metrics-port", type=int, default=settings.GRPC_METRICS_PORT, help="Prometheus /metrics port (0: off)"
        )

    def handle(self, *args, host: str, port: int, workers: int, grace: float, metrics_port: int, **options) -> None:
        credentials = tls_credentials(settings.GRPC_TLS_CERT_FILE, settings.GRPC_TLS_KEY_FILE)
        if metrics_port:
            start_metrics_server(metrics_port)
        server = new_server(workers=workers, interceptors=server_interceptors())
        service_names = import_string(settings.GRPC_FRAMEWORK["ROOT_HANDLERS_HOOK"])(server)
        bound, health_servicer = start_server(
            server, address=f"{host}:{port}", service_names=service_names, credentials=credentials
        )
        stop = threading.Event()
        watcher = threading.Thread(
            target=watch_readiness, args=(health_servicer, stop, service_names), name="grpc-readiness", daemon=True
        )
        watcher.start()
        scheme = "TLS" if credentials else "plaintext"
        self.stdout.write(f"CoreDictService serving on {host}:{bound} ({scheme}, {workers} workers)")
        self.stdout.flush()
        try:
            serve_until_signalled(server, health_servicer, grace=grace)
        finally:
            stop.set()
