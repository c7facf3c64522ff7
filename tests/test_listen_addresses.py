"""gRPC and metrics listen where GRPC_BIND and METRICS_BIND say: loopback unless told otherwise, as the web.

On Linux every 127.x.y.z is loopback: a listener on 0.0.0.0 answers 127.0.0.2 too, one on 127.0.0.1
does not. So these tests tell the interface a real process bound without leaving loopback.
"""

import socket
import subprocess
import sys

import pytest

from common.grpc_server import listen_address, new_server
from tests.e2e_support import embedded_env, free_port, running, wait_until

pytestmark = pytest.mark.e2e

OTHER_LOOPBACK = "127.0.0.2"


def accepts(host: str, port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((host, port)) == 0


def wait_listening(process: subprocess.Popen, host: str, port: int) -> None:
    wait_until(lambda: process.poll() is not None or accepts(host, port), f"{host}:{port} listening")
    assert process.poll() is None, "the process exited"


def test_grpcserver_and_its_metrics_listen_on_loopback_by_default(tmp_path) -> None:
    grpc_port, metrics_port = free_port(), free_port()
    command = [sys.executable, "manage.py", "grpcserver", "--port", str(grpc_port), "--metrics-port", str(metrics_port)]
    with running(command, embedded_env(tmp_path), log=tmp_path / "grpcserver.log") as process:
        for port in (grpc_port, metrics_port):
            wait_listening(process, "127.0.0.1", port)
            assert not accepts(OTHER_LOOPBACK, port)  # before: 0.0.0.0, every interface


def test_grpcserver_and_its_metrics_listen_where_the_settings_say(tmp_path) -> None:
    grpc_port, metrics_port = free_port(), free_port()
    env = embedded_env(tmp_path, GRPC_BIND=OTHER_LOOPBACK, METRICS_BIND=OTHER_LOOPBACK)
    command = [sys.executable, "manage.py", "grpcserver", "--port", str(grpc_port), "--metrics-port", str(metrics_port)]
    with running(command, env, log=tmp_path / "grpcserver.log") as process:
        for port in (grpc_port, metrics_port):
            wait_listening(process, OTHER_LOOPBACK, port)
            assert not accepts("127.0.0.1", port)


def test_serve_puts_grpc_and_metrics_where_the_settings_say_and_the_web_on_its_host(tmp_path) -> None:
    web_port, grpc_port, metrics_port = free_port(), free_port(), free_port()
    env = embedded_env(tmp_path, GRPC_BIND=OTHER_LOOPBACK, METRICS_BIND=OTHER_LOOPBACK)
    ports = ["--port", str(web_port), "--grpc-port", str(grpc_port), "--metrics-port", str(metrics_port)]
    command = [sys.executable, "manage.py", "serve", *ports]
    with running(command, env, log=tmp_path / "serve.log") as process:
        wait_listening(process, "127.0.0.1", web_port)
        assert not accepts(OTHER_LOOPBACK, web_port)
        for port in (grpc_port, metrics_port):
            wait_listening(process, OTHER_LOOPBACK, port)
            assert not accepts("127.0.0.1", port)


@pytest.mark.parametrize("host", ["::1", "127.0.0.1"])
def test_an_ipv6_interface_is_bracketed_so_grpc_can_bind_it(host: str) -> None:
    server = new_server(workers=1)
    try:
        assert server.add_insecure_port(listen_address(host, 0)) > 0  # grpcio raises on ":::0"
    finally:
        server.stop(None)
