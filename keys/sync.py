"""Sync checks against DICT and their repair (DICT_RULES §7), per key type.

A check compares our VSync (the XOR of the CIDs of every entry DICT holds for us: ACTIVE,
DELETE_PENDING) with DICT's. A repair of a type out of sync follows the CID-list route: list
DICT's CIDs, compare with ours, fetch each CID only DICT has (getEntryByCid: the entry and the
RequestId that made it), fix each difference, then check again. Each check is kept as a
SyncCheck row (the admin, /metrics).

Who holds the truth (MAN §9: correct the PSP's copy to DICT's values; DICT-side fixes use
RECONCILIATION). Our accounts and holders are core banking's records and our entries the
customers' requests, so DICT's values win only where they can be ours exactly:

- a CID only DICT has, for a key we do not hold:
  - the RequestId is of an entry we DELETED (our customer, staff or a claim removed it; DICT
    kept it): delete it at DICT with RECONCILIATION (``deleted_at_dict``);
  - DICT's account is an open account of ours whose holder has DICT's tax id: add the entry here
    exactly as DICT has it, with its RequestId (``added_here``), after correcting DICT's owner
    names to our holder's first when they differ (``updated_at_dict``; not for EVP keys, see below),
    if the account has a free key slot and the key may be its holder's (the rules a registration meets);
  - no account of ours is DICT's (unknown, closed, another person's): the key cannot be ours, and
    DICT routing payments for it to us is the PSP's mistake: delete at DICT with RECONCILIATION;
- a key both sides hold under different CIDs (attributes or RequestId differ):
  - DICT's account is an open account of ours of our entry's holder and the names agree: correct
    ours to DICT's values, account (if it has a free key slot) and RequestId (``corrected_here``);
  - DICT's account is an open account of ours of another holder: left for staff (below), never
    moved to another customer;
  - otherwise our entry's account and holder are the truth: update DICT with them, RECONCILIATION,
    and take DICT's RequestId (``updated_at_dict``);
- a CID only we have, and DICT holds the key under no CID of ours: remove our ACTIVE entry here
  (``removed_here``: DELETED with reason RECONCILIATION); the EntryDeleted event is how the
  customer is told (MAN §7.3).

Left for staff (``unresolved``, the check stays NOK and the alert fires): an EVP key whose data
differs (DICT takes updates to EVP keys only with RFB_VALIDATION, DICT_RULES §5, not ours to
give), a key DICT holds for another person than our holder or on another customer's account, a key
whose account here has no free slot, an entry of ours DICT refused at registration but holds, and
any refusal of a fix by DICT. ``skipped``: work in flight (a registration, deletion or update
pending here, an entry changed while the repair ran): its own answer settles it, so its CID is
never removed here; the next check sees it. If a CID DICT listed is gone when fetched, the CIDs
only we have wait for the next run too: their key may be the one that just changed at DICT.

A run fixes SYNC_REPAIR_MAX_DIFFERENCES CIDs at most over all types (the rest are reported and
wait for the next run) under a lease in the cache, so two repairs never overlap.

No directory call runs inside a transaction: DICT is asked first, then each fix is applied in
its own short transaction that locks the entry again and re-checks that it is still as read,
so a concurrent customer request, worker or second repair is never overwritten.
"""

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.dict_view import bank_account, owner
from accounts.models import Account
from accounts.selectors import account_named_by_dict
from common.leases import lease
from connect.client import get_client
from connect.ports import DirectoryClient
from dict_rules.cid import vsync
from dict_rules.directory import EntryByCid
from dict_rules.errors import DomainError, NotFound
from dict_rules.keys import DeleteReason, KeyType, UpdateReason, check_key_matches_owner
from events.types import EntryEvent
from keys.domain import REGISTERED_STATUSES, EntryStatus
from keys.models import LIVE, Entry, SyncCheck
from keys.services import (
    active_entry_as_dict_holds_it,
    check_key_slot,
    invalidate_lookup_on_commit,
    mark_deleted,
    record_event,
)

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 200  # differences handled between two progress reports
REPAIR_LEASE = "keys:sync-repair-lease"  # held by the one repair running (common.leases)

