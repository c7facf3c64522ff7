"""Changing a registered key at DICT (DICT_RULES §5, "Update"), and the flows that change keys in
bulk: a holder's new names sent on every live key (the owner refresh), and a closed account's keys
deleted with ACCOUNT_CLOSURE.

Only the account and the owner's names can change. The owner sent is always the holder's record
(core banking's, RFB-validated names): a customer chooses another of its open accounts, never a
name, so an update to the same account sends the holder's current names (a stale name refreshed).

Like registration and deletion, an update commits its intent first (``update_pending`` on the
ACTIVE entry, with the target account and the reason), asks DICT with no transaction open, then
applies the answer in a second short transaction that re-reads the row under its lock and applies
it only if that same update is still pending. The entry stays ACTIVE meanwhile: DICT answers
lookups with the old data until it has the new. ``updates_redrive`` (sync_pending) asks again after
a crash; DICT's update is idempotent (the same data gives the same CID and no CID event).

The CID: DICT keeps the entry's RequestId across updates and computes the CID over the new data
(DICT_RULES §7, as dictsim does): an update gives a new CID, REMOVED then ADDED at DICT.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.dict_view import bank_account, owner
from accounts.models import Account, Holder
from accounts.selectors import account_list
from accounts.services import ClosureReport, account_close
from common.permissions import require_staff_permission
from connect.client import get_client
from dict_rules.accounts import validate_holder
from dict_rules.directory import BankAccount, Owner
from dict_rules.errors import (
    AccountInvalid,
    DomainError,
    EntryStateInvalid,
    NotFound,
    RequestIdAlreadyUsed,
    ServiceUnavailable,
)
from dict_rules.keys import DeleteReason, UpdateReason
from events.selectors import event_list_for
from events.types import EntryEvent
from keys.domain import (
    LIVE_STATUSES,
    OWNER_REFRESH_REASON,
    EntryStatus,
    check_staff_update_reason,
    parse_update_reason,
)
from keys.models import LIVE, Entry
from keys.selectors import closed_accounts_unfinished, entry_list
from keys.services import (
    check_key_slot,
    enqueue_task,
    entry_cid,
    invalidate_lookup_on_commit,
    record_event,
    request_delete,
    request_delete_if_account_closed,
)
from rfb.services import rfb_check

logger = logging.getLogger(__name__)

# The back-office's permission to update keys at DICT: the admin never edits an entry (DICT owns
# its fields), so the model's change permission means that.
STAFF_UPDATE_PERMISSION = "keys.change_entry"
ReasonParser = Callable[..., UpdateReason]


def check_new_owner(new_owner: Owner) -> None:
    """The one place an update checks the owner data it is about to send DICT.

    DICT_RULES §5 (MAN §7.1 step 2): a new name or trade name is validated against RFB before DICT
    is asked. Here: DICT's formats for the names; the Receita Federal check (status and names,
    rfb.services.rfb_check) runs in ``_apply_update`` right before DICT is asked, with no transaction
    open, so it covers customers' and staff's updates and the owner refresh alike.
    """
    validate_holder(tax_id=new_owner.tax_id, name=new_owner.name, trade_name=new_owner.trade_name)


def _new_data(entry: Entry, target: Account) -> tuple[Owner, BankAccount]:
    """What an update sends DICT: the holder's record now, and the target account."""
    new_owner = owner(target.holder)
    check_new_owner(new_owner)
    return new_owner, bank_account(target)


# --- asking for an update -----------------------------------------------------------------------


def entry_update(
    *, user: AbstractBaseUser, entry_id: UUID, account_id: int, request_id: UUID, reason: str | None = None
) -> tuple[Entry, bool]:
    """The customer API's update: one of the user's keys to another of its open accounts (or the same
    one, with the holder's current names), for the customer's reason only (so never an EVP key).

    Returns the entry and whether this call replayed the last one with this request id; the request id
    of an earlier update, since followed by another, is refused (RequestIdAlreadyUsed), never applied again.
    """
    return _request_update(
        entry_list(user=user),
        entry_id=entry_id,
        accounts=account_list(user=user),
        account_id=account_id,
        parse=partial(parse_update_reason, reason),
        actor=user,
        request_id=request_id,
    )


