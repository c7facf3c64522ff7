"""LookupKey and CreateKey over gRPC at a fixed concurrency, against a bare grpcio echo servicer
as the baseline, measured in the same run by the same client.

    python -m bench.grpc_bench [--entries 100000] [--concurrency 8] [--seconds 10]

Reuses lookup_bench's databases (bench_dictsim, bench_core) and setup; starts run_dictsim,
`manage.py grpcserver` (all interceptors on) and `python -m bench.echo_server` (no Django, no
interceptors) as separate processes. The anti-scan buckets and the per-client limit are raised
for the run, since one payer makes every request.

CreateKey runs the whole use case: checks and the insert here, then the registration at the
directory (run_dictsim, over Connect's gRPC) before the answer, since Celery runs eagerly. Each
run imports fresh accounts for acme (a legal person: 20 keys each) and spreads the new e-mail
keys over them round robin, so concurrent calls do not queue on one account's row lock.
"""

import argparse
import csv
import itertools
import random
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack

import grpc

from bench import loadgen
from bench.lookup_bench import OWN_KEY, manage, prepare
from dictsim.synthetic import is_legal_person, seed_key
from protos.dict.core.v1 import core_dict_pb2 as pb
from protos.dict.core.v1 import core_dict_pb2_grpc
from tests.e2e_support import call, free_port, running

ECHO_METHOD = "/bench.Echo/Echo"
CREATE_ACCOUNTS = 300  # x 20 keys: more than a run at a few hundred creates a second can use
ACME = {"tax_id": "11222333000181", "name": "ACME COMERCIO DE ALIMENTOS LTDA", "trade_name": "ACME"}


def accounts_for_creates(base: str, core_env: dict[str, str], run_tag: str) -> tuple[str, list[int]]:
    """Import this run's accounts for acme; returns acme's token and the new accounts' ids."""
    numbers = {f"8{run_tag}{n:04d}" for n in range(CREATE_ACCOUNTS)}
    with tempfile.NamedTemporaryFile("w", suffix=".csv", newline="") as export:
        writer = csv.DictWriter(
            export, fieldnames=[*ACME, "branch", "number", "account_type", "opening_date", "username"]
        )
        writer.writeheader()
        for number in sorted(numbers):
            row = {"branch": "0001", "number": number, "account_type": "CACC", "opening_date": "2024-01-02"}
            writer.writerow(ACME | row | {"username": "acme"})
        export.flush()
        manage(core_env, "import_accounts", export.name)
    token = call("POST", f"{base}/api/v1/auth/token/", {"username": "acme", "password": "acme-demo-pass"})[1]["access"]
    ids, url = [], f"{base}/api/v1/accounts/?page_size=100"
    while url:
        page = call("GET", url, token=token)[1]
        ids += [account["id"] for account in page["results"] if account["number"] in numbers]
        url = page["next"]
    return token, ids


def grpc_call(port: int, invoke) -> loadgen.Call:
    """One channel per worker thread; a call is OK when it returns without an RpcError or False."""
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    grpc.channel_ready_future(channel).result(timeout=10)

    def call() -> bool:
        try:
            return invoke(channel) is not False
        except grpc.RpcError:
            return False

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

        run_tag = f"{int(time.time()) % 10**6:06d}"
        acme_token, accounts = accounts_for_creates(base, core_env, run_tag)
        created = itertools.count()  # next() is atomic under the GIL: each call a new key

        def create_key(channel: grpc.Channel) -> bool:
            n = next(created)
            request = pb.CreateKeyRequest(
                account_id=accounts[n % len(accounts)],
                key_type=pb.EVP,  # an e-mail key would need a possession challenge per key (and its send limits)
                request_id=str(uuid.uuid4()),
            )
            stub = core_dict_pb2_grpc.CoreDictServiceStub(channel)
            answer = stub.CreateKey(request, metadata=(("authorization", f"Bearer {acme_token}"),), timeout=30)
            return answer.entry.status == pb.ACTIVE

        scenarios = [
            ("baseline grpcio echo", echo_port, echo_invoke),
            ("LookupKey own key (cache)", grpc_port, lookup(lambda: OWN_KEY)),
            ("LookupKey other PSP (gRPC)", grpc_port, lookup(lambda: rng.choice(natural))),
            ("CreateKey (DICT registers)", grpc_port, create_key),
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