Progress = Callable[[str, int, int], None]  # key type, differences handled, differences in all


class Fix(StrEnum):
    """What the repair did with one difference (also SyncCheck's counters and EntryReconciled's ``fix``)."""

    ADDED_HERE = "added_here"
    CORRECTED_HERE = "corrected_here"
    REMOVED_HERE = "removed_here"
    UPDATED_AT_DICT = "updated_at_dict"
    DELETED_AT_DICT = "deleted_at_dict"
    SKIPPED = "skipped"
    UNRESOLVED = "unresolved"


@dataclass
class SyncReport:
    """One key type's check: the verdict before any repair, and after it when one ran."""

    key_type: str
    ok_before: bool
    ok: bool
    ours: str
    theirs: str
    count: int
    repaired: bool = False
    missing_at_dict: list[str] = field(default_factory=list)  # our CIDs DICT does not have
    unknown_here: list[str] = field(default_factory=list)  # DICT's CIDs for us that we do not have
    fixes: Counter[Fix] = field(default_factory=Counter)
    deferred: int = 0  # differences left for the next run (SYNC_REPAIR_MAX_DIFFERENCES)

    @property
    def differences(self) -> int:
        return len(self.missing_at_dict) + len(self.unknown_here)


class RepairRunning(Exception):
    """Another sync repair holds the lease: this run changes nothing (that one repairs)."""


def sync_check(
    *,
    repair: bool = False,
    list_differences: bool = False,
    key_types: Iterable[str] = tuple(KeyType),
    progress: Progress = lambda key_type, done, total: None,
) -> list[SyncReport]:
    """Check each key type against DICT; with ``repair`` fix the types out of sync and check them
    again, with ``list_differences`` only list the CIDs that differ. Each check is recorded.

    A repair runs under a lease (two repairs never overlap: RepairRunning if another holds it; a
    cache that cannot be reached raises too) and fixes SYNC_REPAIR_MAX_DIFFERENCES differing CIDs
    at most, over all types: the rest are the reports' ``deferred``, for the next run.
    Must run with no transaction open (every fix commits on its own). ServiceUnavailable
    propagates: the types checked before it are recorded, the rest wait for the next run.
    """
    if not repair:
        return _check(key_types, list_differences=list_differences, budget=None, progress=progress)
    with lease(REPAIR_LEASE, settings.SYNC_REPAIR_LEASE_SEC) as mine:
        if not mine:
            raise RepairRunning("another sync repair is running")
        return _check(key_types, list_differences=False, budget=settings.SYNC_REPAIR_MAX_DIFFERENCES, progress=progress)


def _check(
    key_types: Iterable[str], *, list_differences: bool, budget: int | None, progress: Progress
) -> list[SyncReport]:
    """Check (and with a ``budget``, repair that many differing CIDs at most) each key type."""
    client = get_client()
    reports = []
    for key_type in key_types:
        ok, ours, theirs, count = _verify(client, key_type)
        report = SyncReport(key_type=key_type, ok_before=ok, ok=ok, ours=ours, theirs=theirs, count=count)
        if not ok and (budget is not None or list_differences):
            only_ours, only_dict = _differences(client, key_type)
            report.missing_at_dict, report.unknown_here = sorted(only_ours), only_dict
            if budget is not None:
                report.fixes, handled, report.deferred = _repair(
                    client, key_type, only_ours, only_dict, budget, progress
                )
                budget -= handled
                report.repaired = True
                report.ok, report.ours, report.theirs, report.count = _verify(client, key_type)
        _record_check(report)
        reports.append(report)
    return reports