def entry_update_by_staff(
    *, user: AbstractBaseUser, entry_id: UUID, reason: str, account_id: int | None = None
) -> Entry:
    """The back-office's update (the admin's staff action): any key, to another account of its holder
    or with the holder's current names, for the PSP's reasons (EVP only with RFB_VALIDATION)."""
    require_staff_permission(user, STAFF_UPDATE_PERMISSION, doing="updating keys at DICT")
    entry, _ = _request_update(
        Entry.objects.all(),
        entry_id=entry_id,
        accounts=Account.objects.all(),
        account_id=account_id,
        parse=partial(check_staff_update_reason, reason),
        actor=user,
    )
    return entry


def _request_update(
    entries: QuerySet[Entry],
    *,
    entry_id: UUID,
    accounts: QuerySet[Account],
    account_id: int | None,
    parse: ReasonParser,
    actor: AbstractBaseUser | None,
    request_id: UUID | None = None,
) -> tuple[Entry, bool]:
    """Commit the intent to update one of ``entries``, then have a worker ask DICT.

    Refused while the key is not ACTIVE or another update of it waits for DICT. The target account
    is locked, so its key limit (DICT_RULES §3) holds against concurrent creates and claims; the
    key holds a slot there until DICT has moved it. An update that would send DICT exactly what it
    has (the same CID) changes nothing and asks nothing.
    """
    with transaction.atomic():
        entry = entries.select_for_update(of=("self",)).select_related("account__holder").filter(pk=entry_id).first()
        if entry is None:
            raise NotFound("Key not found.")
        reason = parse(key_type=entry.key_type)
        if request_id is not None and entry.update_request_id == request_id:
            if (entry.update_account_id, entry.update_reason) != (account_id or entry.account_id, reason):
                raise RequestIdAlreadyUsed.on_field("request_id", "this request_id was already used with other data.")
            return entry, True
        if request_id is not None and _update_request_id_used(entry, request_id):
            # An earlier update of this key, since followed by another: applying it again would move the
            # key back, and its own outcome is no longer the key's state to replay.
            raise RequestIdAlreadyUsed.on_field("request_id", "this request_id was used by an earlier update.")
        if entry.status != EntryStatus.ACTIVE:
            raise EntryStateInvalid("only a key registered at DICT (ACTIVE) can be updated.")
        if entry.update_pending:
            raise EntryStateInvalid("an update of this key is still waiting for DICT; try again shortly.")
        target = _target_account(entry, accounts, account_id)
        _new_data(entry, target)
        if target.pk == entry.account_id and entry_cid(entry, target) == entry.cid:
            return entry, False  # DICT already has exactly this
        _set_intent(entry, target=target, reason=reason, actor=actor, request_id=request_id)
        transaction.on_commit(partial(enqueue_task, "update_entry", entry.pk))
    return entry, False


def _update_request_id_used(entry: Entry, request_id: UUID) -> bool:
    """Whether an update of this key was already requested with ``request_id`` (its EntryUpdateRequested
    event records it): the entry itself keeps only the last one's."""
    requested = event_list_for(aggregate_type="entry", aggregate_id=str(entry.pk)).filter(
        event_type=EntryEvent.UPDATE_REQUESTED
    )
    return requested.filter(payload__request_id=str(request_id)).exists()


def _target_account(entry: Entry, accounts: QuerySet[Account], account_id: int | None) -> Account:
    """The account the key moves to (its own when none is named): open, its holder's, with a free slot."""
    if account_id is None or account_id == entry.account_id:
        target = entry.account
    else:
        target = accounts.select_for_update(of=("self",)).select_related("holder").filter(pk=account_id).first()
        if target is None:
            raise NotFound.on_field("account_id", "account not found.")
        if target.holder_id != entry.account.holder_id:
            raise AccountInvalid.on_field("account_id", "a key moves only between its owner's own accounts.")
        check_key_slot(target)
    if target.closed_at is not None:
        raise EntryStateInvalid.on_field("account_id", "the account is closed.")
    return target


