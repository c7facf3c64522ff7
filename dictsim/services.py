"""The simulated directory's use cases, for many participants, with BCB's rules (DICT_RULES §1-3, §6, §7).

Every call names the calling participant (its ISPB), as DICT knows it from the mTLS certificate.
"""

import hashlib
import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from enum import StrEnum

from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from dict_rules.accounts import validate_account, validate_holder
from dict_rules.cid import CID_RE, vsync
from dict_rules.claims import OPEN_STATUSES, WIN_BACK_RESERVATION, ClaimStatus, is_win_back
from dict_rules.directory import BankAccount, DirectoryEntry, EntryByCid, EntryRequest, Owner
from dict_rules.errors import (
    BadRequest,
    DomainError,
    EntryAlreadyExists,
    EntryCannotBeQueriedForBookTransfer,
    EntryInvalid,
    EntryKeyInCustodyOfDifferentParticipant,
    EntryKeyOwnedByDifferentPerson,
    EntryLimitExceeded,
    EntryLockedByClaim,
    InvalidReason,
    NotFound,
    ParticipantInvalid,
    RequestIdAlreadyUsed,
)
from dict_rules.keys import (
    CreateReason,
    DeleteReason,
    KeyType,
    UpdateReason,
    check_key_matches_owner,
    key_limit_for,
    normalize_key,
)
from dict_rules.lookups import PAYER_ID_RE
from dict_rules.med import EntryStatistics
from dictsim import clock, statistics
from dictsim.models import DirCidEvent, DirClaim, DirEntry, DirKeyAccount, DirRequest

CID_PAGE_MAX = 10_000


def _to_port(entry: DirEntry, stats: EntryStatistics | None = None) -> DirectoryEntry:
    return DirectoryEntry(
        key=entry.key,
        key_type=entry.key_type,
        owner=entry.owner(),
        account=entry.account(),
        created_at=entry.created_at,
        key_ownership_date=entry.key_ownership_date,
        statistics=stats,
    )


