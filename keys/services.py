"""Write use cases for entries: create (idempotent), register at DICT, delete (soft, LGPD)."""

import logging
import operator
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import partial, reduce
from uuid import UUID, uuid4

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Func, IntegerField, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.dict_view import bank_account, owner
from accounts.models import Account
from accounts.selectors import account_list
from common.permissions import require_staff_permission
from connect.client import get_client
from dict_rules.cid import compute_cid
from dict_rules.directory import EntryRequest
from dict_rules.errors import (
    DomainError,
    EntryAlreadyExists,
    EntryKeyOwnedByDifferentPerson,
    EntryLimitExceeded,
    EntryStateInvalid,
    NotFound,
    RequestIdAlreadyUsed,
    ServiceUnavailable,
)
from dict_rules.keys import DeleteReason, KeyType, check_key_matches_owner, key_limit_for, normalize_key
from dict_rules.possession import needs_possession_proof
from events.services import event_record
from events.types import EntryEvent
from keys.domain import (
    LIVE_STATUSES,
    EntryStatus,
    check_staff_delete_reason,
    parse_delete_reason,
)
from keys.metrics import count_registration_failure
from keys.models import LIVE, Entry, Requester, requester_fields
from keys.own_view import refresh_own_entry
from keys.selectors import entries_waiting, entry_list
from possession.services import proof_use
from rfb.services import rfb_check

logger = logging.getLogger(__name__)


def record_event(entry: Entry, event_type: EntryEvent, actor: AbstractBaseUser | None = None, **payload) -> None:
    event_record(
        event_type=event_type,
        aggregate_id=entry.pk,
        actor=actor,
        payload={"status": entry.status, "key_type": entry.key_type, **payload},
    )


def _replay(
    *, user: AbstractBaseUser, request_id: UUID, account_id: int, key_type: str, key: str | None
) -> Entry | None:
    """The entry an earlier call with this request id created, if the data is the same."""
    earlier = Entry.objects.filter(requested_by=user, request_id=request_id).first()
    if earlier is None:
        return None
    if (earlier.account_id, earlier.key_type) != (account_id, key_type) or (
        key_type != KeyType.EVP and earlier.key_value != key
    ):
        raise RequestIdAlreadyUsed.on_field("request_id", "this request_id was already used with different data.")
    return earlier


def _refuse_local_duplicate(*, key: str, account: Account) -> None:
    """Look in our own database first (DICT_RULES §3): a live key here is answered without DICT."""
    holder = Entry.objects.filter(LIVE, key_value=key).values_list("account__holder__tax_id", flat=True).first()
    if holder is not None:
        _refuse_duplicate_of(holder, account=account)


def _refuse_duplicate_of(key_holder: str, *, account: Account) -> None:
    """DICT's answers for a key live here already, held by ``key_holder`` (a tax id)."""
    if key_holder == account.holder.tax_id:
        raise EntryAlreadyExists.on_field("key_value", "this key is already registered for this owner.")
    raise EntryKeyOwnedByDifferentPerson.on_field(
        "key_value", "this key belongs to another person; an ownership claim may be opened."
    )


