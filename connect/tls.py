"""TLS to the Connect gateway: the server's CA and, for mutual TLS, our client certificate and key.

DICT is reached only over mutual TLS (the PSP's ICP-Brasil certificate), so a deployment names PEM
files and the channel is encrypted; with none of them set the channel is plaintext, as to dictsim in
tests and the two-PSP demo.
"""

from pathlib import Path

import grpc
from django.core.exceptions import ImproperlyConfigured


def _read(name: str, path: str) -> bytes | None:
    if not path:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise ImproperlyConfigured(f"{name} cannot be read ({path}): {error.strerror}") from error


def channel_credentials(*, ca_file: str, cert_file: str, key_file: str) -> grpc.ChannelCredentials | None:
    """TLS credentials from the CONNECT_TLS_* files; None (plaintext) when none is set.

    A client certificate needs its key and the other way round; without a CA file the system's roots apply.
    """
    if not (ca_file or cert_file or key_file):
        return None
    if bool(cert_file) != bool(key_file):
        raise ImproperlyConfigured("CONNECT_TLS_CERT_FILE and CONNECT_TLS_KEY_FILE go together (mutual TLS)")
    return grpc.ssl_channel_credentials(
        root_certificates=_read("CONNECT_TLS_CA_FILE", ca_file),
        private_key=_read("CONNECT_TLS_KEY_FILE", key_file),
        certificate_chain=_read("CONNECT_TLS_CERT_FILE", cert_file),
    )
