"""A bare grpcio server that echoes bytes: the floor of any gRPC call (no Django, no work)."""

import argparse

import grpc

from bench.bare import serve


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=10)
    args = parser.parse_args()
    handler = grpc.method_handlers_generic_handler(
        "bench.Echo", {"Echo": grpc.unary_unary_rpc_method_handler(lambda request, context: request)}
    )
    serve(lambda server: server.add_generic_rpc_handlers([handler]), args.port, args.workers)


if __name__ == "__main__":
    main()
