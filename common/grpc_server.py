"""Running a gRPC server: thread pool, standard health service, reflection, graceful SIGTERM.

Shared by `run_dictsim` (the Connect API) and `grpcserver` (the CoreDictService).
"""

import logging
import signal
import threading
from collections.abc import Callable, Iterable
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

logger = logging.getLogger(__name__)


def new_server(*, workers: int, interceptors: Iterable[grpc.ServerInterceptor] = ()) -> grpc.Server:
    """A server with its thread pool and interceptors, to which servicers are then added."""
    return grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grpc"), interceptors=list(interceptors)
    )


def start_server(
    server: grpc.Server,
    *,
    address: str,
    service_names: Iterable[str],
    credentials: grpc.ServerCredentials | None = None,
) -> tuple[int, health.HealthServicer]:
    """Add health (all SERVING) and reflection, bind and start; returns the bound port and the health servicer.

    With ``credentials`` (grpc.ssl_server_credentials) the port speaks TLS, otherwise plaintext.
    """
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = list(service_names)
    for name in [*names, ""]:
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection([*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    # grpcio raises RuntimeError if it cannot bind
    port = server.add_secure_port(address, credentials) if credentials else server.add_insecure_port(address)
    server.start()
    return port, health_servicer


def build_server(
    *,
    address: str,
    workers: int,
    register: Iterable[Callable[[grpc.Server], object]],
    service_names: Iterable[str],
    interceptors: Iterable[grpc.ServerInterceptor] = (),
    credentials: grpc.ServerCredentials | None = None,
) -> tuple[grpc.Server, int, health.HealthServicer]:
    """new_server, the given servicers, then start_server: a started server, its port and health servicer."""
    server = new_server(workers=workers, interceptors=interceptors)
    for add in register:
        add(server)
    port, health_servicer = start_server(server, address=address, service_names=service_names, credentials=credentials)
    return server, port, health_servicer


def serve_until_signalled(server: grpc.Server, health_servicer: health.HealthServicer, *, grace: float) -> None:
    """Block until SIGTERM/SIGINT, then stop taking calls and let in-flight ones finish."""
    stopping = threading.Event()

    def on_signal(signum: int, frame) -> None:
        logger.info("signal %s: draining gRPC calls (grace %.0fs)", signum, grace)
        health_servicer.enter_graceful_shutdown()
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stopping.wait()
    server.stop(grace).wait()
