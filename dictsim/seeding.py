"""Synthetic entries of other participants, for lookups and benchmarks (keys: dictsim.synthetic).

Rows are plain tuples, never model instances: at 10M entries building a ``DirEntry`` per row costs
more than writing it. On PostgreSQL each batch goes through COPY into a temporary table and one
``INSERT ... ON CONFLICT (key) DO NOTHING`` (idempotent, about a minute per million rows here); elsewhere
(the embedded SQLite) through ``bulk_create``. Past a few million rows the random index inserts
(the CID index above all) dominate: ``deferred_indexes`` drops the indexes no insert needs for the
load and builds each once at the end, by a sort.
"""

import random
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from django.db import connection, transaction

from dict_rules.cid import compute_cid
from dict_rules.directory import BankAccount, Owner
from dict_rules.tax_ids import cnpj_from_base, cpf_from_base
from dictsim.models import DirEntry
from dictsim.synthetic import is_legal_person, seed_key

DEFAULT_PARTICIPANTS = ("99999901", "99999902", "99999903", "99999904")
_OPENED = datetime(2020, 1, 2, 3, tzinfo=UTC)
# The columns a row fills, in its order (the id is the table's sequence).
COLUMNS = (
    "key",
    "key_type",
    "participant",
    "branch",
    "account_number",
    "account_type",
    "opening_date",
    "owner_type",
    "owner_tax_id",
    "owner_name",
    "owner_trade_name",
    "request_id",
    "cid",
    "created_at",
    "key_ownership_date",
    "updated_at",
)
Row = tuple[str | datetime | uuid.UUID, ...]


def _row(index: int, participant: str, rng: random.Random, now: datetime) -> Row:
    """The index-th synthetic entry, its CID computed (as ``DirEntry.save`` would)."""
    key_type, key = seed_key(index)
    legal = is_legal_person(index)
    if legal:
        owner = Owner(
            person_type="LEGAL_PERSON",
            tax_id=cnpj_from_base(f"{rng.randrange(10**7, 10**8)}0001"),
            name=f"EMPRESA SINTETICA {index} LTDA",
            trade_name=f"SINTETICA {index}",
        )
    else:
        owner = Owner(
            person_type="NATURAL_PERSON",
            tax_id=cpf_from_base(f"{rng.randrange(10**8, 10**9 - 1)}"),
            name=f"Pessoa Sintetica {chr(65 + index % 26)}",
            trade_name="",
        )
    account = BankAccount(
        participant=participant,
        branch=f"{index % 9999 + 1}",
        number=f"{index:010d}",
        account_type="CACC",
        opening_date=_OPENED,
    )
    request_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    cid = compute_cid(request_id=request_id, key_type=key_type, key=key, owner=owner, account=account)
    return (
        key,
        key_type,
        participant,
        account.branch,
        account.number,
        account.account_type,
        _OPENED,
        owner.person_type,
        owner.tax_id,
        owner.name,
        owner.trade_name,
        request_id,
        cid,
        now,
        now,
        now,
    )


def _batches(start: int, count: int, size: int) -> Iterator[range]:
    for first in range(start, start + count, size):
        yield range(first, min(first + size, start + count))


def _copy_fresh(rows: list[Row]) -> int:
    """PostgreSQL: COPY the batch into a temporary table, then insert the keys not there yet.

    The table is dropped at once, not on commit: inside a caller's transaction (a test's, a
    savepoint) the next batch makes it again.
    """
    table = DirEntry._meta.db_table
    columns = ", ".join(COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE seed_batch AS SELECT {columns} FROM {table} WITH NO DATA")  # noqa: S608
        with cursor.cursor.copy(f"COPY seed_batch ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM seed_batch "  # noqa: S608
            "ON CONFLICT (key) DO NOTHING"
        )
        created = cursor.rowcount
        cursor.execute("DROP TABLE seed_batch")
        return created


def _bulk_create_fresh(rows: list[Row]) -> int:
    """Any other database: the keys not there yet, through the ORM."""
    existing = set(DirEntry.objects.filter(key__in=[row[0] for row in rows]).values_list("key", flat=True))
    fresh = [DirEntry(**dict(zip(COLUMNS, row, strict=True))) for row in rows if row[0] not in existing]
    DirEntry.objects.bulk_create(fresh)
    return len(fresh)


@contextmanager
def deferred_indexes(progress: Callable[[str], None] = lambda line: None) -> Iterator[None]:
    """PostgreSQL: the entries' indexes but the primary key and the key's unique one (which the load's
    ON CONFLICT needs) dropped for the block and created again after it, even when it fails. Lookups
    by anything but the key are slow meanwhile: for a bulk load of a directory nobody is using."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
            "(SELECT conindid::regclass::text FROM pg_constraint WHERE conrelid = %s::regclass)",
            [DirEntry._meta.db_table, DirEntry._meta.db_table],
        )
        deferred = cursor.fetchall()
        for name, _ in deferred:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, definition in deferred:
                progress(f"building {name}")
                cursor.execute(definition)


def seed_entries(
    *,
    count: int,
    start: int = 0,
    participants: tuple[str, ...] = DEFAULT_PARTICIPANTS,
    batch_size: int = 20_000,
    seed: int = 42,
    progress: Callable[[int], None] = lambda n: None,
) -> int:
    """Insert entries ``start`` .. ``start + count - 1`` (skipping keys already there); return how many.

    Each batch commits on its own (VSyncs are derived from the entries), so an interrupted run
    leaves a consistent directory and a re-run adds only what is missing.
    """
    rng = random.Random(seed + start)  # noqa: S311 - reproducible synthetic data, not secrets
    write = _copy_fresh if connection.vendor == "postgresql" else _bulk_create_fresh
    created = 0
    for indexes in _batches(start, count, batch_size):
        now = datetime.now(UTC)
        created += write([_row(i, participants[i % len(participants)], rng, now) for i in indexes])
        progress(len(indexes))
    return created