def entry_create(
    *,
    user: AbstractBaseUser,
    account_id: int,
    key_type: str,
    key_value: str | None,
    request_id: UUID,
    possession_challenge_id: UUID | None = None,
) -> tuple[Entry, bool]:
    """Save a new entry as PENDING and have it registered at DICT once committed.

    Returns the entry (registered already when tasks run in this process: ``register_created``) and
    whether this call was a replay of an earlier one with the same request id (idempotent retry).
    The account row is locked so the per-account limit holds under concurrency; the partial unique
    index settles races on the key itself, and the (user, request id) one finds a retry: the insert
    is tried first, and only a refusal or a unique index looks for an earlier call to replay (a
    retry is refused by what its first call did: its key fills the limit or is a duplicate, its
    proof is spent). Nothing serialises one user's creates: a concurrent retry of this call meets
    the first one's key in the duplicate check (it waited on the account's lock) or in the unique
    index, and is then replayed from what the first one committed, rather than refused as a
    duplicate of its own key.

    A PHONE or EMAIL key needs ``possession_challenge_id``, the holder's confirmed proof of that key
    (DICT_RULES §1), spent in the insert's transaction; a replay needs none (the first call spent it).
    """
    key = normalize_key(key_type, key_value)
    same_call = {"user": user, "request_id": request_id, "account_id": account_id, "key_type": key_type, "key": key}
    try:
        check_owner_at_rfb(user=user, account_id=account_id)
        with transaction.atomic():
            entry = _insert_pending(**same_call, possession_challenge_id=possession_challenge_id)
    except IntegrityError:
        # A unique index: this request id was used already (a retry, or a concurrent one), or a concurrent
        # call won the race for this key. The transaction is rolled back; these reads see what the other committed.
        earlier = _replay(**same_call)
        if earlier is not None:
            return earlier, True
        account = Account.objects.select_related("holder").get(pk=account_id)
        _refuse_local_duplicate(key=key, account=account)
        raise EntryAlreadyExists.on_field("key_value", "this key was registered concurrently.") from None
    except DomainError:
        # A retry is answered as its first call was, whatever refuses it now (the first call's key, its
        # spent proof, or what changed since: Receita Federal's answer, the account's closure).
        earlier = _replay(**same_call)
        if earlier is not None:
            return earlier, True
        raise
    return entry, False


def check_owner_at_rfb(*, user: AbstractBaseUser, account_id: int) -> None:
    """The account's holder is checked at Receita Federal (status and names, DICT_RULES §1) before
    a key is registered, updated, ported or claimed for it: OwnerTaxIdIrregular, OwnerNameMismatch,
    or ServiceUnavailable when the registry does not answer (never unchecked). Called with no
    transaction open, since the registry may be slow; an account the user cannot see is left to
    the caller's own check, which refuses it."""
    account = account_list(user=user).select_related("holder").filter(pk=account_id).first()
    if account is not None:
        rfb_check(owner(account.holder))


def _insert_pending(
    *,
    user: AbstractBaseUser,
    account_id: int,
    key_type: str,
    key: str | None,
    request_id: UUID,
    possession_challenge_id: UUID | None,
) -> Entry:
    try:
        account = account_list(user=user).select_for_update(of=("self",)).get(pk=account_id)
    except Account.DoesNotExist:
        raise NotFound.on_field("account_id", "account not found.") from None
    if account.closed_at is not None:
        raise EntryStateInvalid.on_field("account_id", "the account is closed.")
    holder = account.holder
    check_key_matches_owner(key_type=key_type, key=key, person_type=holder.person_type, tax_id=holder.tax_id)
    key_holder = _check_key_slot(account, key=key)
    entry = Entry(account=account, key_type=key_type, key_value=key, request_id=request_id, **requester_fields(user))
    if needs_possession_proof(key_type):
        # Before the duplicate is told, so whether a phone or e-mail is registered here is told only to
        # whoever proved they hold it; spent only if the insert commits (a refusal below rolls it back).
        proof = {"challenge_id": possession_challenge_id, "used_for": f"entry:{entry.pk}"}
        proof_use(holder_id=holder.pk, key_type=key_type, key=key, **proof)
    if key_holder is not None:
        _refuse_duplicate_of(key_holder, account=account)
    entry.save(force_insert=True)
    record_event(entry, EntryEvent.CREATED, actor=user)
    transaction.on_commit(lambda: register_created(entry), robust=True)
    return entry


SlotHolders = Callable[[Account], Iterable[QuerySet]]
# Key slots other apps hold on an account: each registered function returns the queries of its app's
# rows that each reserve one of the account's slots for a key still on its way (claims registers its
# claims and claim starts in ClaimsConfig.ready()). keys knows nothing of those apps, and counts the
# rows with its own in one statement, under the account's row lock.
_SLOT_HOLDERS: list[SlotHolders] = []


def register_key_slot_holders(holders: SlotHolders) -> None:
    """Make ``check_key_slot`` count the rows ``holders`` returns as reserved slots (idempotent)."""
    if holders not in _SLOT_HOLDERS:
        _SLOT_HOLDERS.append(holders)