def _verify(client: DirectoryClient, key_type: str) -> tuple[bool, str, str, int]:
    cids = list(_registered(key_type).values_list("cid", flat=True).iterator())
    ours = vsync(cids)
    ok, theirs = client.check_sync(key_type=key_type, verifier=ours)
    return ok, ours, theirs, len(cids)


def _registered(key_type: str) -> QuerySet[Entry]:
    """The entries DICT holds for us (ACTIVE, DELETE_PENDING): the CIDs our VSync is made of."""
    return Entry.objects.filter(key_type=key_type, status__in=sorted(REGISTERED_STATUSES))


def _differences(client: DirectoryClient, key_type: str) -> tuple[dict[str, UUID], list[str]]:
    """Our CIDs DICT lacks (with their entry) and DICT's CIDs we lack."""
    ours = dict(_registered(key_type).values_list("cid", "pk").iterator())
    theirs = set(client.list_cids(key_type=key_type))
    return {cid: pk for cid, pk in ours.items() if cid not in theirs}, sorted(theirs - ours.keys())


def _repair(
    client: DirectoryClient,
    key_type: str,
    only_ours: dict[str, UUID],
    only_dict: list[str],
    budget: int,
    progress: Progress,
) -> tuple[Counter[Fix], int, int]:
    """Fix ``budget`` differing CIDs at most; returns the fixes, how many CIDs were handled (one
    directory fetch or removal each) and how many were left for the next run.

    DICT's CIDs go first: one may be the key of a CID only we have (the same key under another
    CID), so ours are removed only once all of DICT's were seen, and stable."""
    fixes: Counter[Fix] = Counter()
    total, matched, unstable, handled = len(only_ours) + len(only_dict), set(), False, 0

    def tick(fix: Fix) -> None:
        nonlocal handled
        fixes[fix] += 1
        handled += 1
        done = handled + len(matched)
        if done % PROGRESS_EVERY == 0 or done == total:
            progress(key_type, done, total)

    for cid in only_dict[:budget]:
        try:
            found = client.get_entry_by_cid(cid)
        except NotFound:  # changed at DICT since it was listed
            unstable = True
            tick(Fix.SKIPPED)
            continue
        fix, counterpart = _reconcile_dict_entry(client, found)
        if counterpart is not None and counterpart in only_ours:
            matched.add(only_ours.pop(counterpart))
        tick(fix)
    if len(only_dict) <= budget:  # every CID of DICT's was seen: ours left have no counterpart at DICT
        for cid, entry_id in list(only_ours.items())[: budget - handled]:
            tick(Fix.SKIPPED if unstable else _remove_here(entry_id, cid))
    deferred = total - handled - len(matched)
    if deferred:
        progress(key_type, handled + len(matched), total)
        logger.warning("sync repair of %s: %d differences left for the next run (the cap per run)", key_type, deferred)
    for fix in (Fix.SKIPPED, Fix.UNRESOLVED):
        if fixes[fix]:
            logger.warning("sync repair of %s: %d %s", key_type, fixes[fix], fix)
    return fixes, handled, deferred


def _reconcile_dict_entry(client: DirectoryClient, found: EntryByCid) -> tuple[Fix, str | None]:
    """Fix one CID only DICT has; returns the fix and the CID our entry for the same key had, if any
    (settled with this fix, or waiting for its own work in flight: never one to remove)."""
    ours = Entry.objects.select_related("account__holder").filter(LIVE, key_value=found.entry.key).first()
    if ours is None:
        return _reconcile_key_not_held(client, found), None
    if _in_flight(ours):
        return Fix.SKIPPED, ours.cid
    return _reconcile_key_held(client, found, ours), ours.cid