def _set_intent(
    entry: Entry, *, target: Account, reason: UpdateReason, actor: AbstractBaseUser | None, request_id: UUID | None
) -> None:
    entry.update_account = target
    entry.update_reason = reason
    entry.update_request_id = request_id
    entry.update_requested_at = timezone.now()
    entry.update_pending = True
    entry.owner_refresh_due = False  # the update sends the holder's names as they are now
    fields = ["update_account", "update_reason", "update_request_id", "update_requested_at", "update_pending"]
    entry.save(update_fields=[*fields, "owner_refresh_due", "updated_at"])
    given = {"request_id": str(request_id)} if request_id is not None else {}
    record_event(entry, EntryEvent.UPDATE_REQUESTED, actor=actor, reason=reason, **given)


# --- asking DICT and applying its answer ----------------------------------------------------------


def entry_apply_update(*, entry_id: UUID) -> Entry:
    """Ask DICT for an entry's pending update; its answer moves the key or records the refusal.

    ServiceUnavailable propagates with the update still pending, so the caller retries. DICT is
    asked with no transaction open, and the answer applied only to the same pending update, under
    the row's lock: a second worker asking again gets the same answer from DICT and finds it applied.
    """
    return _apply_update(entry_id)[0]


def _apply_update(entry_id: UUID) -> tuple[Entry, str]:
    """``entry_apply_update``, and what came of it: updated, refused, or skipped (nothing pending)."""
    entry = Entry.objects.select_related("account__holder", "update_account__holder").get(pk=entry_id)
    if entry.status != EntryStatus.ACTIVE or not entry.update_pending:
        return entry, "skipped"
    asked_at, target = entry.update_requested_at, entry.update_account
    try:
        if target.closed_at is not None:
            raise EntryStateInvalid("the account was closed before DICT was asked.")
        new_owner, new_account = _new_data(entry, target)
        rfb_check(new_owner)  # DICT_RULES §1, §5: the owner's status and names at Receita Federal first
        get_client().update_entry(key=entry.key_value, account=new_account, owner=new_owner, reason=entry.update_reason)
    except ServiceUnavailable:
        raise
    except DomainError as refusal:
        return _settle(entry_id, asked_at, refusal=refusal), "refused"
    return _settle(entry_id, asked_at, target=target, cid=entry_cid(entry, target)), "updated"


def _settle(
    entry_id: UUID,
    asked_at: datetime | None,
    *,
    target: Account | None = None,
    cid: str = "",
    refusal: DomainError | None = None,
) -> Entry:
    """DICT's answer to the update asked at ``asked_at``, applied if that update is still pending."""
    with transaction.atomic():
        entry = Entry.objects.select_for_update(of=("self",)).get(pk=entry_id)
        if not entry.update_pending or entry.update_requested_at != asked_at:
            return entry
        entry.update_pending = False
        if entry.status != EntryStatus.ACTIVE:  # deleted meanwhile: the update no longer matters
            entry.save(update_fields=["update_pending", "updated_at"])
            return entry
        if refusal is not None:
            entry.failure_code = refusal.code
            entry.save(update_fields=["update_pending", "failure_code", "updated_at"])
            record_event(entry, EntryEvent.UPDATE_REFUSED, reason=entry.update_reason, failure_code=refusal.code)
            return entry
        entry.account, entry.cid, entry.failure_code = target, cid, ""
        entry.save(update_fields=["update_pending", "account", "cid", "failure_code", "updated_at"])
        record_event(entry, EntryEvent.UPDATED, reason=entry.update_reason, cid=cid)
        invalidate_lookup_on_commit(entry)  # the lookup's view of our own key shows the new account
        entry = request_delete_if_account_closed(entry)  # the target closed while DICT was asked
    return entry


# What the re-drive counts each key's outcome as (sync_pending's report; an unchanged key was refreshed).
REDRIVE_COUNTS = {"updated": "updated", "refused": "update_refused", "waiting": "update_still_pending"}