def check_key_slot(account: Account) -> None:
    """Refuse one more key for the account when its live keys and the slots other apps reserve
    (the registered holders: e.g. claims bringing keys to it) fill DICT's limit (5 or 20).

    A claim in progress holds a slot from its start, so completing it can never take the
    account past the limit (stricter than counting only registered keys). Callers hold the
    account's row lock, which serialises every path that takes a slot.
    """
    _check_key_slot(account, key=None)


def _count(rows: QuerySet) -> Subquery:
    """How many ``rows``, as a scalar subquery (several add up in one statement)."""
    counted = rows.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Subquery(counted, output_field=IntegerField())


def _check_key_slot(account: Account, *, key: str | None) -> str | None:
    """``check_key_slot``, returning the tax id of the holder of ``key``'s live entry here, if any: both
    read in one statement, taken after the account's lock (so it counts what the lock waited for)."""
    # A key an update is moving here holds a slot here too until DICT has moved it (keys.updates).
    here = Q(account=account) | Q(update_pending=True, update_account=account)
    holders = [Entry.objects.filter(LIVE).filter(here), *(rows for held in _SLOT_HOLDERS for rows in held(account))]
    read = {"taken": reduce(operator.add, map(_count, holders))}
    if key is not None:
        live = Entry.objects.filter(LIVE, key_value=key).order_by().values("account__holder__tax_id")[:1]
        read["key_holder"] = Subquery(live)
    row = Account.objects.filter(pk=account.pk).values(**read).get()
    limit = key_limit_for(account.holder.person_type)
    if row["taken"] >= limit:
        raise EntryLimitExceeded(
            f"this account already holds or is claiming {limit} keys, the most DICT allows for it."
        )
    return row.get("key_holder")


def enqueue_task(task_name: str, entry_id: UUID | int) -> None:
    """Hand DICT work to a worker (for an entry, or a holder's keys); the rows are committed, so a
    broker outage loses nothing."""
    from keys import tasks  # tasks import this module

    try:
        getattr(tasks, task_name).delay(str(entry_id))
    except Exception:  # the broker is down: sync_pending re-drives the work later
        logger.warning("could not enqueue %s for %s; sync_pending will", task_name, entry_id, exc_info=True)


def invalidate_lookup_on_commit(entry: Entry) -> None:
    """The lookups' view of this key (keys.own_view) is refreshed once the change commits."""
    if entry.key_value:
        key = entry.key_value
        transaction.on_commit(lambda: refresh_own_entry(key), robust=True)


def _entry_request(entry: Entry) -> EntryRequest:
    account, holder = entry.account, entry.account.holder
    return EntryRequest(
        key_type=entry.key_type,
        key=entry.key_value,
        owner=owner(holder),
        account=bank_account(account),
        request_id=entry.dict_request_id,
    )


def entry_cid(entry: Entry, account: Account | None = None) -> str:
    """The CID DICT computes for this entry: its RequestId over the key, owner and account (``account``:
    another of the owner's, as an update would have it; DICT keeps the RequestId across updates)."""
    account = account or entry.account
    return compute_cid(
        request_id=entry.dict_request_id,
        key_type=entry.key_type,
        key=entry.key_value,
        owner=owner(account.holder),
        account=bank_account(account),
    )


def entry_register(*, entry_id: UUID) -> Entry:
    """Ask DICT to register a PENDING entry; its answer makes it ACTIVE or FAILED.

    The committed PENDING row is the intent: DICT is asked with no transaction open, and its
    answer is applied in a short one, by an UPDATE only of a row still PENDING (which locks it
    until the answer's event is written). Two workers (a retry, sync_pending) may both ask: DICT
    replays a RequestId, so both get the same entry, and the second finds it applied.
    ServiceUnavailable propagates with the entry still PENDING, so the caller retries; a crash
    after DICT answered leaves it PENDING too, for sync_pending. Calling for an entry no longer
    PENDING does nothing. An entry the system registers (``entry_restore_by_claim``) has its owner
    checked at Receita Federal first, with no transaction open: a refusal fails it like DICT's, an
    outage propagates. An entry that becomes ACTIVE on an account closed meanwhile is sent for
    deletion in the same transaction (``request_delete_if_account_closed``), and returned DELETE_PENDING.
    """
    return _register(Entry.objects.select_related("account__holder").get(pk=entry_id))


