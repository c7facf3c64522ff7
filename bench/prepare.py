"""The bench's one-time setup: databases seeded once and reused, our own key in place, acme's accounts.

bench_dictsim holds ``--entries`` synthetic entries of other PSPs (seeded once: a re-run adds only
what is missing), bench_core the demo users; both on BENCH_PG_URL, with Redis at BENCH_REDIS_URL
(db 7). The anti-scan buckets and the per-client limit are raised, since one payer makes every
request, and tokens live for a day, since a run outlasts the default 15 minutes; everything else is
Core DICT as configured by default.
"""

import csv
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.e2e_support import ROOT, Instance, base_env, call, free_port, gunicorn, outbox_env, running
from tests.loopback_env import loopback_env

OWN_KEY = "bench.own@example.com"
OWN_KEY_REQUEST_ID = "0b9b5f4e-2a43-4a4e-9d0e-000000000001"  # fixed: the key is created once, re-runs replay
ACME = {"tax_id": "11222333000181", "name": "ACME COMERCIO DE ALIMENTOS LTDA", "trade_name": "ACME"}
LEGAL_PERSON_KEYS = 20  # a legal person's account holds at most 20 live keys


@dataclass(frozen=True)
class Prepared:
    core_env: dict[str, str]
    base: str  # Core DICT's REST, running until the stack closes
    web: subprocess.Popen
    dictsim_port: int
    dictsim: subprocess.Popen
    payer_token: str  # bob's: every lookup's payer


def ensure_database(server_url: str, name: str) -> str:
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url}/{name}"


def manage(env: dict[str, str], *args: str) -> None:
    print(f"  manage.py {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare(stack: ExitStack, *, entries: int, web_workers: int, logs: Path) -> Prepared:
    """Databases, seeding, run_dictsim and Core DICT's gunicorn (closed with ``stack``), our own key in place."""
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
        JWT_ACCESS_TTL_SEC="86400",
        LOOKUP_PAYER_NATURAL_CAPACITY="1000000000",
        LOOKUP_PSP_CATEGORY="A",
    )
    print("preparing (migrations, seeding; the first run takes a minute or two)", flush=True)
    manage(dictsim_env, "migrate", "--noinput", "-v", "0")
    manage(dictsim_env, "dictsim_seed", "--count", str(entries), "--no-progress")
    manage(core_env, "migrate", "--noinput", "-v", "0")
    manage(core_env, "seed_demo")
    dictsim_args = [
        sys.executable,
        "manage.py",
        "run_dictsim",
        "--bind",
        f"127.0.0.1:{dictsim_port}",
        "--workers",
        "32",
    ]
    dictsim = stack.enter_context(running(dictsim_args, dictsim_env, dictsim_port, log=logs / "dictsim.log"))
    web_args = gunicorn(core_env, web_port)
    web_args[web_args.index("--workers") + 1] = str(web_workers)
    web = stack.enter_context(running(web_args, core_env, web_port, log=logs / "core-rest.log"))
    base = f"http://127.0.0.1:{web_port}"
    instance = Instance(core_env, base, outbox)
    alice = instance.token("alice")
    account = call("GET", f"{base}/api/v1/accounts/", token=alice)[1]["results"][0]["id"]
    body = {"account_id": account, "key_type": "EMAIL", "key_value": OWN_KEY, "request_id": OWN_KEY_REQUEST_ID}
    held = call("GET", f"{base}/api/v1/keys/?key_type=EMAIL", token=alice)[1]["results"]
    if not any(key["key_value"] == OWN_KEY for key in held):  # a first run: prove possession, as a customer does
        body["possession_challenge_id"] = instance.prove(alice, "EMAIL", OWN_KEY)
        call("POST", f"{base}/api/v1/keys/", body, alice)
    return Prepared(core_env, base, web, dictsim_port, dictsim, instance.token("bob"))


def accounts_for_creates(prepared: Prepared, run_tag: str, count: int) -> tuple[str, list[int]]:
    """Import ``count`` fresh accounts for acme (a legal person); returns acme's token and their ids."""
    numbers = {f"8{run_tag}{n:05d}" for n in range(count)}
    with tempfile.NamedTemporaryFile("w", suffix=".csv", newline="") as export:
        writer = csv.DictWriter(
            export, fieldnames=[*ACME, "branch", "number", "account_type", "opening_date", "username"]
        )
        writer.writeheader()
        for number in sorted(numbers):
            row = {"branch": "0001", "number": number, "account_type": "CACC", "opening_date": "2024-01-02"}
            writer.writerow(ACME | row | {"username": "acme"})
        export.flush()
        manage(prepared.core_env, "import_accounts", export.name)
    token = Instance(prepared.core_env, prepared.base).token("acme")
    ids, url = [], f"{prepared.base}/api/v1/accounts/?page_size=100"
    while url:
        page = call("GET", url, token=token)[1]
        ids += [account["id"] for account in page["results"] if account["number"] in numbers]
        url = page["next"]
    return token, ids
