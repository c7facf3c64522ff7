"""Write use cases for entries: create (idempotent), register at DICT, delete (soft, LGPD)."""

import logging
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account
from accounts.selectors import account_list
from connect.client import get_client
from connect.ports import BankAccount, EntryRequest, Owner
from dict_project.errors import (
    DomainError,
    EntryAlreadyExists,
    EntryKeyOwnedByDifferentPerson,
    EntryLimitExceeded,
    EntryStateInvalid,
    NotFound,
    RequestIdAlreadyUsed,
    ServiceUnavailable,
)
from events.services import event_record
from keys.domain import (
    EntryStatus,
    KeyType,
    check_key_matches_owner,
    compute_cid,
    key_limit_for,
    normalize_key,
    parse_delete_reason,
)
from keys.models import LIVE, Entry
from keys.selectors import entry_list

logger = logging.getLogger(__name__)


def _record(entry: Entry, event_type: str, actor: AbstractBaseUser | None = None, **payload) -> None:
    event_record(
        aggregate_type="entry",
        aggregate_id=str(entry.pk),
        event_type=event_type,
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
    if holder is None:
        return
    if holder == account.holder.tax_id:
        raise EntryAlreadyExists.on_field("key_value", "this key is already registered for this owner.")
    raise EntryKeyOwnedByDifferentPerson.on_field(
        "key_value", "this key belongs to another person; an ownership claim may be opened."
    )


def entry_create(
    *, user: AbstractBaseUser, account_id: int, key_type: str, key_value: str | None, request_id: UUID
) -> tuple[Entry, bool]:
    """Save a new entry as PENDING and have it registered at DICT once committed.

    Returns the entry and whether this call was a replay of an earlier one with the same
    request id (idempotent retry). The account row is locked so the per-account limit holds
    under concurrency; the partial unique index settles races on the key itself.
    """
    key = normalize_key(key_type, key_value)
    earlier = _replay(user=user, request_id=request_id, account_id=account_id, key_type=key_type, key=key)
    if earlier is not None:
        return earlier, True
    try:
        with transaction.atomic():
            entry = _insert_pending(user=user, account_id=account_id, key_type=key_type, key=key, request_id=request_id)
    except IntegrityError:
        # A concurrent call won the race: either with this request id, or for this key.
        earlier = _replay(user=user, request_id=request_id, account_id=account_id, key_type=key_type, key=key)
        if earlier is not None:
            return earlier, True
        account = Account.objects.select_related("holder").get(pk=account_id)
        _refuse_local_duplicate(key=key, account=account)
        raise EntryAlreadyExists.on_field("key_value", "this key was registered concurrently.") from None
    return entry, False


def _insert_pending(
    *, user: AbstractBaseUser, account_id: int, key_type: str, key: str | None, request_id: UUID
) -> Entry:
    try:
        account = account_list(user=user).select_for_update(of=("self",)).get(pk=account_id)
    except Account.DoesNotExist:
        raise NotFound.on_field("account_id", "account not found.") from None
    if account.closed_at is not None:
        raise EntryStateInvalid.on_field("account_id", "the account is closed.")
    holder = account.holder
    check_key_matches_owner(key_type=key_type, key=key, person_type=holder.person_type, tax_id=holder.tax_id)
    if key is not None:
        _refuse_local_duplicate(key=key, account=account)
    limit = key_limit_for(holder.person_type)
    if Entry.objects.filter(LIVE, account=account).count() >= limit:
        raise EntryLimitExceeded(f"this account already holds {limit} keys, the most DICT allows for it.")
    entry = Entry.objects.create(
        account=account, key_type=key_type, key_value=key, request_id=request_id, requested_by=user
    )
    _record(entry, "EntryCreated", actor=user)
    entry_id = entry.pk
    transaction.on_commit(lambda: _enqueue_registration(entry_id))
    return entry


def _enqueue_registration(entry_id: UUID) -> None:
    """Hand the registration to a worker; the entry is committed, so a broker outage loses nothing."""
    from keys.tasks import register_entry  # tasks import this module

    try:
        register_entry.delay(str(entry_id))
    except Exception:  # the broker is down: the entry stays PENDING for the re-drive job
        logger.warning("could not enqueue registration of entry %s; it stays PENDING", entry_id, exc_info=True)


def _entry_request(entry: Entry) -> EntryRequest:
    account, holder = entry.account, entry.account.holder
    return EntryRequest(
        key_type=entry.key_type,
        key=entry.key_value,
        owner=Owner(
            person_type=holder.person_type, tax_id=holder.tax_id, name=holder.name, trade_name=holder.trade_name
        ),
        account=BankAccount(
            participant=account.ispb,
            branch=account.branch,
            number=account.number,
            account_type=account.account_type,
            opening_date=account.opening_date,
        ),
        request_id=entry.dict_request_id,
    )


def entry_register(*, entry_id: UUID) -> Entry:
    """Ask DICT to register a PENDING entry; its answer makes it ACTIVE or FAILED.

    ServiceUnavailable propagates with the entry still PENDING, so the caller retries.
    Calling for an entry that is no longer PENDING does nothing (safe to re-drive).
    """
    with transaction.atomic():
        entry = Entry.objects.select_for_update(of=("self",)).select_related("account__holder").get(pk=entry_id)
        if entry.status != EntryStatus.PENDING:
            return entry
        try:
            registered = get_client().create_entry(_entry_request(entry))
        except ServiceUnavailable:
            raise
        except DomainError as refusal:
            entry.status = EntryStatus.FAILED
            entry.failure_code = refusal.code
            entry.save(update_fields=["status", "failure_code", "updated_at"])
            _record(entry, "EntryRegistrationFailed", failure_code=refusal.code)
            return entry
        holder, account = entry.account.holder, entry.account
        entry.key_value = registered.key
        entry.cid = compute_cid(
            request_id=entry.dict_request_id,
            key_type=entry.key_type,
            key=registered.key,
            owner_tax_id=holder.tax_id,
            owner_name=holder.name,
            owner_trade_name=holder.trade_name,
            participant=account.ispb,
            branch=account.branch,
            account_number=account.number,
            account_type=account.account_type,
        )
        entry.status = EntryStatus.ACTIVE
        entry.registered_at = registered.created_at
        entry.key_ownership_date = registered.key_ownership_date
        entry.save(update_fields=["key_value", "cid", "status", "registered_at", "key_ownership_date", "updated_at"])
        _record(entry, "EntryActivated", cid=entry.cid)
        return entry


def entry_delete(*, user: AbstractBaseUser, entry_id: UUID, reason: str | None = None) -> Entry:
    """Soft-delete a key: DICT first for a registered key, then our row keeps its history.

    Deleting an already deleted key returns it unchanged (idempotent retry).
    """
    delete_reason = parse_delete_reason(reason, staff=user.is_staff)
    with transaction.atomic():
        entry = _lock_visible(user=user, entry_id=entry_id)
        if entry.status == EntryStatus.DELETED:
            return entry
        if entry.status == EntryStatus.PENDING:
            raise EntryStateInvalid("the key is still being registered at DICT; try again shortly.")
        if entry.status == EntryStatus.ACTIVE:
            get_client().delete_entry(key=entry.key_value, reason=delete_reason)
        entry.status = EntryStatus.DELETED
        entry.delete_reason = delete_reason
        entry.deleted_at = timezone.now()
        entry.save(update_fields=["status", "delete_reason", "deleted_at", "updated_at"])
        _record(entry, "EntryDeleted", actor=user, reason=delete_reason)
    return entry


def _lock_visible(*, user: AbstractBaseUser, entry_id: UUID) -> Entry:
    entry = entry_list(user=user).select_for_update(of=("self",)).filter(pk=entry_id).first()
    if entry is None:
        raise NotFound("Key not found.")
    return entry