def register_created(entry: Entry) -> None:
    """Have DICT register the entry a create just committed (its on-commit callback).

    Where tasks run in this process (the embedded default, tests: Celery's eager mode), this very
    entry object is registered here, so the create answers with DICT's result without reading the
    row again nor dispatching a task; a directory that does not answer leaves it PENDING for
    sync_pending, as a worker's retries would. Otherwise a worker registers it.
    """
    from keys import tasks  # tasks import this module

    if not tasks.tasks_run_here():
        enqueue_task("register_entry", entry.pk)
        return
    try:
        if _register(entry) is not entry:  # its deletion was asked at once (a closed account): as it is now
            entry.refresh_from_db()
    except ServiceUnavailable:
        logger.warning("directory unavailable for entry %s; sync_pending will re-drive it", entry.pk)


def _register(entry: Entry) -> Entry:
    """``entry_register`` on an entry read with its account and holder, which DICT's answer updates in place
    (the entry returned is another only when its deletion is asked at once)."""
    if entry.status != EntryStatus.PENDING:
        return entry
    try:
        if entry.requested_by_kind == Requester.SYSTEM:  # no customer call checked the owner (a win-back)
            rfb_check(owner(entry.account.holder))
        registered = get_client().create_entry(_entry_request(entry))
    except ServiceUnavailable:
        raise
    except DomainError as refusal:
        with transaction.atomic():
            if _apply_if_pending(entry, status=EntryStatus.FAILED, failure_code=refusal.code):
                record_event(entry, EntryEvent.REGISTRATION_FAILED, failure_code=refusal.code)
                transaction.on_commit(partial(count_registration_failure, refusal.code))
        return entry
    entry.key_value = registered.key
    cid = entry_cid(entry)  # over the owner and account DICT was sent, with the key it holds
    answer = {"key_value": registered.key, "cid": cid, "status": EntryStatus.ACTIVE}
    answer |= {"registered_at": registered.created_at, "key_ownership_date": registered.key_ownership_date}
    with transaction.atomic():
        if not _apply_if_pending(entry, **answer):
            return entry
        record_event(entry, EntryEvent.ACTIVATED, cid=entry.cid)
        invalidate_lookup_on_commit(entry)
        return request_delete_if_account_closed(entry)


def _apply_if_pending(entry: Entry, **answer) -> bool:
    """Store DICT's answer on the entry's row if it is still PENDING (one UPDATE, which locks the row
    until the caller's transaction ends), and on ``entry``; else ``entry`` is refreshed: another worker
    applied an answer first, or the row moved on."""
    answer["updated_at"] = timezone.now()
    if not Entry.objects.filter(pk=entry.pk, status=EntryStatus.PENDING).update(**answer):
        entry.refresh_from_db()
        return False
    for field, value in answer.items():
        setattr(entry, field, value)
    return True


# The back-office's permission to delete keys at DICT: the admin never deletes rows, so the
# model's delete permission means that.
STAFF_DELETE_PERMISSION = "keys.delete_entry"


def entry_delete(*, user: AbstractBaseUser, entry_id: UUID, reason: str | None = None) -> Entry:
    """The customer API's delete: one of the user's own keys, for a customer's reason.

    Staff are customers here too: the PSP's reasons and other holders' keys are the back-office's
    (``entry_delete_by_staff``), so a staff token can never act on a customer's key through the API.
    """
    delete_reason = parse_delete_reason(reason)
    return request_delete(entry_list(user=user), entry_id=entry_id, reason=delete_reason, actor=user)


