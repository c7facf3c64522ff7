"""Seeding the simulated directory in bulk (``dictsim_seed``): COPY on PostgreSQL, the ORM elsewhere,
both idempotent, every row a valid entry whose CID is the one its data gives."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from dict_rules.tax_ids import is_valid_cnpj, is_valid_cpf
from dictsim.models import DirEntry
from dictsim.synthetic import seed_key

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    stdout = io.StringIO()
    call_command("dictsim_seed", "--no-progress", *args, stdout=stdout)
    return stdout.getvalue()


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_seeding_in_batches_is_idempotent_and_every_row_is_a_valid_entry(monkeypatch, vendor):
    """The batches of the COPY path run inside the test's transaction: each drops its temporary table."""
    monkeypatch.setattr(connection, "vendor", vendor)  # "sqlite" takes the ORM path, on this database

    assert seed("--count", "50", "--batch-size", "20").startswith("50 entries created, 0 already present")
    assert seed("--count", "60", "--batch-size", "25").startswith("10 entries created, 50 already present")

    rows = list(DirEntry.objects.all())
    assert sorted(row.key for row in rows) == sorted(seed_key(i)[1] for i in range(60))
    for row in rows:
        assert row.cid == row.content_id()
        valid = is_valid_cnpj if row.owner_type == "LEGAL_PERSON" else is_valid_cpf
        assert valid(row.owner_tax_id), row.owner_tax_id
    assert {row.owner_type for row in rows} == {"LEGAL_PERSON", "NATURAL_PERSON"}


def entry_indexes() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname", ["dictsim_direntry"])
        return [row[0] for row in cursor.fetchall()]


def test_a_load_with_deferred_indexes_builds_every_index_again(monkeypatch):
    """The load drops what no insert needs; each comes back as it was, also when the load fails."""
    before = entry_indexes()
    assert len(before) >= 4  # the key's, the CID's, the account's, the primary key

    assert seed("--count", "30", "--batch-size", "10", "--defer-indexes").startswith("30 entries created")
    assert entry_indexes() == before and DirEntry.objects.count() == 30

    monkeypatch.setattr("dictsim.seeding._copy_fresh", lambda rows: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        seed("--count", "40", "--defer-indexes")
    assert entry_indexes() == before
