"""Synthetic entries of other participants, for lookups and benchmarks (keys: dictsim.synthetic)."""

import random
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from validate_docbr import CNPJ, CPF

from dictsim.models import DirEntry
from dictsim.synthetic import is_legal_person, seed_key

DEFAULT_PARTICIPANTS = ("99999901", "99999902", "99999903", "99999904")
_OPENED = datetime(2020, 1, 2, 3, tzinfo=UTC)


def _entry(index: int, participant: str, rng: random.Random) -> DirEntry:
    key_type, key = seed_key(index)
    legal = is_legal_person(index)
    random.seed(rng.random())  # validate_docbr draws from the module's generator
    now = datetime.now(UTC)
    entry = DirEntry(
        key=key,
        key_type=key_type,
        participant=participant,
        branch=f"{index % 9999 + 1}",
        account_number=f"{index:010d}",
        account_type="CACC",
        opening_date=_OPENED,
        owner_type="LEGAL_PERSON" if legal else "NATURAL_PERSON",
        owner_tax_id=CNPJ().generate() if legal else CPF().generate(),
        owner_name=f"EMPRESA SINTETICA {index} LTDA" if legal else f"Pessoa Sintetica {chr(65 + index % 26)}",
        owner_trade_name=f"SINTETICA {index}" if legal else "",
        request_id=uuid.UUID(int=rng.getrandbits(128), version=4),
        created_at=now,
        key_ownership_date=now,
        updated_at=now,
    )
    entry.cid = entry.content_id()  # bulk_create skips DirEntry.save, which computes it
    return entry


def _batches(start: int, count: int, size: int) -> Iterator[range]:
    for first in range(start, start + count, size):
        yield range(first, min(first + size, start + count))


def seed_entries(
    *,
    count: int,
    start: int = 0,
    participants: tuple[str, ...] = DEFAULT_PARTICIPANTS,
    batch_size: int = 2000,
    seed: int = 42,
    progress: Callable[[int], None] = lambda n: None,
) -> int:
    """Insert entries ``start`` .. ``start + count - 1`` (skipping keys already there); return how many.

    Each batch commits on its own (VSyncs are derived from the entries), so an interrupted run
    leaves a consistent directory and a re-run adds only what is missing.
    """
    rng = random.Random(seed + start)  # noqa: S311 - reproducible synthetic data, not secrets
    created = 0
    for indexes in _batches(start, count, batch_size):
        entries = [_entry(i, participants[i % len(participants)], rng) for i in indexes]
        existing = set(DirEntry.objects.filter(key__in=[e.key for e in entries]).values_list("key", flat=True))
        fresh = [e for e in entries if e.key not in existing]
        DirEntry.objects.bulk_create(fresh, batch_size=batch_size)
        created += len(fresh)
        progress(len(indexes))
    return created
