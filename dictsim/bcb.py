"""BCB's moves in a homologation rehearsal (DICT_RULES §11), as the directory's operator makes them.

The exam's BCB seeds keys of its virtual participants, changes and inserts keys of the examined
participant's prepared type before the sync test, and settles payments. Served to the PSP's
rehearsal through the simulator port: in-process (connect.local) or dictsim's SimulatorService.
"""

import random
import uuid

from dict_rules.errors import BadRequest
from dict_rules.keys import KeyType
from dict_rules.tax_ids import cnpj_from_base, cpf_from_base
from dictsim.models import DirEntry
from dictsim.seeding import seed_entries
from dictsim.synthetic import seed_key
from dictsim.tamper import tamper_change, tamper_insert

# Entries one move seeds, changes or inserts at most: a rehearsal's largest is the capacity test's
# 40,000 keys; beyond, a typo would fill the directory (or hold a server thread for hours).
MAX_COUNT = 100_000


def _bounded(field: str, value: int) -> None:
    if not 0 <= value <= MAX_COUNT:
        raise BadRequest.on_field(field, f"{field} must be from 0 to {MAX_COUNT:,}, not {value:,}.")


def seed_participant(*, caller: str, participant: str, count: int, start: int = 0) -> list[str]:
    """Seed synthetic entries ``start`` .. ``start + count - 1`` for ``participant``; the keys it holds.

    ``participant`` is BCB's or a counterpart's, never the ``caller``'s: keys the caller holds are its
    customers', registered through its own Connect calls. A key another participant already holds
    (seeded earlier for it) is left where it is and not returned.
    """
    _bounded("count", count)
    if start < 0:
        raise BadRequest.on_field("start", f"start must be 0 or more, not {start:,}.")
    if participant == caller:
        raise BadRequest.on_field("participant", "the simulator never seeds the caller's own entries.")
    seed_entries(count=count, start=start, participants=(participant,))
    keys = [seed_key(index)[1] for index in range(start, start + count)]
    held = set(DirEntry.objects.filter(participant=participant, key__in=keys).values_list("key", flat=True))
    return [key for key in keys if key in held]


def _other_number(rng: random.Random) -> str:
    return f"{rng.randrange(10**9, 10**10)}"


def _inserted_key(key_type: str, tax_id: str, rng: random.Random) -> str | None:
    """A key of ``key_type`` nobody holds yet (a CPF or CNPJ key is its owner's tax id; EVP: DICT's)."""
    if key_type in (KeyType.CPF, KeyType.CNPJ):
        return tax_id
    if key_type == KeyType.EMAIL:
        return f"bcb-{uuid.uuid4().hex[:16]}@example.com"
    if key_type == KeyType.PHONE:
        return f"+55119{rng.randrange(10**7, 10**8)}"
    return None


def tamper_type(*, participant: str, key_type: str, changes: int, inserts: int) -> list[str]:
    """Change the account of ``changes`` of ``participant``'s entries of ``key_type`` and insert
    ``inserts`` entries it never asked for, as BCB does before the sync test; the keys touched.

    Each move is one of tamper.py's (the entries' own paths), so the directory stays consistent.
    """
    _bounded("changes", changes)
    _bounded("inserts", inserts)
    rng = random.Random()  # noqa: S311 - synthetic data, not secrets
    held = DirEntry.objects.filter(participant=participant, key_type=key_type).order_by("?")
    touched = list(held.values_list("key", flat=True)[:changes])
    for key in touched:
        tamper_change(key=key, account_number=_other_number(rng))
    for _ in range(inserts):
        legal = key_type == KeyType.CNPJ
        tax_id = (
            cnpj_from_base(f"{rng.randrange(10**8):08d}0001") if legal else cpf_from_base(f"{rng.randrange(10**9):09d}")
        )
        done = tamper_insert(
            participant=participant,
            key_type=key_type,
            key=_inserted_key(key_type, tax_id, rng),
            tax_id=tax_id,
            owner_name="EMPRESA INSERIDA PELO BCB LTDA" if legal else "Pessoa Inserida Pelo Bcb",
            trade_name="INSERIDA BCB" if legal else "",
            branch="0001",
            account_number=_other_number(rng),
            account_type="CACC",
        )
        touched.append(DirEntry.objects.filter(cid=done.new_cid).values_list("key", flat=True).get())
    return touched
