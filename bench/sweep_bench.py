"""The claims deadline sweep at scale, on the embedded directory (the local Connect adapter).

    python -m bench.sweep_bench --claims 100000 [--scenario due|idle|both] [--workers N]

Standalone: it runs in this process on its own database, ``bench_sweep`` (created once, migrated,
its claim tables emptied and seeded by COPY on every run), and Redis db 7 (BENCH_PG_URL,
BENCH_REDIS_URL override the servers). Two scenarios, each one timed ``claims_sweep`` call:

- ``due``: N claims of ours as donor, every one due now, a third of each action the deadlines
  oblige: acknowledge an OPEN claim, cancel an unanswered portability, confirm an unanswered
  ownership claim (the directory holds the same claims, so each is a real move at dictsim);
- ``idle``: N open claims, none due, a quarter each in a state a deadline sweep meets every
  minute: donor and claimer within the resolution period (portability), donor and claimer of an
  ownership claim confirmed and within its completion period.

Prints one JSON line per scenario (seconds, claims per second, this process's CPU per claim, which
includes the in-process directory's, the load average, the sweep's counts), comparable
between two trees: copy this file into the other tree's bench/ and run it there.
"""

import argparse
import inspect
import json
import os
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import psycopg

OTHER_PSP = "87654321"


def ensure_database(server_url: str, name: str) -> str:
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url}/{name}"