def updates_redrive(*, older_than: timedelta, limit: int = 500) -> dict[str, int]:
    """Push stuck updates again: pending longer than ``older_than``, and owner refreshes still due
    (a rename whose task the broker lost, a key that was busy when its holder was renamed).

    Stops at the first ServiceUnavailable; each answer is applied to the same pending update only.
    """
    counts = dict.fromkeys(["updated", "update_refused", "owner_refreshed", "update_still_pending"], 0)
    cutoff = timezone.now() - older_than
    stuck = Entry.objects.filter(status=EntryStatus.ACTIVE).filter(
        Q(update_pending=True, update_requested_at__lt=cutoff) | Q(owner_refresh_due=True, updated_at__lt=cutoff)
    )
    work = list(stuck.order_by("updated_at").values_list("pk", flat=True)[:limit])
    for position, entry_id in enumerate(work):
        try:
            outcome = _refresh_one(entry_id)
        except ServiceUnavailable:
            counts["update_still_pending"] += len(work) - position
            break
        counts[REDRIVE_COUNTS.get(outcome, "owner_refreshed")] += 1
    return counts


# --- a holder's new names: the owner refresh ----------------------------------------------------


def holder_entries_mark_for_refresh(holder: Holder) -> None:
    """The rename's hook (accounts.services.holder_upsert), in its transaction: every live key of the
    holder is due an owner refresh, committed with the new names; a worker sends them once committed.

    Every live key, not only ACTIVE ones: a registration or update in flight may have sent the old
    names. Rows a concurrent answer holds are waited for, then marked too.
    """
    Entry.objects.filter(LIVE, account__holder=holder).update(owner_refresh_due=True)
    transaction.on_commit(partial(enqueue_task, "refresh_holder_keys", holder.pk))


def _mark_owner_refresh(entry_id: UUID) -> Entry:
    """Turn a due owner refresh into a pending update where DICT's data differs (the CIDs differ).

    The holder is read after the entry's lock is taken, so names renamed meanwhile are seen (and a
    rename committing later marks the entry again once this commits). A key busy with another
    update, or not ACTIVE, keeps its mark for later.
    """
    with transaction.atomic():
        entry = Entry.objects.select_for_update(of=("self",)).get(pk=entry_id)
        if entry.status != EntryStatus.ACTIVE or entry.update_pending or not entry.owner_refresh_due:
            return entry
        account = Account.objects.select_related("holder").get(pk=entry.account_id)
        if account.closed_at is not None or entry_cid(entry, account) == entry.cid:
            entry.owner_refresh_due = False  # DICT has these names already, or the key is being closed
            entry.save(update_fields=["owner_refresh_due", "updated_at"])
            return entry
        _set_intent(entry, target=account, reason=OWNER_REFRESH_REASON, actor=None, request_id=None)
    return entry


def _refresh_one(entry_id: UUID) -> str:
    """Finish a key's waiting update, then send the holder's names if they still differ at DICT."""
    outcome = "unchanged"
    for _ in range(2):  # an update already waiting first, then the refresh's own
        entry, applied = _apply_update(entry_id)
        if applied != "skipped":
            outcome = applied
        entry = _mark_owner_refresh(entry_id)
        if not entry.update_pending:
            break
    if entry.status in LIVE_STATUSES and (entry.update_pending or entry.owner_refresh_due):
        return "waiting"
    return outcome


@dataclass
class RefreshProgress:
    """The owner refresh of one holder (or of all) so far."""

    seen: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    waiting: int = 0  # busy keys (being registered, deleted): still marked, for a later run
    stopped: bool = False  # the directory is unavailable: run again later


def holder_keys_refresh(*, holder_id: int | None = None, batch: int = 100) -> Iterator[RefreshProgress]:
    """Send DICT the holder's current names on each of its keys that is due (all holders' with None),
    one key at a time, yielding the progress after each.

    Safe to kill and re-run: a key is done once its mark is cleared and no update of it is pending,
    so a re-run takes only what is left (an update asked of DICT twice changes nothing there).
    """
    progress = RefreshProgress()
    due = Entry.objects.filter(Q(owner_refresh_due=True) | Q(update_pending=True), status=EntryStatus.ACTIVE)
    if holder_id is not None:
        due = due.filter(account__holder_id=holder_id)
    due = due.order_by("pk")
    after: UUID | None = None
    while ids := list((due.filter(pk__gt=after) if after else due).values_list("pk", flat=True)[:batch]):
        after = ids[-1]
        for entry_id in ids:
            try:
                outcome = _refresh_one(entry_id)
            except ServiceUnavailable:
                logger.warning("directory unavailable; the owner refresh stops until it is run again")
                progress.stopped = True
                yield progress
                return
            progress.seen += 1
            setattr(progress, outcome, getattr(progress, outcome) + 1)
            yield progress


