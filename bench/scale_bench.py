"""Lookups as the directory and our own table grow: issue 16's target is a lookup p99 at 10M directory
entries no more than 1.5x the p99 at 10k. Also the plans of the hot queries at those sizes.

    python -m bench.scale_bench run [--sizes 10k,1m,10m] [--own 1000000] [--concurrency 8] [--seconds 5]
    python -m bench.scale_bench plans [--size 10m] [--what dictsim,core,sweep]

``run`` seeds each directory size once into its own database (scale_dictsim_10k, _1m, _10m:
``dictsim_seed``, COPY) and ``--own`` ACTIVE entries of ours over 200k holders once into scale_core
(COPY and INSERT ... SELECT), then for each size starts ``run_dictsim`` on that database and
gunicorn (2 workers x 4 threads) on scale_core, and measures REST lookups with the same client:
another PSP's natural-person keys picked at random over the whole directory (never cached: each one
is a gRPC call to the directory), and our own keys picked at random over the ``--own`` entries (a
few are cached). The anti-scan buckets and the per-client limit are raised: one payer makes every
request. ``plans`` runs the hot code paths once in-process (dictsim's GetEntry and CreateEntry on
a directory database, core's own-key lookup, a miss and CreateKey on scale_core, the claims
deadline sweep on sweep_bench's database), captures their SQL and prints EXPLAIN (ANALYZE, BUFFERS)
of each, replayed in a transaction rolled back (an INSERT a path committed: EXPLAIN alone).

Needs PostgreSQL and Redis (BENCH_PG_URL, SCALE_REDIS_URL; defaults are this machine's, Redis db 6).
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from bench import loadgen
from bench.prepare import ensure_database, manage
from dict_rules.tax_ids import cpf_from_base
from dictsim.synthetic import is_legal_person, seed_key
from tests.e2e_support import ROOT, base_env, call, free_port, gunicorn, running
from tests.loopback_env import loopback_env

SIZES = {"10k": 10_000, "1m": 1_000_000, "10m": 10_000_000}
OWN_PER_HOLDER = 5  # a natural person's limit: one account each, full
OWN_TAG = "SCALE OWN"  # the bulk holders' names start with it
ISPB = "12345678"
SWEEP_TASK = "claims.tasks.sweep"  # what beat runs every minute


def own_key(index: int) -> str:
    return f"scaleown{index}@example.com"


def pg_url() -> str:
    return base_env().get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


def redis_url() -> str:
    return base_env().get("SCALE_REDIS_URL", "redis://127.0.0.1:6379/6")


def core_env(**overrides: str) -> dict[str, str]:
    return base_env(
        **loopback_env(),
        DATABASE_URL=ensure_database(pg_url(), "scale_core"),
        REDIS_URL=redis_url(),
        CELERY_TASK_ALWAYS_EAGER="1",
        DICT_ISPB=ISPB,
        RATE_LIMIT_RPS="0",
        LOG_LEVEL="WARNING",
        LOOKUP_PAYER_NATURAL_CAPACITY="1000000000",
        LOOKUP_PSP_CATEGORY="A",
        **overrides,
    )


def dictsim_env(size: str) -> dict[str, str]:
    url = ensure_database(pg_url(), f"scale_dictsim_{size}")
    return base_env(**loopback_env(), DATABASE_URL=url, REDIS_URL=redis_url(), LOG_LEVEL="WARNING")


def _count(url: str, sql: str, params: dict | None = None) -> int:
    with psycopg.connect(url) as db:
        return db.execute(sql, params).fetchone()[0]


def prepare_directory(size: str) -> dict[str, str]:
    """The directory database of ``size`` entries, seeded once (a re-run only counts them)."""
    env = dictsim_env(size)
    manage(env, "migrate", "--noinput", "-v", "0")
    if _count(env["DATABASE_URL"], "SELECT count(*) FROM dictsim_direntry") < SIZES[size]:
        manage(env, "dictsim_seed", "--count", str(SIZES[size]), "--defer-indexes")  # nobody else uses it
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as db:
            db.execute("VACUUM ANALYZE dictsim_direntry")
    return env


def prepare_core(own: int) -> dict[str, str]:
    """scale_core: migrated, the demo users, and ``own`` ACTIVE entries of ours (once)."""
    env = core_env()
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo")
    url = env["DATABASE_URL"]
    held = _count(url, "SELECT count(*) FROM accounts_holder WHERE name LIKE %(tag)s", {"tag": f"{OWN_TAG}%"})
    if held * OWN_PER_HOLDER < own:
        began = time.monotonic()
        bulk_own_entries(url, own, first_holder=held)
        print(f"  {own:,} own entries in {time.monotonic() - began:.0f} s", flush=True)
    manage(env, "own_view_rebuild")  # bulk rows reach no write-through: the lookups' Redis view is built here
    return env


def bulk_own_entries(url: str, own: int, *, first_holder: int) -> None:
    """Holders from ``first_holder`` on (valid CPFs, by COPY), one account each and OWN_PER_HOLDER ACTIVE
    e-mail keys per account (INSERT ... SELECT in the server), in one transaction; what an earlier run
    made is kept. The CIDs are left empty: no sync check runs on this database."""
    holders = -(-own // OWN_PER_HOLDER)
    now = datetime.now(UTC)
    with psycopg.connect(url) as db:
        with db.cursor().copy(
            "COPY accounts_holder (person_type, tax_id, name, trade_name, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(first_holder, holders):
                copy.write_row(("NATURAL_PERSON", cpf_from_base(f"{700_000_000 + i}"), f"{OWN_TAG} {i}", "", now, now))
        db.execute(
            "INSERT INTO accounts_account (ispb, branch, number, account_type, opening_date, created_at, updated_at,"
            " holder_id) SELECT %(ispb)s, '0001', (9000000000 + h.id)::text, 'CACC', %(now)s, %(now)s, %(now)s, h.id"
            " FROM accounts_holder h WHERE h.name LIKE %(tag)s"
            " AND NOT EXISTS (SELECT 1 FROM accounts_account a WHERE a.holder_id = h.id)",
            {"ispb": ISPB, "now": now, "tag": f"{OWN_TAG}%"},
        )
        db.execute(
            "INSERT INTO keys_entry (id, key_type, key_value, status, request_id, dict_request_id, cid, failure_code,"
            " delete_reason, created_at, updated_at, registered_at, key_ownership_date, account_id,"
            " requested_by_kind, update_reason, update_pending, owner_refresh_due)"
            " SELECT gen_random_uuid(), 'EMAIL', 'scaleown' || ((h.rank - 1) * %(per)s + k) || '@example.com',"
            " 'ACTIVE', gen_random_uuid(), gen_random_uuid(), '', '', '', %(now)s, %(now)s, %(now)s, %(now)s, a.id,"
            " 'SYSTEM', '', false, false"
            " FROM (SELECT id, row_number() OVER (ORDER BY id) AS rank FROM accounts_holder WHERE name LIKE %(tag)s) h"
            " JOIN accounts_account a ON a.holder_id = h.id CROSS JOIN generate_series(0, %(per)s - 1) AS k"
            " WHERE (h.rank - 1) * %(per)s + k < %(own)s"
            " AND NOT EXISTS (SELECT 1 FROM keys_entry e WHERE e.account_id = a.id)",
            {"per": OWN_PER_HOLDER, "now": now, "tag": f"{OWN_TAG}%", "own": own},
        )
    with psycopg.connect(url, autocommit=True) as db:
        for table in ("accounts_holder", "accounts_account", "keys_entry"):
            db.execute(f"VACUUM ANALYZE {table}")


@contextmanager
def servers(size: str, logs: Path, *, workers: int) -> Iterator[tuple[int, str]]:
    """run_dictsim on the ``size`` directory and gunicorn on scale_core; the web port and bob's token."""
    dictsim_port, web_port = free_port(), free_port()
    dictsim = [sys.executable, "manage.py", "run_dictsim", "--bind", f"127.0.0.1:{dictsim_port}", "--workers", "32"]
    env = core_env(CONNECT_URL=f"127.0.0.1:{dictsim_port}")
    web = gunicorn(env, web_port)
    web[web.index("--workers") + 1] = str(workers)
    with (
        running(dictsim, dictsim_env(size), dictsim_port, log=logs / f"dictsim-{size}.log"),
        running(web, env, web_port, log=logs / f"web-{size}.log"),
    ):
        base = f"http://127.0.0.1:{web_port}"
        token = call("POST", f"{base}/api/v1/auth/token/", {"username": "bob", "password": "bob-demo-pass"})[1]
        yield web_port, token["access"]