def entry_delete_by_staff(*, user: AbstractBaseUser, entry_id: UUID, reason: str) -> Entry:
    """The back-office's delete (the admin's staff actions): any key, for the PSP's reasons only
    (FRAUD, RFB_VALIDATION), by staff holding the delete permission; the events name them."""
    require_staff_permission(user, STAFF_DELETE_PERMISSION, doing="deleting keys at DICT")
    delete_reason = check_staff_delete_reason(reason)
    return request_delete(Entry.objects.all(), entry_id=entry_id, reason=delete_reason, actor=user)


def entry_delete_by_psp(*, entry_id: UUID, reason: DeleteReason) -> Entry:
    """The PSP's own delete with no staff member behind it (a batch job such as the RFB sweep): any
    key, for the PSP's reasons only (FRAUD, RFB_VALIDATION); its events name no actor."""
    return request_delete(Entry.objects.all(), entry_id=entry_id, reason=check_staff_delete_reason(reason), actor=None)


def request_delete(
    entries: QuerySet[Entry], *, entry_id: UUID, reason: DeleteReason, actor: AbstractBaseUser | None
) -> Entry:
    """Ask for the deletion of one of ``entries``: a registered key waits (DELETE_PENDING) for DICT to remove it.

    A key DICT never registered (FAILED) is deleted here at once. Deleting a key already
    deleted or being deleted returns it unchanged (idempotent retry). The row and its
    history stay (soft delete, LGPD). Any key outside ``entries`` is not found.
    """
    with transaction.atomic():
        entry = entries.select_for_update(of=("self",)).filter(pk=entry_id).first()
        if entry is None:
            raise NotFound("Key not found.")
        if entry.status in (EntryStatus.DELETED, EntryStatus.DELETE_PENDING):
            return entry
        if entry.status == EntryStatus.PENDING:
            raise EntryStateInvalid("the key is still being registered at DICT; try again shortly.")
        entry.delete_reason = reason
        if entry.status == EntryStatus.FAILED:
            mark_deleted(entry, actor=actor)
            return entry
        entry.status = EntryStatus.DELETE_PENDING
        entry.update_pending = False  # a deletion supersedes an update still waiting (keys.updates)
        entry.save(update_fields=["status", "delete_reason", "update_pending", "updated_at"])
        record_event(entry, EntryEvent.DELETE_REQUESTED, actor=actor, reason=reason)
        invalidate_lookup_on_commit(entry)
        entry_id = entry.pk
        transaction.on_commit(lambda: enqueue_task("unregister_entry", entry_id))
    return entry


def request_delete_if_account_closed(entry: Entry) -> Entry:
    """Ask for the deletion (ACCOUNT_CLOSURE) of an entry just made ACTIVE, or just moved by an update, if
    its account is closed.

    Why: the closure's keys step (``keys.updates.account_entries_close``) deletes the keys ACTIVE when it
    runs; a key still being registered then (``entry_register``, a win-back's restore included) or one a
    CONFIRMED portability brings later (``entry_create_by_claim``) lands ACTIVE afterwards, and must not
    stay live on a closed account until the closure job's next run. Called in the transaction that
    activates the entry, it goes through ``request_delete`` as the closure step does: the entry commits
    DELETE_PENDING and a worker asks DICT once it has. Returns the entry as it now is. The account is
    read, not locked: a closure committed after this read is left to the closure job (the safety net).
    """
    if not Account.objects.filter(pk=entry.account_id, closed_at__isnull=False).exists():
        return entry
    logger.info("key %s became active on closed account %s: deleting it", entry.pk, entry.account_id)
    entries = Entry.objects.filter(account_id=entry.account_id)
    return request_delete(entries, entry_id=entry.pk, reason=DeleteReason.ACCOUNT_CLOSURE, actor=None)


def mark_deleted(entry: Entry, actor: AbstractBaseUser | None = None, **payload) -> None:
    entry.status = EntryStatus.DELETED
    entry.deleted_at = timezone.now()
    entry.save(update_fields=["status", "delete_reason", "deleted_at", "updated_at"])
    if entry.delete_reason:
        payload["reason"] = entry.delete_reason
    record_event(entry, EntryEvent.DELETED, actor=actor, **payload)
    invalidate_lookup_on_commit(entry)


