"""An operator's divergences in the simulated directory (`manage.py dictsim_tamper`).

A real DICT can come to hold, for a participant, data that participant never sent or no longer
holds: a lost delete, a wrong manual fix, a bug on either side. These make such a divergence on
purpose, so a PSP's sync check and repair can be tried end to end. Each change goes through the
entries' own paths (DirEntry.save recomputes the CID, the CID history records it, and a VSync is
derived from the entries), exactly as a participant's request would, so the directory stays
consistent with itself and only differs from the participant.
"""

import uuid
from dataclasses import dataclass

from django.db import transaction

from dict_rules.accounts import validate_account, validate_holder
from dict_rules.errors import EntryAlreadyExists, NotFound
from dict_rules.keys import normalize_key
from dictsim import clock
from dictsim.models import DirEntry
from dictsim.services import insert_entry, remove_entry, save_changed_entry


@dataclass(frozen=True)
class Tampered:
    """What an operator's change did to the directory's CID set."""

    participant: str
    key_type: str
    old_cid: str  # empty for an insert
    new_cid: str  # empty for a drop


def _locked(key: str) -> DirEntry:
    entry = DirEntry.objects.select_for_update().filter(key=key).first()
    if entry is None:
        raise NotFound("the directory has no entry for this key.")
    return entry


@transaction.atomic
def tamper_change(
    *,
    key: str,
    branch: str | None = None,
    account_number: str | None = None,
    owner_name: str | None = None,
    trade_name: str | None = None,
) -> Tampered:
    """Change an entry's account or owner's names in place (a value given replaces the stored one),
    as if the directory held other data than its participant sent."""
    entry = _locked(key)
    old_cid = entry.cid
    entry.branch = entry.branch if branch is None else branch
    entry.account_number = entry.account_number if account_number is None else account_number
    entry.owner_name = entry.owner_name if owner_name is None else owner_name
    entry.owner_trade_name = entry.owner_trade_name if trade_name is None else trade_name
    validate_holder(tax_id=entry.owner_tax_id, name=entry.owner_name, trade_name=entry.owner_trade_name)
    validate_account(
        ispb=entry.participant,
        branch=entry.branch,
        number=entry.account_number,
        account_type=entry.account_type,
        opening_date=entry.opening_date,
    )
    save_changed_entry(entry, old_cid, clock.now())
    return Tampered(entry.participant, entry.key_type, old_cid, entry.cid)


@transaction.atomic
def tamper_drop(*, key: str) -> Tampered:
    """Remove an entry its participant still holds (a delete nobody asked for)."""
    entry = _locked(key)
    remove_entry(entry, clock.now())
    return Tampered(entry.participant, entry.key_type, entry.cid, "")


@transaction.atomic
def tamper_insert(
    *,
    participant: str,
    key_type: str,
    key: str | None,
    tax_id: str,
    owner_name: str,
    trade_name: str,
    branch: str,
    account_number: str,
    account_type: str,
) -> Tampered:
    """Add an entry for ``participant`` that it never asked for (no request of its own stands behind
    it, so it has a fresh RequestId); ``key`` None makes an EVP key."""
    person_type = validate_holder(tax_id=tax_id, name=owner_name, trade_name=trade_name)
    now = clock.now()
    validate_account(
        ispb=participant, branch=branch, number=account_number, account_type=account_type, opening_date=now
    )
    stored = normalize_key(key_type, key) or str(uuid.uuid4())
    if DirEntry.objects.filter(key=stored).exists():
        raise EntryAlreadyExists("the directory already has an entry for this key.")
    entry = DirEntry(
        key=stored,
        key_type=key_type,
        participant=participant,
        branch=branch,
        account_number=account_number,
        account_type=account_type,
        opening_date=now,
        owner_type=person_type,
        owner_tax_id=tax_id,
        owner_name=owner_name,
        owner_trade_name=trade_name,
        request_id=uuid.uuid4(),
        created_at=now,
        key_ownership_date=now,
        updated_at=now,
    )
    insert_entry(entry, now)
    return Tampered(participant, key_type, "", entry.cid)