def _reconcile_key_not_held(client: DirectoryClient, found: EntryByCid) -> Fix:
    """DICT holds a key for us that we hold on no entry: delete it there, or add it here."""
    earlier = Entry.objects.filter(dict_request_id=found.request_id).first()
    if earlier is not None and earlier.status == EntryStatus.DELETED:
        return _delete_at_dict(client, found, earlier.pk)
    if earlier is not None:  # PENDING: its registration settles it; FAILED: DICT holds what it refused
        return Fix.SKIPPED if earlier.status == EntryStatus.PENDING else Fix.UNRESOLVED
    account = _dicts_account(found)
    if account is None:
        return _delete_at_dict(client, found, None)
    fix = Fix.ADDED_HERE
    if _as_dict_holds_it(found, account).cid != found.cid:  # other names: ours first
        fix = _update_at_dict(client, found, account)
        if fix is not Fix.UPDATED_AT_DICT:
            return fix
    return _add_here(found, account, fix)


def _reconcile_key_held(client: DirectoryClient, found: EntryByCid, ours: Entry) -> Fix:
    """DICT holds our key under another CID: ours moves to DICT's account only if that is another
    open account of the same holder and the names agree; otherwise DICT gets our entry's account."""
    account = _dicts_account(found)
    if account is not None and account.holder_id != ours.account.holder_id:
        return Fix.UNRESOLVED  # another customer of ours at DICT: staff decide whose key it is
    if account is not None:
        cid = _as_dict_holds_it(found, account).cid
        if cid == found.cid:
            return _correct_here(ours, found, account, cid, Fix.CORRECTED_HERE)
    fix = _update_at_dict(client, found, ours.account)
    if fix is not Fix.UPDATED_AT_DICT:
        return fix
    return _correct_here(ours, found, ours.account, _as_dict_holds_it(found, ours.account).cid, fix)


def _in_flight(entry: Entry) -> bool:
    """A registration, deletion or update (keys.updates) of the entry is waiting for DICT: its own
    answer settles the entry, and a repair must not write over it."""
    return entry.status != EntryStatus.ACTIVE or entry.update_pending


def _dicts_account(found: EntryByCid) -> Account | None:
    """DICT's account, if it is an open one of ours held by the person DICT names."""
    return account_named_by_dict(found.entry.account, tax_id=found.entry.owner.tax_id, open_only=True)


def _as_dict_holds_it(found: EntryByCid, account: Account) -> Entry:
    """Our ACTIVE entry for DICT's key and RequestId on ``account`` (unsaved; its CID with our names)."""
    return active_entry_as_dict_holds_it(
        account=account,
        key_type=found.entry.key_type,
        key=found.entry.key,
        dict_request_id=found.request_id,
        registered_at=found.entry.created_at,
        key_ownership_date=found.entry.key_ownership_date,
    )


def _update_at_dict(client: DirectoryClient, found: EntryByCid, account: Account) -> Fix:
    """Make DICT hold our account and holder for the key (RECONCILIATION), where DICT allows it."""
    if found.entry.key_type == KeyType.EVP or account.holder.tax_id != found.entry.owner.tax_id:
        return Fix.UNRESOLVED
    try:
        client.update_entry(
            key=found.entry.key,
            account=bank_account(account),
            owner=owner(account.holder),
            reason=UpdateReason.RECONCILIATION,
        )
    except NotFound:
        return Fix.SKIPPED
    except DomainError as refusal:
        logger.warning("sync repair: DICT refused to update a %s key: %s", found.entry.key_type, refusal.code)
        return Fix.UNRESOLVED
    return Fix.UPDATED_AT_DICT


def _delete_at_dict(client: DirectoryClient, found: EntryByCid, entry_id: UUID | None) -> Fix:
    """DICT holds a key that is not ours (or no longer): delete it there with RECONCILIATION."""
    try:
        client.delete_entry(key=found.entry.key, reason=DeleteReason.RECONCILIATION)
    except NotFound:
        return Fix.SKIPPED
    except DomainError as refusal:
        logger.warning("sync repair: DICT refused to delete a %s key: %s", found.entry.key_type, refusal.code)
        return Fix.UNRESOLVED
    if entry_id is not None:
        with transaction.atomic():
            entry = Entry.objects.select_for_update(of=("self",)).get(pk=entry_id)
            record_event(entry, EntryEvent.RECONCILED, fix=Fix.DELETED_AT_DICT)
    return Fix.DELETED_AT_DICT


