"""LookupKey over REST at a fixed concurrency: own keys (cache hit), other participants' keys (via
the dictsim gRPC server, 100k entries), and a bare Django JSON view (/healthz) as the baseline,
all measured in the same run by the same client.

    python -m bench.lookup_bench [--entries 100000] [--concurrency 8] [--seconds 10]

Needs PostgreSQL and Redis (BENCH_PG_URL, BENCH_REDIS_URL; defaults are this machine's). The
databases bench_dictsim and bench_core are created once and reused, so seeding happens once.
The anti-scan buckets and the per-client limit are raised for the run (one payer makes every
request); everything else is the production code path.
"""

import argparse
import random
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import psycopg

from bench import loadgen
from dictsim.synthetic import is_legal_person, seed_key
from tests.e2e_support import ROOT, Instance, base_env, call, free_port, gunicorn, outbox_env, running
from tests.loopback_env import loopback_env

OWN_KEY = "bench.own@example.com"


def ensure_database(server_url: str, name: str) -> str:
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url}/{name}"


def manage(env: dict[str, str], *args: str) -> None:
    print(f"  manage.py {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare(stack: ExitStack, *, entries: int, workers: int) -> tuple[str, dict[str, str], str]:
    """Databases, seeding, run_dictsim and gunicorn (closed with ``stack``), our own key in place.

    Returns the REST base URL, the Core DICT environment and a payer's (bob's) access token.
    """
    pg = base_env().get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    redis = base_env().get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
    dictsim_port, web_port = free_port(), free_port()
    loopback = loopback_env()  # the processes share one throwaway key, on plain HTTP
    dictsim_env = base_env(**loopback, DATABASE_URL=ensure_database(pg, "bench_dictsim"), REDIS_URL=redis)
    outbox = Path(stack.enter_context(tempfile.TemporaryDirectory()))  # where possession codes are delivered
    core_env = base_env(
        **loopback,
        **outbox_env(outbox),
        DATABASE_URL=ensure_database(pg, "bench_core"),
        REDIS_URL=redis,
        CELERY_TASK_ALWAYS_EAGER="1",
        CONNECT_URL=f"127.0.0.1:{dictsim_port}",
        DICT_ISPB="12345678",
        RATE_LIMIT_RPS="0",
        LOG_LEVEL="WARNING",
        LOOKUP_PAYER_NATURAL_CAPACITY="1000000000",
        LOOKUP_PSP_CATEGORY="A",
    )
    print("preparing (migrations, seeding; the first run takes a minute or two)", flush=True)
    manage(dictsim_env, "migrate", "--noinput", "-v", "0")
    manage(dictsim_env, "dictsim_seed", "--count", str(entries))
    manage(core_env, "migrate", "--noinput", "-v", "0")
    manage(core_env, "seed_demo")
    dictsim = [sys.executable, "manage.py", "run_dictsim", "--bind", f"127.0.0.1:{dictsim_port}", "--workers", "32"]
    stack.enter_context(running(dictsim, dictsim_env, dictsim_port))
    web = gunicorn(core_env, web_port)
    web[web.index("--workers") + 1] = str(workers)
    stack.enter_context(running(web, core_env, web_port))
    base = f"http://127.0.0.1:{web_port}"
    alice = call("POST", f"{base}/api/v1/auth/token/", {"username": "alice", "password": "alice-demo-pass"})[1]
    token = call("POST", f"{base}/api/v1/auth/token/", {"username": "bob", "password": "bob-demo-pass"})[1]["access"]
    account = call("GET", f"{base}/api/v1/accounts/", token=alice["access"])[1]["results"][0]["id"]
    body = {"account_id": account, "key_type": "EMAIL", "key_value": OWN_KEY, "request_id": _fixed_request_id()}
    held = call("GET", f"{base}/api/v1/keys/?key_type=EMAIL", token=alice["access"])[1]["results"]
    if not any(key["key_value"] == OWN_KEY for key in held):  # a first run: prove possession, as a customer does
        body["possession_challenge_id"] = Instance(core_env, base, outbox).prove(alice["access"], "EMAIL", OWN_KEY)
    call("POST", f"{base}/api/v1/keys/", body, alice["access"])
    return base, core_env, token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    with ExitStack() as stack:
        base, _, token = prepare(stack, entries=args.entries, workers=args.workers)
        web_port = int(base.rsplit(":", 1)[1])
        natural = [seed_key(i)[1] for i in range(args.entries) if not is_legal_person(i)]
        headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}

        def scenario(name: str, path) -> loadgen.Result:
            result = loadgen.run(
                name,
                lambda i: loadgen.http_get("127.0.0.1", web_port, path, headers),
                concurrency=args.concurrency,
                seconds=args.seconds,
            )
            print(f"  {name}: {result.rps:.0f} req/s", flush=True)
            return result

        rng = random.Random(7)  # noqa: S311 - picking keys, not secrets
        results = [
            scenario("baseline /healthz", lambda: "/healthz"),
            scenario("lookup own key (cache)", lambda: f"/api/v1/lookup/{OWN_KEY}/"),
            scenario("lookup other PSP (gRPC)", lambda: f"/api/v1/lookup/{rng.choice(natural)}/"),
        ]
    print()
    print(
        f"{args.entries} directory entries, concurrency {args.concurrency}, {args.seconds:.0f} s per scenario, "
        f"gunicorn {args.workers} workers x 4 threads, on {Path('/proc/cpuinfo').read_text().count('processor')} cores"
    )
    print(loadgen.report(results, "baseline /healthz"))


def _fixed_request_id() -> str:
    """The own key is created once; a fixed request id makes re-runs idempotent."""
    return "0b9b5f4e-2a43-4a4e-9d0e-000000000001"


if __name__ == "__main__":
    main()
