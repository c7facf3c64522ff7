"""Connect over mutual TLS, as DICT is reached: our client certificate and the gateway's CA, from settings.

The directory here is dictsim's Connect servicer behind a TLS port that requires a client certificate
(certificates made by openssl for the test).
"""

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import grpc
import pytest
from django.core.exceptions import ImproperlyConfigured

from common.grpc_server import new_server
from connect.checks import check_tls_files
from connect.client import get_client
from connect.tls import channel_credentials
from dict_rules.errors import ServiceUnavailable
from dictsim.grpc import ConnectServicer
from protos.dict.connect.v1 import connect_pb2_grpc
from tests.e2e_support import self_signed_certificate

pytestmark = pytest.mark.django_db(transaction=True)  # the servicer's threads read dictsim's clock


@pytest.fixture
def gateway(tmp_path, server_threads_close_their_connections) -> Iterator[tuple[int, dict[str, Path]]]:
    """A TLS-only Connect port that admits our client certificate alone; yields its port and the PEM files."""
    server_cert, server_key = self_signed_certificate(tmp_path, "gateway")
    client_cert, client_key = self_signed_certificate(tmp_path, "psp")
    server = new_server(workers=2)
    connect_pb2_grpc.add_ConnectServiceServicer_to_server(ConnectServicer(), server)
    credentials = grpc.ssl_server_credentials(
        [(server_key.read_bytes(), server_cert.read_bytes())],
        root_certificates=client_cert.read_bytes(),
        require_client_auth=True,
    )
    port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    yield port, {"ca": server_cert, "cert": client_cert, "key": client_key}
    server.stop(None).wait()


def use_gateway(settings, port: int, **files: Path | str) -> None:
    settings.CONNECT_URL = f"localhost:{port}"
    settings.CONNECT_RETRY_ATTEMPTS = 1
    settings.CONNECT_TLS_CA_FILE = str(files.get("ca", ""))
    settings.CONNECT_TLS_CERT_FILE = str(files.get("cert", ""))
    settings.CONNECT_TLS_KEY_FILE = str(files.get("key", ""))
    get_client.cache_clear()


@pytest.fixture(autouse=True)
def fresh_client() -> Iterator[None]:
    get_client.cache_clear()
    yield
    get_client.cache_clear()


def test_the_directory_client_speaks_mutual_tls_from_settings(settings, gateway) -> None:
    port, files = gateway
    use_gateway(settings, port, **files)
    assert get_client().health().tzinfo is UTC


@pytest.mark.parametrize("left_out", ["cert_and_key", "everything"])
def test_without_our_certificate_the_gateway_does_not_answer(settings, gateway, left_out: str) -> None:
    port, files = gateway
    use_gateway(settings, port, **({"ca": files["ca"]} if left_out == "cert_and_key" else {}))
    with pytest.raises(ServiceUnavailable):
        get_client().health()


def test_half_a_client_certificate_or_a_missing_file_is_a_configuration_error(tmp_path) -> None:
    with pytest.raises(ImproperlyConfigured, match="go together"):
        channel_credentials(ca_file="", cert_file="/etc/psp.pem", key_file="")
    with pytest.raises(ImproperlyConfigured, match="CONNECT_TLS_CA_FILE cannot be read"):
        channel_credentials(ca_file=str(tmp_path / "missing.pem"), cert_file="", key_file="")
    assert channel_credentials(ca_file="", cert_file="", key_file="") is None


def test_a_half_configured_tls_fails_the_start_up_checks(settings) -> None:
    settings.CONNECT_URL = "dict.example:443"
    settings.CONNECT_TLS_CERT_FILE = "/etc/psp.pem"
    assert [error.id for error in check_tls_files()] == ["connect.E001"]
    settings.CONNECT_TLS_CERT_FILE = ""
    assert check_tls_files() == []