def setup_django() -> None:
    """Django on the bench database, the embedded directory, tasks in-process."""
    pg = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    os.environ["DATABASE_URL"] = ensure_database(pg, "bench_sweep")
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
    os.environ.pop("CONNECT_URL", None)
    os.environ.setdefault("SECRET_KEY", "bench-" + uuid.uuid4().hex * 2)
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dict_project.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def copy_rows(model: type, objects: Iterable) -> None:
    """Insert unsaved model instances by COPY: each field as Django would save it (defaults, auto_now)."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy,
    ):
        for obj in objects:
            copy.write_row([f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields])


def claim_pair(i: int, *, role: str, kind: str, status: str, created: datetime, ispb: str) -> tuple:
    """One claim at the directory and our row of it, as DICT would have them."""
    from claims.models import Claim
    from dictsim.models import DirClaim

    created -= timedelta(microseconds=i)  # distinct instants, as DICT's are
    resolution_end = created + timedelta(days=7)
    completion_end = resolution_end + timedelta(days=7) if kind == "OWNERSHIP" else None
    key, key_type = (f"+55119{i:08d}", "PHONE") if kind == "OWNERSHIP" else (f"bench{i}@example.com", "EMAIL")
    donor, claimer = (ispb, OTHER_PSP) if role == "DONOR" else (OTHER_PSP, ispb)
    confirmed = status == "CONFIRMED"
    remote = DirClaim(
        claim_type=kind,
        key=key,
        key_type=key_type,
        claimer_participant=claimer,
        claimer_branch="0001",
        claimer_account_number=f"{i:08d}",
        claimer_account_type="CACC",
        claimer_opening_date=created - timedelta(days=400),
        claimer_type="NATURAL_PERSON",
        claimer_tax_id="11144477735",
        claimer_name="Bench Claimer",
        donor_participant=donor,
        donor_key_ownership_date=created - timedelta(days=300),
        status=status,
        created_at=created,
        resolution_period_end=resolution_end,
        completion_period_end=completion_end,
        last_modified=created,
        confirm_reason="DEFAULT_OPERATION" if confirmed else "",
    )
    ours = Claim(
        dict_id=remote.id,
        role=role,
        claim_type=kind,
        status=status,
        key=key,
        key_type=key_type,
        donor_participant=donor,
        claimer_participant=claimer,
        requested_by_kind="SYSTEM",
        dict_created_at=created,
        resolution_period_end=resolution_end,
        completion_period_end=completion_end,
        last_modified=created,
        confirm_reason=remote.confirm_reason,
    )
    return remote, ours


# Each scenario: the (role, type, status, age) of its claims, taken in turn.
SCENARIOS: dict[str, list[tuple[str, str, str, timedelta]]] = {
    "due": [
        ("DONOR", "PORTABILITY", "OPEN", timedelta(minutes=5)),
        ("DONOR", "PORTABILITY", "WAITING_RESOLUTION", timedelta(days=8)),
        ("DONOR", "OWNERSHIP", "WAITING_RESOLUTION", timedelta(days=8)),
    ],
    "idle": [
        ("DONOR", "PORTABILITY", "WAITING_RESOLUTION", timedelta(days=3)),
        ("CLAIMER", "PORTABILITY", "WAITING_RESOLUTION", timedelta(days=3)),
        ("DONOR", "OWNERSHIP", "CONFIRMED", timedelta(days=10)),
        ("CLAIMER", "OWNERSHIP", "CONFIRMED", timedelta(days=10)),
    ],
}


def seed(scenario: str, count: int) -> float:
    """Empty the claim tables and seed ``count`` claims on both sides; returns the seconds it took."""
    from django.conf import settings
    from django.db import connection, transaction

    from claims.models import Claim
    from dictsim.models import DirClaim, DirClock
    from events.models import DomainEvent

    started = time.perf_counter()
    tables = ", ".join(f'"{m._meta.db_table}"' for m in (Claim, DirClaim, DirClock, DomainEvent))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} CASCADE")
    now, kinds = datetime.now().astimezone(), SCENARIOS[scenario]
    pairs = [
        claim_pair(i, role=role, kind=kind, status=status, created=now - age, ispb=settings.DICT_ISPB)
        for i, (role, kind, status, age) in ((i, kinds[i % len(kinds)]) for i in range(count))
    ]
    with transaction.atomic():
        copy_rows(DirClaim, (remote for remote, _ in pairs))
        copy_rows(Claim, (ours for _, ours in pairs))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")
    return time.perf_counter() - started


def sweep_options(workers: int | None) -> dict:
    """``workers`` for a sweep that takes it (the tree before the change does not)."""
    from claims.services import claims_sweep

    takes = "workers" in inspect.signature(claims_sweep).parameters
    return {"workers": workers} if takes and workers is not None else {}


def run(scenario: str, count: int, *, workers: int | None, batch: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from claims.models import Claim
    from claims.services import claims_sweep

    seeded = seed(scenario, count)
    options: dict = {"batch": batch, **sweep_options(workers)}
    if "budget" in inspect.signature(claims_sweep).parameters:
        options["budget"] = timedelta(hours=1)  # the bench measures the whole run
    sweep: Callable[[], object] = lambda: claims_sweep(now=timezone.now(), **options)  # noqa: E731
    started, cpu = time.perf_counter(), time.process_time()
    counts = sweep()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    connection.close()
    still_due = Claim.objects.filter(status__in=["OPEN"], role="DONOR").count() if scenario == "due" else None
    return {
        "scenario": scenario,
        "claims": count,
        "seconds": round(seconds, 3),
        "claims_per_second": round(count / seconds, 1) if seconds else None,
        "cpu_ms_per_claim": round(cpu * 1000 / count, 3),
        "load_average": os.getloadavg()[0],
        "counts": dict(sorted(dict(counts).items())),
        "donor_open_left": still_due,
        "seed_seconds": round(seeded, 1),
        "options": {k: str(v) for k, v in options.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--scenario", choices=["due", "idle", "both"], default="both")
    parser.add_argument("--workers", type=int, default=None, help="the sweep's threads (default: its setting)")
    parser.add_argument("--batch", type=int, default=500, help="claims read per batch")
    args = parser.parse_args()
    setup_django()
    for scenario in ["idle", "due"] if args.scenario == "both" else [args.scenario]:
        print(json.dumps(run(scenario, args.claims, workers=args.workers, batch=args.batch)), flush=True)


if __name__ == "__main__":
    main()
