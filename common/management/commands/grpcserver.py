"""Serve the CoreDictService over gRPC: interceptors, TLS, reflection, readiness-driven health, SIGTERM.

The server is assembled by ``common.core_grpc`` (shared with `serve`). django-grpc-framework's
own `grpcrunserver` is not used: it fails on Django >= 4.1 (STACK_NOTES).
"""

import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from common.core_grpc import start_core_service
from common.grpc_interceptors import start_metrics_server
from common.grpc_server import stop_requested, wait_for_signal

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the CoreDictService gRPC server (GRPC_BIND, GRPC_PORT, GRPC_WORKERS, TLS when GRPC_TLS_* are set)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.GRPC_BIND, help="interface to listen on (GRPC_BIND)")
        parser.add_argument("--port", type=int, default=settings.GRPC_PORT, help="port (0: any free one)")
        parser.add_argument("--workers", type=int, default=settings.GRPC_WORKERS, help="thread pool size")
        parser.add_argument("--grace", type=float, default=10.0, help="seconds in-flight calls get on SIGTERM")
        parser.add_argument(
            "--metrics-port", type=int, default=settings.GRPC_METRICS_PORT, help="Prometheus /metrics port (0: off)"
        )

    def handle(self, *args, host: str, port: int, workers: int, grace: float, metrics_port: int, **options) -> None:
        stopping = stop_requested()
        if metrics_port:
            start_metrics_server(metrics_port, addr=settings.METRICS_BIND)
        service = start_core_service(host=host, port=port, workers=workers)
        scheme = "TLS" if service.tls else "plaintext"
        logger.info("CoreDictService serving on %s:%s (%s, %s workers)", host, service.port, scheme, workers)
        wait_for_signal(stopping)
        service.stop(grace)