def request_fingerprint(request: EntryRequest) -> str:
    data = {
        "key_type": request.key_type,
        "key": request.key,
        "owner": [request.owner.person_type, request.owner.tax_id, request.owner.name, request.owner.trade_name],
        "account": [request.account.participant, request.account.branch, request.account.number],
        "account_type": request.account.account_type,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _validate_bank_account(account: BankAccount) -> None:
    validate_account(
        ispb=account.participant,
        branch=account.branch,
        number=account.number,
        account_type=account.account_type,
        opening_date=account.opening_date,
    )


def validate_party(
    participant: str,
    owner: Owner,
    account: BankAccount,
    error_cls: type[DomainError],
    *,
    role: str = "owner",
    verb: str = "registers",
) -> str:
    """The account is the caller's, and the person (``role``) and account are well formed.

    Shared by createEntry (the owner) and createClaim (the claimer, with ClaimInvalid for a
    person type that does not match the tax id). Returns the person type the tax id implies.
    """
    if account.participant != participant:
        raise ParticipantInvalid(f"a participant {verb} keys only for its own accounts.")
    person_type = validate_holder(tax_id=owner.tax_id, name=owner.name, trade_name=owner.trade_name)
    if person_type != owner.person_type:
        raise error_cls.on_field(f"{role}.type", f"the {role} type does not match the tax id.")
    _validate_bank_account(account)
    return person_type


def _check_reason(reason: str, allowed: type[StrEnum], operation: str) -> None:
    """InvalidReason unless ``reason`` is one of DICT's reasons for the operation (dict_rules.keys)."""
    if reason not in set(allowed):
        raise InvalidReason(f"{operation} takes {', '.join(allowed)}.")


def _validate(request: EntryRequest, participant: str) -> str | None:
    """Formats and ownership rules; return the key as stored (None for a new EVP)."""
    _check_reason(request.reason, CreateReason, "a create")
    person_type = validate_party(participant, request.owner, request.account, EntryInvalid)
    key = normalize_key(request.key_type, request.key)
    if key is not None and key != request.key:
        raise EntryInvalid.on_field("key", "the key must be sent exactly in DICT's format.")
    check_key_matches_owner(key_type=request.key_type, key=key, person_type=person_type, tax_id=request.owner.tax_id)
    return key


def _refuse_duplicate(existing: DirEntry, request: EntryRequest, participant: str) -> None:
    """DICT's three answers for a key that is already there (DICT_RULES §3)."""
    if existing.owner_tax_id != request.owner.tax_id:
        raise EntryKeyOwnedByDifferentPerson("the key belongs to another person.")
    if existing.participant != participant:
        raise EntryKeyInCustodyOfDifferentParticipant("the key is held by the same owner at another participant.")
    raise EntryAlreadyExists("the key is already registered for this owner here.")


def _lock_account(account: BankAccount) -> None:
    """Serialize creates on one account so its key limit holds (PostgreSQL advisory lock)."""
    if connection.vendor != "postgresql":
        return  # SQLite serializes every write transaction anyway
    ident = f"{account.participant}|{account.branch}|{account.number}|{account.account_type}"
    lock_id = int.from_bytes(hashlib.sha256(ident.encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])


def _account_keys(participant: str, account: BankAccount) -> int:
    """How many keys DICT holds for one account (participant + branch + number + type, DICT_RULES §3)."""
    return DirEntry.objects.filter(
        participant=participant,
        branch=account.branch,
        account_number=account.number,
        account_type=account.account_type,
    ).count()


def check_account_limit(participant: str, account: BankAccount, person_type: str, message: str) -> None:
    """EntryLimitExceeded unless the account has room for one more key (DICT_RULES §3).

    The account's lock is held until the transaction ends, so concurrent creates, updates and
    claim completions onto one account are counted one after the other.
    """
    _lock_account(account)
    if _account_keys(participant, account) >= key_limit_for(person_type):
        raise EntryLimitExceeded(message)


def _cid_event(entry: DirEntry, cid: str, event: str, now: datetime) -> None:
    """One line of the participant's CID history (/cids/events). The CID set itself is the entries'
    ``cid`` column, which each save recomputes (DirEntry.save), and a VSync is derived from it."""
    DirCidEvent.objects.create(
        participant=entry.participant, key_type=entry.key_type, cid=cid, event=event, occurred_at=now
    )


def insert_entry(entry: DirEntry, now: datetime) -> None:
    """Store a new entry (its save computes its CID) and record the CID ADDED at ``now``."""
    entry.save(force_insert=True)
    _cid_event(entry, entry.cid, "ADDED", now)


def _account_left(entry: DirEntry, now: datetime) -> None:
    """The key leaves the account the row holds (as loaded): kept for the key's DistinctAccounts statistic."""
    DirKeyAccount.objects.create(
        key=entry.key,
        participant=entry.participant,
        branch=entry.branch,
        account_number=entry.account_number,
        account_type=entry.account_type,
        ended_at=now,
    )


def remove_entry(entry: DirEntry, now: datetime) -> None:
    """Drop an entry and record its CID REMOVED at ``now``."""
    _cid_event(entry, entry.cid, "REMOVED", now)
    _account_left(entry, now)
    entry.delete()


def save_changed_entry(entry: DirEntry, old_cid: str, now: datetime) -> None:
    """Save an entry whose data changed (its save recomputes the CID); a new CID replaces the old one.

    occurred_at is the history's only order: the old CID leaves just before the new one, which
    carries ``now`` (the entry's updated_at) as a create's ADDED carries its created_at.
    """
    entry.updated_at = now
    entry.save()
    if entry.cid != old_cid:
        _cid_event(entry, old_cid, "REMOVED", now - timedelta(microseconds=1))
        _cid_event(entry, entry.cid, "ADDED", now)


def claim_status(key: str) -> ClaimStatus | None:
    """The status of the key's open claim, if any (at most one, by a partial unique index)."""
    status = DirClaim.objects.filter(key=key, status__in=OPEN_STATUSES).values_list("status", flat=True).first()
    return ClaimStatus(status) if status else None


def won_back_by(key: str, now: datetime) -> str | None:
    """The participant a key won back in days 8-14 is kept for (dict_rules.claims.is_win_back), while
    WIN_BACK_RESERVATION after the donor's FRAUD cancel runs: no one else may register it meanwhile."""
    return _kept_for(_claims_holding(key, now))


def _claims_holding(key: str, now: datetime) -> list[DirClaim]:
    """The key's claims that may keep it from a create, newest first, in one read: the open one, and
    those cancelled within WIN_BACK_RESERVATION (each index of the two is partial: open, cancelled)."""
    recent = Q(status=ClaimStatus.CANCELLED, last_modified__gt=now - WIN_BACK_RESERVATION)
    return list(DirClaim.objects.filter(Q(status__in=OPEN_STATUSES) | recent, key=key).order_by("-last_modified"))


def _kept_for(claims: list[DirClaim]) -> str | None:
    """``won_back_by`` over the key's claims, newest first."""
    for claim in claims:
        if claim.status == ClaimStatus.CANCELLED and is_win_back(
            claim_type=claim.claim_type,
            confirm_reason=claim.confirm_reason,
            cancel_reason=claim.cancel_reason,
            cancelled_by=claim.cancelled_by,
        ):
            return claim.donor_participant
    return None


def entry_create(*, participant: str, request: EntryRequest) -> DirectoryEntry:
    """createEntry: register a key for one of the participant's accounts.

    A repeat of the same RequestId with the same data returns the first answer; with other
    data it is RequestIdAlreadyUsed. The insert is tried first: the unique indexes of the key
    and of the RequestId find a duplicate or a repeat, and only a refusal reads what is there.
    """
    key = _validate(request, participant)
    fingerprint = request_fingerprint(request)
    try:
        with transaction.atomic():
            return _create(participant=participant, request=request, key=key, fingerprint=fingerprint)
    except (IntegrityError, DomainError) as refusal:
        # A repeat is answered as the first create was, whatever refuses it now (its own key, the
        # account it filled, a claim opened since). A key already here is refused with DICT's duplicate
        # codes, before the account's limit (DICT_RULES §3), though the insert found it after counting.
        replay = _replay(participant, request, fingerprint)
        if replay is not None:
            return replay
        if key is not None and isinstance(refusal, IntegrityError | EntryLimitExceeded):
            existing = DirEntry.objects.filter(key=key).first()
            if existing is not None:
                _refuse_duplicate(existing, request, participant)
        raise


def _replay(participant: str, request: EntryRequest, fingerprint: str) -> DirectoryEntry | None:
    earlier = DirRequest.objects.filter(participant=participant, request_id=request.request_id).first()
    if earlier is None:
        return None
    if earlier.fingerprint != fingerprint:
        raise RequestIdAlreadyUsed("this RequestId was already used with different data.")
    entry = DirEntry.objects.filter(key=earlier.key, request_id=request.request_id).first()
    if entry is None:
        raise RequestIdAlreadyUsed("this RequestId was already used for an entry that no longer exists.")
    return _to_port(entry)


def _refuse_locked_key(key: str, participant: str, now: datetime) -> None:
    """EntryLockedByClaim while a claim on the key is open, or while the key is kept for the holder
    who won it back at another participant (``won_back_by``)."""
    claims = _claims_holding(key, now)
    if any(claim.status in OPEN_STATUSES for claim in claims):
        raise EntryLockedByClaim("the key is being claimed; it cannot be registered until the claim ends.")
    if _kept_for(claims) not in (None, participant):
        raise EntryLockedByClaim("the key was won back by its holder; it is kept for the holder's participant.")


def _create(*, participant: str, request: EntryRequest, key: str | None, fingerprint: str) -> DirectoryEntry:
    now = clock.now()  # once per operation: the claims' reservation, the entry's dates and its CID event's
    if key is not None:
        _refuse_locked_key(key, participant, now)
    check_account_limit(
        participant, request.account, request.owner.person_type, "the account already holds the maximum number of keys."
    )
    entry = DirEntry(
        key=key if key is not None else str(uuid.uuid4()),
        key_type=request.key_type,
        participant=participant,
        branch=request.account.branch,
        account_number=request.account.number,
        account_type=request.account.account_type,
        opening_date=request.account.opening_date,
        owner_type=request.owner.person_type,
        owner_tax_id=request.owner.tax_id,
        owner_name=request.owner.name,
        owner_trade_name=request.owner.trade_name,
        request_id=request.request_id,
        created_at=now,
        key_ownership_date=now,
        updated_at=now,
    )
    insert_entry(entry, now)  # the key's unique index refuses a key already here
    DirRequest.objects.create(  # the RequestId's unique index refuses a repeat
        participant=participant, request_id=request.request_id, fingerprint=fingerprint, key=entry.key
    )
    return _to_port(entry)


def entry_get(
    *, participant: str, key: str, payer_id: str, end_to_end_id: str, include_statistics: bool = False
) -> DirectoryEntry:
    """getEntry: a lookup before a payment. A participant may not look up its own keys.

    With ``include_statistics`` the key's and owner's counters are added (dictsim.statistics); without,
    the lookup makes no query beyond the entry's."""
    if not PAYER_ID_RE.fullmatch(payer_id or ""):
        raise BadRequest.on_field("payer_id", "PI-PayerId must be a CPF or CNPJ, digits only.")
    if not end_to_end_id:
        raise BadRequest.on_field("end_to_end_id", "PI-EndToEndId is required.")
    entry = DirEntry.objects.filter(key=key).first()
    if entry is None:
        raise NotFound("no entry for this key.")
    if entry.participant == participant:
        raise EntryCannotBeQueriedForBookTransfer()
    return _to_port(entry, statistics.entry_statistics(entry, clock.now()) if include_statistics else None)


def _owned(participant: str, key: str) -> DirEntry:
    entry = DirEntry.objects.select_for_update().filter(key=key).first()
    if entry is None:
        if claim_status(key) is ClaimStatus.CONFIRMED:
            raise EntryLockedByClaim("the key is reserved for the claimer until the claim ends.")
        raise NotFound("no entry for this key.")
    if entry.participant != participant:
        raise ParticipantInvalid("only the participant holding the key may change it.")
    return entry


@transaction.atomic
def entry_update(*, participant: str, key: str, account: BankAccount, owner: Owner, reason: str) -> DirectoryEntry:
    """updateEntry: only the account data and the owner's names may change (DICT_RULES §5).

    The donor may still update while a claim is OPEN or WAITING_RESOLUTION (DICT_RULES §4.4);
    once CONFIRMED the entry is gone and the key is locked.
    """
    _check_reason(reason, UpdateReason, "an update")
    entry = _owned(participant, key)
    if entry.key_type == KeyType.EVP and reason != UpdateReason.RFB_VALIDATION:
        raise InvalidReason("an EVP key may be updated only with RFB_VALIDATION.")
    if account.participant != participant:
        raise ParticipantInvalid("a key cannot move to another participant by an update; use portability.")
    if (owner.tax_id, owner.person_type) != (entry.owner_tax_id, entry.owner_type):
        raise EntryInvalid.on_field("owner", "the owner cannot change by an update; use an ownership claim.")
    validate_holder(tax_id=owner.tax_id, name=owner.name, trade_name=owner.trade_name)
    _validate_bank_account(account)
    if (account.branch, account.number, account.account_type) != (
        entry.branch,
        entry.account_number,
        entry.account_type,
    ):
        # The key moves to another account: that account's limit holds as on a create.
        check_account_limit(
            participant, account, entry.owner_type, "the target account already holds the maximum number of keys."
        )
        _account_left(entry, clock.now())
    old_cid = entry.cid
    entry.branch, entry.account_number, entry.account_type = account.branch, account.number, account.account_type
    entry.opening_date = account.opening_date
    entry.owner_name, entry.owner_trade_name = owner.name, owner.trade_name
    save_changed_entry(entry, old_cid, clock.now())
    return _to_port(entry)


@transaction.atomic
def entry_delete(*, participant: str, key: str, reason: str) -> None:
    """deleteEntry: the holding participant removes a key; the key is free again."""
    _check_reason(reason, DeleteReason, "a delete")
    entry = _owned(participant, key)
    if claim_status(key) is not None:
        raise EntryLockedByClaim("the key is being claimed; it cannot be deleted until the claim ends.")
    remove_entry(entry, clock.now())


def vsync_get(*, participant: str, key_type: str) -> str:
    """The participant's VSync of one type, derived at each call from the CIDs its entries hold now
    (an index-only read), so no change of the entries can leave it stale."""
    cids = DirEntry.objects.filter(participant=participant, key_type=key_type).values_list("cid", flat=True)
    return vsync(cids.iterator(chunk_size=CID_PAGE_MAX))


def sync_verify(*, participant: str, key_type: str, verifier: str) -> tuple[bool, str]:
    """createSyncVerification: OK when the participant's VSync equals the directory's."""
    if key_type not in KeyType.__members__:
        raise BadRequest.on_field("key_type", "unknown key type.")
    ours = vsync_get(participant=participant, key_type=key_type)
    return verifier.lower() == ours, ours


def cid_list(*, participant: str, key_type: str, after: str = "", limit: int = CID_PAGE_MAX) -> list[str]:
    """The participant's CIDs of one type in order, a page after ``after`` (DICT's CID file)."""
    if limit < 1:
        raise BadRequest.on_field("page_size", "the page size must be positive.")
    return list(
        DirEntry.objects.filter(participant=participant, key_type=key_type, cid__gt=after)
        .order_by("cid")
        .values_list("cid", flat=True)[: min(limit, CID_PAGE_MAX)]
    )


def entry_by_cid(*, participant: str, cid: str) -> EntryByCid:
    """getEntryByCid: one of the caller's active entries by its CID, with the RequestId that made it.

    Another participant's CID is NotFound, as one no entry holds: a participant learns nothing of
    others' entries this way.
    """
    if not CID_RE.fullmatch(cid or ""):
        raise BadRequest.on_field("cid", "a CID is 64 lowercase hexadecimal characters.")
    entry = DirEntry.objects.filter(participant=participant, cid=cid).first()
    if entry is None:
        raise NotFound("no active entry of this participant has this CID.")
    return EntryByCid(cid=entry.cid, entry=_to_port(entry), request_id=entry.request_id)


def cid_iter(*, participant: str, key_type: str) -> Iterator[str]:
    after = ""
    while page := cid_list(participant=participant, key_type=key_type, after=after):
        yield from page
        after = page[-1]