def _refuse_here(account: Account, key_type: str, key: str) -> Fix | None:
    """Why the key may not arrive on ``account`` here (locked; the caller's transaction holds it):
    SKIPPED if it closed meanwhile, UNRESOLVED if its key slots are full (claims on their way count)
    or the key is not its holder's to have. The rules a customer's registration meets."""
    locked = Account.objects.select_for_update(of=("self",)).select_related("holder").get(pk=account.pk)
    if locked.closed_at is not None:
        return Fix.SKIPPED
    try:
        check_key_matches_owner(
            key_type=key_type, key=key, person_type=locked.holder.person_type, tax_id=locked.holder.tax_id
        )
        check_key_slot(locked)
    except DomainError as refusal:
        logger.warning("sync repair: a %s key may not be held on account %s: %s", key_type, account.pk, refusal.code)
        return Fix.UNRESOLVED
    return None


def _add_here(found: EntryByCid, account: Account, fix: Fix) -> Fix:
    """Hold the key here as DICT does, on ``account`` (our names), if the account may take it."""
    try:
        with transaction.atomic():
            refused = _refuse_here(account, found.entry.key_type, found.entry.key)
            if refused is not None:
                return refused
            entry = _as_dict_holds_it(found, account)
            entry.save(force_insert=True)
            record_event(entry, EntryEvent.RECONCILED, fix=fix, cid=entry.cid)
            invalidate_lookup_on_commit(entry)
    except IntegrityError:  # the key went live here meanwhile, or the RequestId is another entry's
        return Fix.SKIPPED
    return fix


def _correct_here(ours: Entry, found: EntryByCid, account: Account, cid: str, fix: Fix) -> Fix:
    """Correct our entry to DICT's account, RequestId and CID, if it is still as read and, when the
    key changes account, the new one may take it."""
    try:
        with transaction.atomic():
            entry = Entry.objects.select_for_update(of=("self",)).get(pk=ours.pk)
            if _in_flight(entry) or entry.cid != ours.cid or entry.account_id != ours.account_id:
                return Fix.SKIPPED
            if account.pk != entry.account_id:
                refused = _refuse_here(account, entry.key_type, entry.key_value)
                if refused is not None:
                    return refused
            entry.account, entry.dict_request_id, entry.cid = account, found.request_id, cid
            entry.save(update_fields=["account", "dict_request_id", "cid", "updated_at"])
            record_event(entry, EntryEvent.RECONCILED, fix=fix, cid=cid)
            invalidate_lookup_on_commit(entry)
    except IntegrityError:  # the RequestId is another entry's
        return Fix.SKIPPED
    return fix


def _remove_here(entry_id: UUID, cid: str) -> Fix:
    """DICT holds none of our CIDs for this key: our ACTIVE entry is DELETED (RECONCILIATION), if it
    is still as read. Never one in flight: a deletion pending is settled by its own answer (DICT's
    NotFound means done), so the customer's request still reaches DICT if the key is there."""
    with transaction.atomic():
        entry = Entry.objects.select_for_update(of=("self",)).get(pk=entry_id)
        if _in_flight(entry) or entry.cid != cid:
            return Fix.SKIPPED
        entry.delete_reason = DeleteReason.RECONCILIATION
        mark_deleted(entry)
    return Fix.REMOVED_HERE


def _record_check(report: SyncReport) -> None:
    SyncCheck.objects.create(
        key_type=report.key_type,
        checked_at=timezone.now(),
        repair=report.repaired,
        ok_before=report.ok_before,
        ok=report.ok,
        entries=report.count,
        vsync=report.ours,
        directory_vsync=report.theirs,
        differences=report.differences,
        **{fix.value: report.fixes[fix] for fix in Fix},
    )
