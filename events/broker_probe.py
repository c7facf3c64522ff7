"""Whether the Pulsar broker answers, for the probes of every process (/readyz, the gRPC HealthCheck).

A TCP connection to one of PULSAR_URL's hosts within PROBE_TIMEOUT_SEC: cheap, bounded, and no
Pulsar client in processes that never publish. It is reported, never required: the web keeps
taking requests while Pulsar is down, since events wait in the table until the relay can publish.
"""

import socket
import time
from urllib.parse import urlsplit

from django.conf import settings

PROBE_TIMEOUT_SEC = 0.5  # for all hosts together
DEFAULT_PORTS = {"pulsar": 6650, "pulsar+ssl": 6651}


def broker_addresses(url: str) -> list[tuple[str, int]]:
    """``pulsar://a:6650,b:6650`` -> [("a", 6650), ("b", 6650)]; a host without a port gets its scheme's."""
    scheme, _, rest = url.partition("://")
    hosts = rest.split("/", 1)[0]
    addresses = []
    for host in hosts.split(","):
        parts = urlsplit(f"//{host}")
        if parts.hostname:
            addresses.append((parts.hostname, parts.port or DEFAULT_PORTS.get(scheme, 6650)))
    return addresses


def pulsar_state() -> str:
    """ "ok" when a broker of PULSAR_URL takes a connection in time, else "unavailable"."""
    deadline = time.monotonic() + PROBE_TIMEOUT_SEC
    for address in broker_addresses(settings.PULSAR_URL):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            socket.create_connection(address, timeout=remaining).close()
            return "ok"
        except OSError:
            continue
    return "unavailable"