# --- a closed account's keys ---------------------------------------------------------------------


def account_entries_close(account: Account, report: ClosureReport) -> None:
    """The closure step of keys (after claims'): delete every key of the closed account at DICT with
    ACCOUNT_CLOSURE, one short transaction each (a key DICT never registered is deleted here at once).

    Left for a later run, and counted: keys still being registered, and keys an open claim holds
    (DICT refuses to delete those, EntryLockedByClaim: the claim decides, DICT_RULES §4.4). A key
    still being registered, or one a CONFIRMED portability brings, is sent for deletion as it
    becomes ACTIVE (``keys.services.request_delete_if_account_closed``); the closure job
    (``closed_accounts_finish``, beat) is the later run for the rest.
    """
    entries = Entry.objects.filter(account=account)
    deletable = entries.filter(status__in=[EntryStatus.ACTIVE, EntryStatus.FAILED]).exclude(
        pk__in=report.held_entry_ids
    )
    for entry_id in deletable.values_list("pk", flat=True):
        try:
            request_delete(entries, entry_id=entry_id, reason=DeleteReason.ACCOUNT_CLOSURE, actor=report.actor)
        except DomainError as refusal:
            logger.warning("key %s of closed account %s not deleted: %s", entry_id, account.pk, refusal.code)
            report.keys_left += 1
        else:
            report.keys_deleting += 1
    report.keys_left += entries.filter(status=EntryStatus.PENDING).count() + len(report.held_entry_ids)


# Where the closure job's last run stopped (an account id): the next run goes on from there, so
# accounts left waiting on a claim for days never crowd out the ones after them.
CLOSURE_CURSOR_KEY = "keys:closure-finish:after"


@dataclass
class ClosureFinishProgress:
    """The closure job's run so far (``closed_accounts_finish``)."""

    accounts: int = 0
    keys_deleting: int = 0
    claims_settled: int = 0  # portabilities confirmed and claims cancelled
    unfinished: int = 0  # accounts with keys or claims still left, for a later run
    stopped: bool = False  # the directory is unavailable: the next run goes on


def closed_accounts_finish(*, limit: int = 100) -> Iterator[ClosureFinishProgress]:
    """Re-run the closure (``account_close``: claims' step, then keys') on up to ``limit`` closed accounts
    that still have keys not sent for deletion or open claims, yielding the progress after each.

    Why: a key can be left ACTIVE on an account after its closure ran, and nothing else deletes it. A key
    that becomes ACTIVE there (a registration in flight, a CONFIRMED portability completed) is sent for
    deletion at once (``keys.services.request_delete_if_account_closed``); this job is the safety net
    for the rest: a key an ownership claim held until it was cancelled, a deletion DICT refused, a
    closure committed while the activation was in flight, claims still open. ``account_close`` is
    idempotent, so a run killed midway and run again does nothing twice.
    """
    progress = ClosureFinishProgress()
    after = cache.get(CLOSURE_CURSOR_KEY, 0)
    unfinished = closed_accounts_unfinished()
    ids = list(unfinished.filter(pk__gt=after).values_list("pk", flat=True)[:limit])
    if not ids and after:
        ids = list(unfinished.values_list("pk", flat=True)[:limit])
    cache.set(CLOSURE_CURSOR_KEY, ids[-1] if len(ids) == limit else 0, timeout=None)
    for account_id in ids:
        try:
            report = account_close(account_id=account_id)
        except ServiceUnavailable:
            logger.warning("directory unavailable; the closure job stops until its next run")
            progress.stopped = True
            yield progress
            return
        progress.accounts += 1
        progress.keys_deleting += report.keys_deleting
        progress.claims_settled += report.claims_confirmed + report.claims_cancelled
        progress.unfinished += not report.finished
        yield progress
