"""Running a gRPC server: thread pool, standard health service, reflection, graceful SIGTERM.

Shared by `run_dictsim` (the Connect API), and by `grpcserver` and `serve` (the CoreDictService).
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


def listen_address(host: str, port: int) -> str:
    """``host:port`` as grpcio and gunicorn read it: an IPv6 host in brackets (``[::]:9090``)."""
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def new_server(*, workers: int, interceptors: Iterable[grpc.ServerInterceptor] = ()) -> grpc.Server:
    """A server with its thread pool and interceptors, to which servicers are then added.

    Without SO_REUSEPORT (grpcio sets it by default), so a port another server holds fails to bind
    instead of being silently shared: calls split between two processes would each see half the
    state an embedded `serve` keeps in memory (anti-scan buckets, payment records).
    """
    return grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grpc"),
        interceptors=list(interceptors),
        options=[("grpc.so_reuseport", 0)],
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


def drain(server: grpc.Server, health_servicer: health.HealthServicer, *, grace: float) -> None:
    """Answer NOT_SERVING to health checks, take no new calls, and let in-flight ones finish within ``grace``."""
    logger.info("draining gRPC calls (grace %.0fs)", grace)
    health_servicer.enter_graceful_shutdown()
    server.stop(grace).wait()


def stop_requested() -> threading.Event:
    """The event SIGTERM or SIGINT sets, from now on. Installed before the server listens: a signal
    that comes while it starts (an orchestrator stopping a pod just scheduled) is then a clean stop,
    not the default action's exit without draining."""
    stopping = threading.Event()

    def on_signal(signum: int, frame) -> None:
        logger.info("signal %s: stopping", signum)
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return stopping


def wait_for_signal(stopping: threading.Event | None = None) -> None:
    """Block until SIGTERM or SIGINT (the handlers ``stopping`` came from, or installed now)."""
    stopping = stopping or stop_requested()
    # Timed: Python runs handlers on the main thread, but the kernel may hand the signal to another one
    # (grpc's, the metrics server's), which does not wake an untimed wait. A timed one checks each second.
    while not stopping.wait(timeout=1.0):
        pass


def serve_until_signalled(server: grpc.Server, health_servicer: health.HealthServicer, *, grace: float) -> None:
    """Block until SIGTERM/SIGINT, then drain."""
    wait_for_signal()
    drain(server, health_servicer, grace=grace)