def entry_delete_by_claim(*, entry_id: UUID, claim_id: UUID, reason: str) -> Entry:
    """A claim we donated was confirmed: DICT already removed the key, so ours is DELETED at once.

    Its delete reason is the one the claim was confirmed with (DICT's ConfirmReason, e.g.
    DEFAULT_OPERATION when the holder did not answer in time), and its event names the claim too.
    Called inside the claim's transaction; an entry no longer live is left unchanged (re-drives).
    """
    entry = Entry.objects.select_for_update(of=("self",)).get(pk=entry_id)
    if entry.status in LIVE_STATUSES:
        entry.delete_reason = reason
        mark_deleted(entry, claim_id=str(claim_id))
    return entry


def entry_restore_by_claim(*, entry_id: UUID, claim_id: UUID) -> Entry | None:
    """The old holder won back a key a claim had taken (dict_rules.claims.is_win_back): register it again.

    ``entry_id`` is our entry the claim deleted. A new entry for the same account and key is saved
    PENDING (a new DICT RequestId, so DICT's new CID) and registered at DICT once committed, like a
    customer's, through the reservation DICT keeps for us. Called inside the claim's transaction,
    which stores the cancel DICT has already accepted; returns None, logged (ids only), if the key is
    live here again already or its account was closed meanwhile. The insert runs in a savepoint, so
    a live entry for the key committed concurrently (the unique index) wins and only the savepoint
    rolls back, never our record of the cancel. The account's key limit is DICT's to enforce here:
    the key held its slot until day 7, and a refusal leaves the new entry FAILED with DICT's code.
    No customer call checked the owner at Receita Federal: ``entry_register`` does, before DICT is asked.
    """
    gone = Entry.objects.select_related("account").get(pk=entry_id)
    if gone.account.closed_at is not None or Entry.objects.filter(LIVE, key_value=gone.key_value).exists():
        logger.warning("entry %s won back by claim %s not restored: live here already or closed", entry_id, claim_id)
        return None
    try:
        with transaction.atomic():
            entry = Entry.objects.create(
                account=gone.account,
                key_type=gone.key_type,
                key_value=gone.key_value,
                request_id=uuid4(),
                **requester_fields(None),
            )
    except IntegrityError:
        logger.warning("entry %s won back by claim %s not restored: live here concurrently", entry_id, claim_id)
        return None
    record_event(entry, EntryEvent.CREATED)
    transaction.on_commit(partial(enqueue_task, "register_entry", entry.pk))
    return entry


def active_entry_as_dict_holds_it(
    *,
    account: Account,
    key_type: str,
    key: str,
    dict_request_id: UUID,
    registered_at: datetime,
    key_ownership_date: datetime,
    requested_by: AbstractBaseUser | None = None,
) -> Entry:
    """Our ACTIVE entry (unsaved, CID set) for a key DICT created with ``dict_request_id`` on ``account``.

    The one way to hold here an entry DICT made without our registration (a completed claim, a
    sync repair): DICT's RequestId is both its request id and its DICT RequestId.
    """
    entry = Entry(
        account=account,
        key_type=key_type,
        key_value=key,
        status=EntryStatus.ACTIVE,
        request_id=dict_request_id,
        **requester_fields(requested_by),
        dict_request_id=dict_request_id,
        registered_at=registered_at,
        key_ownership_date=key_ownership_date,
    )
    entry.cid = entry_cid(entry)
    return entry