def measure(
    name: str, port: int, token: str, paths: Callable[[], str], *, concurrency: int, seconds: float
) -> loadgen.Result:
    headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}
    result = loadgen.run(
        name,
        lambda i: loadgen.http_get("127.0.0.1", port, paths, headers),
        concurrency=concurrency,
        seconds=seconds,
    )
    print(f"  {name}: {result.rps:.0f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms", flush=True)
    return result


def natural_index(rng: random.Random, size: int) -> int:
    """A random natural person's synthetic index below ``size`` (a company's answer may be cached)."""
    while is_legal_person(index := rng.randrange(size)):
        pass
    return index


def run(args: argparse.Namespace) -> None:
    sizes = [s.strip() for s in args.sizes.split(",")]
    print("preparing (seeding each size once; 10M entries take about 10 minutes)", flush=True)
    prepare_core(args.own)
    for size in sizes:
        prepare_directory(size)
    rng = random.Random(11)  # noqa: S311 - picking keys, not secrets
    rows = []
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as logs:
        for size in sizes:
            with servers(size, Path(logs), workers=args.workers) as (port, token):
                other = measure(
                    f"other PSP @ {size}",
                    port,
                    token,
                    lambda size=size: f"/api/v1/lookup/{seed_key(natural_index(rng, SIZES[size]))[1]}/",
                    concurrency=args.concurrency,
                    seconds=args.seconds,
                )
                own = measure(
                    f"own @ {args.own:,} own",
                    port,
                    token,
                    lambda: f"/api/v1/lookup/{own_key(rng.randrange(args.own))}/",
                    concurrency=args.concurrency,
                    seconds=args.seconds,
                )
            rows += [(size, other), (size, own)]
    print()
    print(
        f"concurrency {args.concurrency}, {args.seconds:g} s per scenario, gunicorn {args.workers} workers x 4 threads"
    )
    print(f"{'directory':<10}{'scenario':<28}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for size, r in rows:
        print(f"{size:<10}{r.name:<28}{r.rps:>8.0f}{r.p50_ms:>9.1f}{r.p99_ms:>9.1f}{r.errors:>8}")
    others = {size: r for size, r in rows if r.name.startswith("other")}
    if "10k" in others and "10m" in others and others["10k"].p99_ms:
        print(f"other-PSP p99 at 10m / at 10k: {others['10m'].p99_ms / others['10k'].p99_ms:.2f}x (target <= 1.5x)")
    if args.json:
        Path(args.json).write_text(
            json.dumps([{"directory": s, **r.__dict__, "rps": r.rps} for s, r in rows], indent=2), encoding="utf-8"
        )


# --- plans: run in a child process with Django set up on the database to explain ---------------------------


class _Rollback(Exception):
    """Raised to undo a captured code path's writes."""


@contextmanager
def _rolled_back(rollback: bool) -> Iterator[None]:
    from django.db import transaction

    if not rollback:
        yield
        return
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


def captured(action: Callable[[], object], *, rollback: bool) -> list[str]:
    """The SQL ``action`` runs, its writes rolled back if ``rollback`` (a path that calls out, as CreateKey
    does, refuses to run in a transaction: it commits). An exception it raises is part of the path."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries, _rolled_back(rollback):
        try:
            action()
        except Exception as error:  # noqa: BLE001 - a refusal (a 404) is a path too
            print(f"    ({type(error).__name__}: {error})", file=sys.stderr)
    verbs = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(verbs)]


def explained(statements: list[str], *, replayed: bool) -> list[tuple[str, str]]:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement, replayed in order in one transaction rolled back.

    When the path committed (``replayed`` false), an INSERT would only collide with its own row: it
    is explained without running it."""
    from django.db import connection, transaction

    plans = []
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for sql in statements:
                run_it = replayed or not sql.lstrip().upper().startswith("INSERT")
                cursor.execute(f"EXPLAIN {'(ANALYZE, BUFFERS) ' if run_it else ''}{sql}")
                plans.append((sql, "\n".join(row[0] for row in cursor.fetchall())))
            raise _Rollback
    except _Rollback:
        pass
    return plans


def _directory_paths() -> dict[str, Callable[[], object]]:
    from dict_rules.directory import BankAccount, EntryRequest, Owner
    from dictsim import services

    key = seed_key(natural_index(random.Random(5), int(os.environ["SCALE_SIZE"])))[1]  # noqa: S311
    opened = datetime(2020, 1, 2, tzinfo=UTC)
    request = EntryRequest(
        key_type="EMAIL",
        key=f"scale-plan-{uuid.uuid4().hex[:12]}@example.com",
        owner=Owner(person_type="NATURAL_PERSON", tax_id=cpf_from_base("123456789"), name="Plano", trade_name=""),
        account=BankAccount(participant=ISPB, branch="0001", number="42", account_type="CACC", opening_date=opened),
        request_id=uuid.uuid4(),
    )
    return {
        "dictsim GetEntry": (
            lambda: services.entry_get(
                participant=ISPB, key=key, payer_id=cpf_from_base("123456789"), end_to_end_id="E" + "1" * 31
            ),
            True,
        ),
        "dictsim CreateEntry": (lambda: services.entry_create(participant=ISPB, request=request), True),
    }


def _core_paths() -> dict[str, tuple[Callable[[], object], bool]]:
    """Lookups as bob (a directory call refuses to run in a transaction: they run as they are, and write
    nothing in the database); CreateKey as a customer made for this run (it commits: one key more)."""
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import Account, Holder

    def client(user) -> Client:
        return Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")

    bob = client(get_user_model().objects.get(username="bob"))
    tag = uuid.uuid4().hex[:12]
    customer = get_user_model().objects.create_user(username=f"scale-plan-{tag}")
    holder = Holder.objects.create(
        person_type="NATURAL_PERSON",
        tax_id=cpf_from_base(f"{random.SystemRandom().randrange(10**8, 10**9 - 1)}"),
        name=f"Plano {tag}",
        user=customer,
    )
    account = Account.objects.create(
        holder=holder,
        ispb=ISPB,
        branch="0001",
        number=f"{random.SystemRandom().randrange(10**8, 10**9)}",
        account_type="CACC",
        opening_date=datetime.now(UTC),
    )
    body = {"account_id": account.pk, "key_type": "EVP", "request_id": str(uuid.uuid4())}
    return {
        "core own-key lookup (Redis emptied: the database fallback)": (
            lambda: (cache.clear(), bob.get(f"/api/v1/lookup/{own_key(7)}/")),
            False,
        ),
        "core lookup of a key not ours (Redis emptied: the database fallback)": (
            lambda: (cache.clear(), bob.get("/api/v1/lookup/nobody-here@example.com/")),
            False,
        ),
        "core CreateKey (until ACTIVE, the embedded directory)": (
            lambda: client(customer).post("/api/v1/keys/", body, content_type="application/json"),
            False,
        ),
    }


def _sweep_paths() -> dict[str, tuple[Callable[[], object], bool]]:
    """The claims deadline sweep as beat runs it: on a database where nothing is due (sweep_bench's
    idle scenario) it only selects, so it runs as it is."""
    from django.utils.module_loading import import_string

    return {"claims deadline sweep": (lambda: import_string(SWEEP_TASK)(), False)}


def capture_plans(what: str) -> None:
    """In the child: set Django up, run each path of ``what``, print its statements' plans as JSON."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dict_project.settings")
    django.setup()
    paths = {"dictsim": _directory_paths, "core": _core_paths, "sweep": _sweep_paths}[what]()
    out = {
        name: explained(captured(action, rollback=rollback), replayed=rollback)
        for name, (action, rollback) in paths.items()
    }
    print(json.dumps(out))


def plans(args: argparse.Namespace) -> None:
    for what in args.what.split(","):
        if what == "sweep":
            env = base_env(**loopback_env(), DATABASE_URL=f"{pg_url()}/{args.sweep_db}", REDIS_URL=redis_url())
        else:
            # No background rebuild of the own-key view while the fallback's plans are taken.
            env = dictsim_env(args.size) if what == "dictsim" else core_env(CONNECT_URL="", OWN_VIEW_AUTO_REBUILD="0")
        env["SCALE_SIZE"] = str(SIZES[args.size])
        manage(env, "migrate", "--noinput", "-v", "0")  # the plans of this tree's schema
        child = [sys.executable, "-m", "bench.scale_bench", "_capture", what]
        found = subprocess.run(child, cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE, text=True)  # noqa: S603
        for name, statements in json.loads(found.stdout.splitlines()[-1]).items():
            print(f"\n### {name}\n")
            for sql, plan in statements:
                print(f"```sql\n{_short(sql)}\n```\n```\n{plan}\n```\n")


def _short(sql: str) -> str:
    """The statement with its column lists elided (the plan names what it reads)."""
    sql = re.sub(r"^SELECT (?:DISTINCT )?.{80,}? FROM ", "SELECT … FROM ", sql, count=1)
    return re.sub(r"^(INSERT INTO \S+) \(.{80,}?\) VALUES \(.*\)", r"\1 (…) VALUES (…)", sql, flags=re.S)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    measure_parser = sub.add_parser("run", help="lookups at each size")
    measure_parser.add_argument("--sizes", default="10k,1m,10m", help=f"of {', '.join(SIZES)}")
    measure_parser.add_argument("--own", type=int, default=1_000_000, help="ACTIVE entries of ours in scale_core")
    measure_parser.add_argument("--concurrency", type=int, default=8)
    measure_parser.add_argument("--seconds", type=float, default=5.0)
    measure_parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    measure_parser.add_argument("--json", help="also write the figures here")
    plans_parser = sub.add_parser("plans", help="EXPLAIN (ANALYZE, BUFFERS) of the hot queries")
    plans_parser.add_argument("--size", default="10m", choices=SIZES, help="the directory database to explain on")
    plans_parser.add_argument("--what", default="dictsim,core", help="of dictsim, core, sweep")
    plans_parser.add_argument(
        "--sweep-db", default="bench_sweep", help="for sweep: a database sweep_bench's idle scenario filled"
    )
    capture_parser = sub.add_parser("_capture")
    capture_parser.add_argument("what", choices=["dictsim", "core", "sweep"])
    args = parser.parse_args()
    if args.command == "run":
        run(args)
    elif args.command == "plans":
        plans(args)
    else:
        capture_plans(args.what)


if __name__ == "__main__":
    main()
