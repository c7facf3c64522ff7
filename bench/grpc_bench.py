"""LookupKey over gRPC at a fixed concurrency, against a bare grpcio echo servicer as the baseline,
measured in the same run by the same client.

    python -m bench.grpc_bench [--entries 100000] [--concurrency 8] [--seconds 10]

Reuses lookup_bench's databases (bench_dictsim, bench_core) and setup; starts run_dictsim,
`manage.py grpcserver` (all interceptors on) and `python -m bench.echo_server` (no Django, no
interceptors) as separate processes. The anti-scan buckets and the per-client limit are raised
for the run, since one payer makes every request.
"""

import argparse
import random
import sys
from contextlib import ExitStack

import grpc

from bench import loadgen
from bench.lookup_bench import OWN_KEY, prepare
from dictsim.synthetic import is_legal_person, seed_key
from protos.dict.core.v1 import core_dict_pb2 as pb
from protos.dict.core.v1 import core_dict_pb2_grpc
from tests.e2e_support import free_port, running

ECHO_METHOD = "/bench.Echo/Echo"


def grpc_call(port: int, invoke) -> loadgen.Call:
    """One channel per worker thread; a call is OK when it returns without an RpcError."""
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    grpc.channel_ready_future(channel).result(timeout=10)

    def call() -> bool:
        try:
            invoke(channel)
        except grpc.RpcError:
            return False
        return True

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    grpc_port, echo_port = free_port(), free_port()
    with ExitStack() as stack:
        base, core_env, token = prepare(stack, entries=args.entries, workers=1)
        server = [sys.executable, "manage.py", "grpcserver", "--host", "127.0.0.1", "--port", str(grpc_port)]
        server += ["--metrics-port", "0"]
        stack.enter_context(running(server, core_env, grpc_port))
        echo = [sys.executable, "-m", "bench.echo_server", "--port", str(echo_port)]
        stack.enter_context(running(echo, core_env, echo_port))
        metadata = (("authorization", f"Bearer {token}"),)
        natural = [seed_key(i)[1] for i in range(args.entries) if not is_legal_person(i)]
        rng = random.Random(11)  # noqa: S311 - picking keys, not secrets

        def lookup(key_of):
            def invoke(channel: grpc.Channel) -> None:
                stub = core_dict_pb2_grpc.CoreDictServiceStub(channel)
                stub.LookupKey(pb.LookupKeyRequest(key=key_of()), metadata=metadata, timeout=30)

            return invoke

        def echo_invoke(channel: grpc.Channel) -> None:
            channel.unary_unary(ECHO_METHOD)(b"ping", timeout=30)

        scenarios = [
            ("baseline grpcio echo", echo_port, echo_invoke),
            ("LookupKey own key (cache)", grpc_port, lookup(lambda: OWN_KEY)),
            ("LookupKey other PSP (gRPC)", grpc_port, lookup(lambda: rng.choice(natural))),
        ]
        results = []
        for name, port, invoke in scenarios:
            result = loadgen.run(
                name,
                lambda i, port=port, invoke=invoke: grpc_call(port, invoke),
                concurrency=args.concurrency,
                seconds=args.seconds,
            )
            print(f"  {name}: {result.rps:.0f} req/s", flush=True)
            results.append(result)
    print()
    print(f"{args.entries} directory entries, concurrency {args.concurrency}, {args.seconds:.0f} s per scenario")
    print(loadgen.report(results, "baseline grpcio echo"))


if __name__ == "__main__":
    main()
