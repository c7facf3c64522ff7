"""Container health checks with what the image already has (no curl, no grpc_health_probe).

    python deploy/probe.py http /healthz 8000   # HTTP 200 from the web process
    python deploy/probe.py grpc 9090            # grpc.health.v1 says SERVING

Exit status 0 means healthy. It imports no Django, so a check costs a few milliseconds of
interpreter start-up rather than the app's.
"""

import sys
import urllib.error
import urllib.request

TIMEOUT_SEC = 3


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Probes are answered before any HTTPS redirect (common.health.ProbeMiddleware): a redirect
    means that broke, so fail on it instead of following it to a port that speaks no TLS."""

    def redirect_request(self, *args, **kwargs):
        return None


def http_ok(path: str, port: int) -> bool:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=TIMEOUT_SEC) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError) as error:
        print(f"probe: GET {path} failed: {error}", file=sys.stderr)
        return False


def grpc_serving(port: int, service: str = "") -> bool:
    import grpc  # only the gRPC check pays for importing grpcio
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            answer = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=TIMEOUT_SEC)
        except grpc.RpcError as error:
            print(f"probe: gRPC health check failed: {error.code()}", file=sys.stderr)
            return False
    return answer.status == health_pb2.HealthCheckResponse.SERVING


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "http":
        return 0 if http_ok(argv[1], int(argv[2])) else 1
    if len(argv) == 2 and argv[0] == "grpc":
        return 0 if grpc_serving(int(argv[1])) else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
