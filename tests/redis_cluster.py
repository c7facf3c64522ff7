"""A real Redis Cluster on this machine, for tests that must prove a script runs on one (issue 16).

Three ``redis-server`` processes in cluster mode, joined by ``redis-cli --cluster create`` with no
replicas: each node owns a third of the 16384 slots, so keys of different slots land on different
nodes, and the cluster refuses a script whose keys span slots, as a deployment's would. The servers
log to files in the given directory (never a pipe nobody reads) and are killed when the block ends,
however it ends. No binaries is a failure, not a skip: CI must run these tests.
"""

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis import Redis
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError

NODES = 3
BUS_PORT_OFFSET = 10000  # Redis's cluster bus listens on port + 10000
START_TIMEOUT_SEC = 10.0


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} not found: the Redis Cluster tests need redis-server and redis-cli "
            "(Debian's redis-server package, which brings redis-tools)",
            pytrace=False,
        )
    return path


def _port_pairs_free(count: int) -> list[int]:
    """``count`` ports free now whose cluster bus ports are free too (the OS picks them; not a guess)."""
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + BUS_PORT_OFFSET > 65535 or port in ports or port + BUS_PORT_OFFSET in ports:
            continue
        with socket.socket() as bus, contextlib.suppress(OSError):
            bus.bind(("127.0.0.1", port + BUS_PORT_OFFSET))
            ports.append(port)
    return ports


def _log_tail(directory: Path) -> str:
    return "\n".join(f"--- {log.name}\n{log.read_text()[-2000:]}" for log in sorted(directory.glob("redis-*.log")))


def _wait(condition: Callable[[], bool], what: str, directory: Path, processes: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SEC
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            pytest.fail(f"a redis-server exited while waiting for {what}\n{_log_tail(directory)}", pytrace=False)
        with contextlib.suppress(RedisConnectionError):
            if condition():
                return
        time.sleep(0.05)
    pytest.fail(f"Redis Cluster: no {what} within {START_TIMEOUT_SEC} s\n{_log_tail(directory)}", pytrace=False)


def _start_node(server: str, port: int, directory: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            server,
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--cluster-enabled", "yes",
            "--cluster-config-file", str(directory / f"nodes-{port}.conf"),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--logfile", str(directory / f"redis-{port}.log"),
        ],
        cwd=directory,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _all_ok(nodes: list[Redis]) -> bool:
    return all(node.cluster("INFO")["cluster_state"] == "ok" for node in nodes)


@contextlib.contextmanager
def redis_cluster(directory: Path) -> Iterator[RedisCluster]:
    """A running 3-node cluster (its files in ``directory``) and a client of it; every node is stopped at the end."""
    server, cli = _binary("redis-server"), _binary("redis-cli")
    ports = _port_pairs_free(NODES)
    processes: list[subprocess.Popen] = []
    nodes = [Redis(host="127.0.0.1", port=port, socket_timeout=2) for port in ports]
    client: RedisCluster | None = None
    try:
        processes += [_start_node(server, port, directory) for port in ports]
        _wait(lambda: all(node.ping() for node in nodes), "answer from every node", directory, processes)
        created = subprocess.run(
            [cli, "--cluster", "create", *(f"127.0.0.1:{port}" for port in ports)]
            + ["--cluster-replicas", "0", "--cluster-yes"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if created.returncode != 0:
            pytest.fail(f"redis-cli --cluster create failed:\n{created.stdout}{created.stderr}", pytrace=False)
        _wait(lambda: _all_ok(nodes), "cluster_state:ok on every node", directory, processes)
        client = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", port) for port in ports], socket_timeout=2)
        yield client
    finally:
        if client is not None:
            client.close()
        for node in nodes:
            node.close()
        _stop(processes)