def entry_create_by_claim(
    *,
    account: Account,
    key_type: str,
    key: str,
    requested_by: AbstractBaseUser | None,
    dict_request_id: UUID,
    registered_at: datetime,
    key_ownership_date: datetime,
    claim_id: UUID,
) -> Entry:
    """A claim we made was completed: DICT created the entry with ``dict_request_id``; ours is ACTIVE.

    Idempotent on ``dict_request_id`` (the claim's complete RequestId), so re-polling is safe.
    With no ``requested_by`` (a claim adopted from DICT for a holder without a login) the system
    is its requester, with no user: DICT holds the key for us either way, so ours must exist too.
    On an account closed meanwhile, its deletion is requested at once (``request_delete_if_account_closed``).
    """
    earlier = Entry.objects.filter(dict_request_id=dict_request_id).first()
    if earlier is not None:
        return earlier
    entry = active_entry_as_dict_holds_it(
        account=account,
        key_type=key_type,
        key=key,
        dict_request_id=dict_request_id,
        registered_at=registered_at,
        key_ownership_date=key_ownership_date,
        requested_by=requested_by,
    )
    entry.save()
    record_event(entry, EntryEvent.ACTIVATED, cid=entry.cid, claim_id=str(claim_id))
    invalidate_lookup_on_commit(entry)
    return request_delete_if_account_closed(entry)


def entry_unregister(*, entry_id: UUID) -> Entry:
    """Ask DICT to remove a DELETE_PENDING entry; then it is DELETED here too.

    ServiceUnavailable propagates with the entry still DELETE_PENDING, so the caller retries.
    If DICT refuses (e.g. the key is locked by a claim) the key stays ACTIVE, with the code.
    As for registration, DICT is asked with no transaction open and its answer applied in a
    short one, only if the entry is still DELETE_PENDING (a second worker asking again gets
    NotFound, which means done; a crash in between leaves the entry to sync_pending).
    """
    entry = Entry.objects.get(pk=entry_id)
    if entry.status != EntryStatus.DELETE_PENDING:
        return entry
    refusal: DomainError | None = None
    try:
        get_client().delete_entry(key=entry.key_value, reason=entry.delete_reason)
    except ServiceUnavailable:
        raise
    except NotFound:
        pass  # DICT no longer has it: the deletion we asked for already happened
    except DomainError as error:
        refusal = error
    with transaction.atomic():
        entry = Entry.objects.select_for_update(of=("self",)).get(pk=entry_id)
        if entry.status != EntryStatus.DELETE_PENDING:
            return entry
        if refusal is None:
            mark_deleted(entry)
            return entry
        entry.status = EntryStatus.ACTIVE
        entry.failure_code = refusal.code
        entry.save(update_fields=["status", "failure_code", "updated_at"])
        record_event(entry, EntryEvent.DELETE_REFUSED, failure_code=refusal.code)
        invalidate_lookup_on_commit(entry)
    return entry


def entries_redrive(*, older_than: timedelta, limit: int = 500) -> dict[str, int]:
    """Push stuck DICT work again: registrations and deletions waiting longer than ``older_than``.

    Stops at the first ServiceUnavailable (the directory is down; the next run tries again).
    Each answer is applied in its own short transaction under the entry's row lock, and only to
    an entry still waiting, so concurrent runs and the workers' own retries never apply twice
    (they may ask DICT twice: a registration is replayed by its RequestId, a deletion answers
    NotFound once done).
    """
    counts = dict.fromkeys(["registered", "failed", "deleted", "delete_refused", "still_pending"], 0)
    outcomes = {
        (EntryStatus.PENDING, EntryStatus.ACTIVE): "registered",
        (EntryStatus.PENDING, EntryStatus.DELETE_PENDING): "registered",  # on a closed account: deleting it
        (EntryStatus.PENDING, EntryStatus.FAILED): "failed",
        (EntryStatus.DELETE_PENDING, EntryStatus.DELETED): "deleted",
        (EntryStatus.DELETE_PENDING, EntryStatus.ACTIVE): "delete_refused",
    }
    actions = {EntryStatus.PENDING: entry_register, EntryStatus.DELETE_PENDING: entry_unregister}
    work = []
    for status in actions:
        stuck = entries_waiting(status, older_than=older_than).order_by("updated_at")
        work += [(status, entry_id) for entry_id in stuck.values_list("pk", flat=True)[:limit]]
    for position, (status, entry_id) in enumerate(work):
        try:
            outcome = actions[status](entry_id=entry_id).status
        except ServiceUnavailable:
            counts["still_pending"] += len(work) - position
            break  # the directory is down: the next run tries again
        counts[outcomes.get((status, outcome), "still_pending")] += 1
    return counts
