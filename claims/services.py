"""The PSP side of the claim lifecycle, written once for ownership claims and portability.

Every write checks the local rules of the claim lifecycle on the claim as last committed, so an
illegal move never reaches DICT, then calls DICT through the Connect port with no transaction
open (no row stays locked while the directory answers), then stores DICT's answer (status,
reasons, periods: never recomputed here) in a short transaction under the claim's row lock,
and records an event on the "claim" aggregate, which is what notifies the customer. DICT's own
refusals propagate unchanged. Starting a claim commits its intent (a ClaimStart) before DICT
is asked; a deadline action is taken under a lease instead of a row lock (``_action_lease``).
A crash between a call and its answer's transaction is settled by the poll, which stores DICT's
state of every claim of ours, and by the sweep, which repeats a due action (DICT's moves are
idempotent where it matters: completing replays its RequestId).
"""

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from uuid import UUID

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.dict_view import bank_account, owner
from accounts.models import Account
from accounts.second_factor import verify_second_factor
from accounts.selectors import account_list, account_named_by_dict
from accounts.services import ClosureReport
from claims.models import Claim, ClaimStart, PollCursor
from claims.selectors import claim_list
from common.leases import release_lease, take_lease
from common.permissions import require_staff_permission
from connect.client import get_client
from connect.ports import DirectoryNotAsked
from dict_rules.claims import (
    CLAIMER_DEADLINE,
    OPEN_STATUSES,
    OWNERSHIP_CLAIM_DEFAULT_KEY_TYPE,
    Action,
    ClaimReason,
    ClaimStatus,
    ClaimType,
    Role,
    check_acknowledge,
    check_cancel,
    check_claim_key_type,
    check_complete,
    check_confirm,
    due_action,
    is_win_back,
    parse_reason,
)
from dict_rules.directory import ClaimRequest, CompletedClaim, DirectoryClaim
from dict_rules.errors import (
    ClaimOperationInvalid,
    DomainError,
    EntryStateInvalid,
    NotFound,
    PossessionNotProven,
    RequestIdAlreadyUsed,
    ServiceUnavailable,
)
from dict_rules.keys import normalize_key
from dict_rules.possession import needs_possession_proof
from events.services import event_record
from events.types import ClaimEvent
from keys.models import LIVE, Entry, requester_fields
from keys.services import (
    check_key_slot,
    check_owner_at_rfb,
    entry_create_by_claim,
    entry_delete_by_claim,
    entry_restore_by_claim,
)
from possession.selectors import proof_held
from possession.services import proof_use

logger = logging.getLogger(__name__)

# The event each status a claim reaches records (and so notifies the customer with).
STATUS_EVENTS = {
    ClaimStatus.WAITING_RESOLUTION: ClaimEvent.ACKNOWLEDGED,
    ClaimStatus.CONFIRMED: ClaimEvent.CONFIRMED,
    ClaimStatus.CANCELLED: ClaimEvent.CANCELLED,
    ClaimStatus.COMPLETED: ClaimEvent.COMPLETED,
}
# What "reject" means for the donor's customer: refuse a portability; prove possession of a phone.
REJECT_REASONS = {ClaimType.PORTABILITY: ClaimReason.USER_REQUESTED, ClaimType.OWNERSHIP: ClaimReason.FRAUD}
POLL_PAGE = 200
# How long the poll keeps re-reading a claim whose sync fails unexpectedly before moving past it.
POLL_RETRY = timedelta(hours=1)
# A claim start older than this that the poll did not adopt was never opened at DICT: the poll drops
# it. Far longer than a directory call may last (the gRPC adapter's deadline budget).
START_ABANDONED_AFTER = timedelta(minutes=10)
# How long a deadline action's lease lasts at most (it is released as soon as the action is stored).
ACTION_LEASE = timedelta(minutes=5)
# The back-office's permission to act on a claim at DICT: "change" on its type's proxy model (the
# admin never saves a claim, so that is what the permission means there).
STAFF_ACTION_PERMISSIONS = {
    ClaimType.OWNERSHIP: "claims.change_ownershipclaim",
    ClaimType.PORTABILITY: "portability.change_portability",
}


def record_event(claim: Claim, event_type: ClaimEvent, actor: AbstractBaseUser | None = None, **payload) -> None:
    event_record(
        event_type=event_type,
        aggregate_id=claim.pk,
        actor=actor,
        payload={"status": claim.status, "claim_type": claim.claim_type, "role": claim.role, **payload},
    )


def _dict_fields(remote: DirectoryClaim) -> dict:
    """DICT's view of a claim, as our columns."""
    return {
        "status": remote.status,
        "donor_participant": remote.donor_participant,
        "claimer_participant": remote.claimer_account.participant,
        "dict_created_at": remote.created_at,
        "resolution_period_end": remote.resolution_period_end,
        "completion_period_end": remote.completion_period_end,
        "last_modified": remote.last_modified,
        "confirm_reason": remote.confirm_reason,
        "cancel_reason": remote.cancel_reason,
        "cancelled_by": remote.cancelled_by,
    }


# --- starting a claim (we are the claimer) ---------------------------------------------------


def _replay(
    *, user: AbstractBaseUser, request_id: UUID, account: Account, kind: ClaimType, key_type: str, key: str
) -> Claim | None:
    """The claim an earlier call with this request id started, if the data is the same."""
    earlier = Claim.objects.filter(requested_by=user, request_id=request_id).first()
    if earlier is None:
        return None
    if (earlier.account_id, earlier.claim_type, earlier.key_type, earlier.key) != (account.pk, kind, key_type, key):
        raise RequestIdAlreadyUsed.on_field("request_id", "this request_id was already used with other data.")
    return earlier


def _refuse_pending(
    *, user: AbstractBaseUser, request_id: UUID, account: Account, kind: ClaimType, key_type: str, key: str
) -> None:
    """Refuse a request id whose earlier call is still asking DICT (its ClaimStart is there)."""
    pending = ClaimStart.objects.filter(requested_by=user, request_id=request_id).first()
    if pending is None:
        return
    if (pending.account_id, pending.claim_type, pending.key_type, pending.key) != (account.pk, kind, key_type, key):
        raise RequestIdAlreadyUsed.on_field("request_id", "this request_id was already used with other data.")
    raise ServiceUnavailable("an earlier call with this request_id is still waiting for DICT; try again shortly.")


def claim_start(
    *, user: AbstractBaseUser, account_id: int, key_type: str, key: str, claim_type: str, request_id: UUID
) -> tuple[Claim, bool]:
    """Ask DICT to move a key to one of the user's accounts; returns the claim and whether it was a replay.

    The claim/key type matrix and the claimer at Receita Federal (status and names, DICT_RULES §1;
    not again on a replay) are checked before DICT is asked. Three steps, and no transaction
    is open while DICT is asked: (1) under the requesting user's row lock (request ids are
    unique per user) and the account's (its key slots), a replay is answered, or a ClaimStart
    is committed, holding the request id and a key slot; (2) DICT is asked; (3) DICT's claim
    replaces the start in a short transaction. So two calls with one request id never both
    reach DICT: the second returns the first claim if its data is the same, is refused
    otherwise, and is told to try again shortly (ServiceUnavailable) while the first is still
    asking. If the claimer-side poll adopted DICT's claim meanwhile, that row becomes ours. A
    DICT refusal, or a call that never left this process (DirectoryNotAsked), drops the start. Any
    other outage (a timeout: DICT may have opened the claim) or a crash keeps it for the poll, which
    adopts DICT's claim into it with its request id (``_insert_unknown``) or drops it once abandoned.
    """
    kind = check_claim_key_type(claim_type=claim_type, key_type=key_type)
    key = normalize_key(key_type, key, field="key")
    if not Claim.objects.filter(requested_by=user, request_id=request_id).exists():  # a replay was checked
        check_owner_at_rfb(user=user, account_id=account_id)
    with transaction.atomic():
        list(get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk"))
        account = account_list(user=user).select_for_update(of=("self",)).filter(pk=account_id).first()
        if account is None:
            raise NotFound("Account not found.")
        mine = {"user": user, "request_id": request_id, "account": account, "kind": kind, "key_type": key_type}
        # The start first, then the claim: the poll and step 3 swap one for the other in one commit.
        _refuse_pending(**mine, key=key)
        earlier = _replay(**mine, key=key)
        if earlier is not None:
            return earlier, True
        if account.closed_at is not None:
            raise EntryStateInvalid.on_field("account_id", "the account is closed.")
        check_key_slot(account)
        start = ClaimStart.objects.create(
            requested_by=user, request_id=request_id, account=account, claim_type=kind, key_type=key_type, key=key
        )
    try:
        remote = get_client().create_claim(
            ClaimRequest(
                claim_type=kind,
                key=key,
                key_type=key_type,
                claimer_account=bank_account(account),
                claimer=owner(account.holder),
            )
        )
    except DirectoryNotAsked:  # the request never left this process: DICT knows nothing of it
        ClaimStart.objects.filter(pk=start.pk).delete()
        raise
    except ServiceUnavailable:  # DICT may have opened the claim: the start stays for the poll to settle
        logger.warning("no answer from DICT for claim start %s; the poll settles it", start.pk)
        raise
    except DomainError:  # a definite refusal
        ClaimStart.objects.filter(pk=start.pk).delete()
        raise
    claim = _store_started(start, remote)
    if claim is not None:
        return claim, False
    logger.warning("DICT claim %s was accepted for a request id another call used", remote.id)
    earlier = _replay(**mine, key=key)  # exists: _store_started returns None only then
    return earlier, True


def _store_started(start: ClaimStart, remote: DirectoryClaim) -> Claim | None:
    """Step 3 of claim_start: DICT's claim replaces our start, in one short transaction.

    Returns None if another call's claim already holds the start's request id (a safety net: the
    start holds it, so only a row written past claim_start could). Any other conflict keeps the start
    (its deletion rolls back) and asks the caller to try again: the poll adopts DICT's claim into it.
    """
    user, request_id, account = start.requested_by, start.request_id, start.account
    fields = {"claim_type": start.claim_type, "key": start.key, "key_type": start.key_type, "account": account}
    with transaction.atomic():
        ClaimStart.objects.filter(pk=start.pk).delete()  # waits for a poll adopting DICT's claim into it
        claim = _adopted_meanwhile(remote, user=user, request_id=request_id, account=account)
        if claim is None:
            try:
                with transaction.atomic():
                    claim = Claim.objects.create(
                        dict_id=remote.id,
                        role=Role.CLAIMER,
                        **requester_fields(user),
                        request_id=request_id,
                        **fields,
                        **_dict_fields(remote),
                    )
            except IntegrityError:
                claim = _adopted_meanwhile(remote, user=user, request_id=request_id, account=account)
                if claim is None:
                    if not Claim.objects.filter(requested_by=user, request_id=request_id).exists():
                        logger.error("could not store DICT claim %s for claim start %s", remote.id, start.pk)
                        raise ServiceUnavailable("the claim is being stored; try again shortly.") from None
                    return None
        record_event(claim, ClaimEvent.STARTED, actor=user)
    return claim


def _adopted_meanwhile(
    remote: DirectoryClaim, *, user: AbstractBaseUser, request_id: UUID, account: Account
) -> Claim | None:
    """The claimer-side poll's row for the DICT claim we just started, if it adopted it before our
    insert: it becomes ours, with this call's request id and requester (the poll gave it those
    already if it found our start)."""
    adopted = Claim.objects.select_for_update(of=("self",)).filter(dict_id=remote.id, role=Role.CLAIMER).first()
    if adopted is None:
        return None
    if adopted.request_id is None:
        adopted.request_id = request_id
        for name, value in requester_fields(user).items():
            setattr(adopted, name, value)
    if adopted.account_id is None:
        adopted.account = account
    adopted.save(update_fields=["request_id", "requested_by", "requested_by_kind", "account", "updated_at"])
    return adopted


def ownership_claim_start(
    *,
    user: AbstractBaseUser,
    account_id: int,
    key: str,
    request_id: UUID,
    key_type: str = OWNERSHIP_CLAIM_DEFAULT_KEY_TYPE,
) -> tuple[Claim, bool]:
    """Claim another person's phone key for one of the user's accounts (DICT_RULES §4.1)."""
    return claim_start(
        user=user,
        account_id=account_id,
        key_type=key_type,
        key=key,
        claim_type=ClaimType.OWNERSHIP,
        request_id=request_id,
    )


# --- acting on one claim ----------------------------------------------------------------------


def _lock(claim_id: UUID) -> Claim:
    return Claim.objects.select_for_update(of=("self",)).select_related("account__holder").get(pk=claim_id)


def _read(claim_id: UUID) -> Claim:
    """The claim as last committed, without a lock: what the local rules are checked on before DICT is asked."""
    return Claim.objects.select_related("account__holder").get(pk=claim_id)


def _apply(claim: Claim, remote: DirectoryClaim, actor: AbstractBaseUser | None = None) -> bool:
    """Store DICT's state of the claim and its local consequences; returns whether the status moved.

    A donated claim that is confirmed or completed deletes our entry; one the old holder won back
    (confirmed, then cancelled with FRAUD in days 8-14) registers it again (see is_win_back); a
    claim we made that is completed creates ours. Each runs once, when the status moves, so
    replaying DICT's state is safe.
    """
    before = claim.status
    for name, value in _dict_fields(remote).items():
        setattr(claim, name, value)
    if claim.role == Role.DONOR and claim.status == ClaimStatus.WAITING_RESOLUTION and claim.acknowledged_at is None:
        claim.acknowledged_at = timezone.now()
    claim.save()
    if claim.status == before:
        return False
    won_back = claim.role == Role.DONOR and _won_back(claim)  # its confirm may not have been seen here
    gone = claim.status in (ClaimStatus.CONFIRMED, ClaimStatus.COMPLETED) or won_back
    if claim.role == Role.DONOR and gone and claim.entry_id:
        entry_delete_by_claim(entry_id=claim.entry_id, claim_id=claim.pk, reason=claim.confirm_reason)
    if won_back and claim.entry_id:
        entry_restore_by_claim(entry_id=claim.entry_id, claim_id=claim.pk)
    event = STATUS_EVENTS.get(ClaimStatus(claim.status))
    if event is not None:
        reasons = {"reason": claim.confirm_reason or claim.cancel_reason, "cancelled_by": claim.cancelled_by}
        record_event(claim, event, actor=actor, **{name: value for name, value in reasons.items() if value})
    return True


def _won_back(claim: Claim) -> bool:
    return claim.status == ClaimStatus.CANCELLED and is_win_back(
        claim_type=claim.claim_type,
        confirm_reason=claim.confirm_reason,
        cancel_reason=claim.cancel_reason,
        cancelled_by=claim.cancelled_by,
    )


def _adopt_completed_entry(claim: Claim, *, registered_at: datetime, key_ownership_date: datetime) -> None:
    if claim.entry_id is not None:
        return
    claim.entry = entry_create_by_claim(
        account=claim.account,
        key_type=claim.key_type,
        key=claim.key,
        requested_by=claim.requested_by or claim.account.holder.user,
        dict_request_id=claim.complete_request_id,
        registered_at=registered_at,
        key_ownership_date=key_ownership_date,
        claim_id=claim.pk,
    )
    claim.save(update_fields=["entry", "updated_at"])


def _ask(
    claim: Claim, action: Action, reason: ClaimReason | None, *, now: datetime
) -> DirectoryClaim | CompletedClaim | None:
    """The local rule for one action on the claim as read, then DICT's answer (None: nothing to ask).

    Completing a confirmed claim we made has DICT create the entry under complete_request_id.
    """
    client, facts, role = get_client(), claim.facts, Role(claim.role)
    if action is Action.ACKNOWLEDGE:
        return client.acknowledge_claim(claim.dict_id) if check_acknowledge(facts, role=role) else None
    if action is Action.CONFIRM:
        check_confirm(facts, role=role, reason=reason, now=now)
        return client.confirm_claim(claim.dict_id, reason=reason)
    if action is Action.CANCEL:
        check_cancel(facts, role=role, reason=reason, now=now)
        return client.cancel_claim(claim.dict_id, reason=reason)
    check_complete(facts, role=role, now=now)
    if _waits_for_possession(claim):
        raise PossessionNotProven("the claimer's customer has not yet proven possession of the phone.")
    return client.complete_claim(claim.dict_id, request_id=claim.complete_request_id)


def _act(
    claim: Claim,
    action: Action,
    reason: ClaimReason | None,
    *,
    now: datetime,
    actor: AbstractBaseUser | None = None,
) -> Claim:
    """One action on a claim as read: the local rule first, then DICT (no transaction open), then
    DICT's answer stored in a short transaction under the row lock, unless the row meanwhile holds
    a later state of DICT's (the poll's). Returns the claim as stored."""
    answer = _ask(claim, action, reason, now=now)
    if answer is None:
        return claim
    remote = answer.claim if isinstance(answer, CompletedClaim) else answer
    with transaction.atomic():
        claim = _lock(claim.pk)
        if remote.last_modified >= claim.last_modified:
            _apply(claim, remote, actor)
        if isinstance(answer, CompletedClaim) and claim.status == ClaimStatus.COMPLETED:
            _adopt_completed_entry(
                claim, registered_at=answer.entry_created_at, key_ownership_date=answer.key_ownership_date
            )
    return claim


def _possession_use(claim: Claim) -> str:
    """What the claimer's proof of possession is spent on (``possession.services.proof_use``)."""
    return f"claim:{claim.pk}"


def _waits_for_possession(claim: Claim) -> bool:
    """An ownership claim we made is completed only once our customer proved possession of the phone
    (DICT_RULES §4.4): until then neither the poll nor the sweep completes it, and day 30 still cancels it."""
    return claim.claim_type == ClaimType.OWNERSHIP and not proof_held(used_for=_possession_use(claim))


def claim_complete(
    *, user: AbstractBaseUser, claim_id: UUID, possession_challenge_id: UUID | None, now: datetime | None = None
) -> Claim:
    """The claimer's customer completes its ownership claim with its proof of possession of the phone.

    The proof must be confirmed after CompletionPeriodEnd (DICT_RULES §4.4: the claimer PSP validates
    possession with its user after that, then completes). It is bound to the claim in a transaction of its
    own before DICT is asked, so if DICT cannot answer now the sweep completes the claim with it later;
    a claim already holding a proof keeps it. Completing goes through the same ``_act`` as the sweep's.
    """
    claim_id = _own_claim_id(user, claim_id, ClaimType.OWNERSHIP)
    now = now or timezone.now()
    claim = _read(claim_id)
    check_complete(claim.facts, role=Role(claim.role), now=now)
    if _waits_for_possession(claim):
        with transaction.atomic():
            proof_use(
                holder_id=claim.account.holder_id,
                key_type=claim.key_type,
                key=claim.key,
                challenge_id=possession_challenge_id,
                used_for=_possession_use(claim),
                confirmed_after=claim.completion_period_end,
                now=now,
            )
    return _act(claim, Action.COMPLETE, None, now=now, actor=user)


def _own_claim_id(user: AbstractBaseUser, claim_id: UUID, claim_type: ClaimType | None) -> UUID:
    """The claim's id if it is the user's own (anyone else's is not found, for staff too: the
    second factor that answers or cancels a claim must be the key holder's; staff cancel through
    claim_cancel_by_staff)."""
    own = claim_list(user=user, claim_type=claim_type).filter(pk=claim_id).values_list("pk", flat=True)
    claim_id = own.first()
    if claim_id is None:
        raise NotFound("Claim not found.")
    return claim_id


def _donor_possession_use(claim: Claim) -> str:
    """What the donor's proof of possession is spent on (a FRAUD cancel of an ownership claim on our key)."""
    return f"claim:{claim.pk}:donor"


def _needs_donor_proof(claim: Claim, action: Action, reason: ClaimReason | None) -> bool:
    """The donor cancels an ownership claim with FRAUD because the old holder proved possession of the
    phone (DICT_RULES §4.4, days 1-7 and the win-back in days 8-14): the TOTP authenticates the
    customer, only the code sent to the phone proves it still holds the key."""
    return (
        claim.role == Role.DONOR
        and claim.claim_type == ClaimType.OWNERSHIP
        and action is Action.CANCEL
        and reason == ClaimReason.FRAUD
        and needs_possession_proof(claim.key_type)
    )


def _spend_donor_proof(claim: Claim, possession_challenge_id: UUID | None, *, now: datetime) -> None:
    """Spend the old holder's proof of possession on this claim, in a transaction of its own before
    DICT is asked. It must be confirmed after the claim was opened, so it proves possession against
    this claimant: after our row of it, written when we learned of it (at or after DICT opened it),
    on our own clock like the proof's (DICT's timestamps may run on another). A retry after a DICT
    refusal or outage names the same challenge, which proof_use returns as spent on this very use."""
    holder_id = Entry.objects.filter(pk=claim.entry_id).values_list("account__holder_id", flat=True).first()
    with transaction.atomic():
        proof_use(
            holder_id=holder_id,
            key_type=claim.key_type,
            key=claim.key,
            challenge_id=possession_challenge_id,
            used_for=_donor_possession_use(claim),
            confirmed_after=claim.created_at,
            now=now,
        )


def _customer_act(
    *,
    user: AbstractBaseUser,
    claim_id: UUID,
    otp: str,
    claim_type: ClaimType | None,
    decide,
    now: datetime | None,
    possession_challenge_id: UUID | None = None,
) -> Claim:
    """A customer's action: the second factor is checked first and outside the claim's transaction,
    so its anti-replay and throttling state survives a DICT refusal; ``decide(claim)`` names the move.
    A donor's FRAUD cancel of an ownership claim also spends the holder's proof of possession of the
    phone (after the local rule, so an illegal move spends none). A concurrent move on the same claim
    (the sweep's) is settled by DICT, which refuses the later one."""
    claim_id = _own_claim_id(user, claim_id, claim_type)
    verify_second_factor(user, otp)
    now = now or timezone.now()
    claim = _read(claim_id)
    action, reason = decide(claim)
    if _needs_donor_proof(claim, action, reason):
        check_cancel(claim.facts, role=Role(claim.role), reason=reason, now=now)
        _spend_donor_proof(claim, possession_challenge_id, now=now)
    return _act(claim, action, reason, now=now, actor=user)


def claim_respond(
    *,
    user: AbstractBaseUser,
    claim_id: UUID,
    accept: bool,
    otp: str,
    claim_type: ClaimType | None = None,
    possession_challenge_id: UUID | None = None,
    now: datetime | None = None,
) -> Claim:
    """The donor's customer answers a claim on its key, proving it is them with a TOTP code.

    Accept confirms (USER_REQUESTED) and our entry is deleted; reject cancels, with
    USER_REQUESTED for a portability and FRAUD for an ownership claim, which also needs
    ``possession_challenge_id``: the holder's proof, by the code sent to the phone, that it still has it.
    """

    def decide(claim: Claim) -> tuple[Action, ClaimReason]:
        if claim.role != Role.DONOR:
            raise ClaimOperationInvalid("only the key's current holder answers a claim; cancel your own instead.")
        if accept:
            return Action.CONFIRM, ClaimReason.USER_REQUESTED
        return Action.CANCEL, REJECT_REASONS[ClaimType(claim.claim_type)]

    proof = {"possession_challenge_id": possession_challenge_id}
    return _customer_act(user=user, claim_id=claim_id, otp=otp, claim_type=claim_type, decide=decide, now=now, **proof)


def claim_cancel(
    *,
    user: AbstractBaseUser,
    claim_id: UUID,
    otp: str,
    reason: str | None = None,
    claim_type: ClaimType | None = None,
    possession_challenge_id: UUID | None = None,
    now: datetime | None = None,
) -> Claim:
    """Cancel from our side, with a TOTP code: the claimer's customer withdraws (USER_REQUESTED by
    default), the donor's customer refuses (its claim type's reject reason by default). The donor's
    FRAUD cancel of an ownership claim (days 1-7, or winning the key back in days 8-14) needs
    ``possession_challenge_id``, the holder's proof of possession of the phone."""

    def decide(claim: Claim) -> tuple[Action, ClaimReason]:
        mine = ClaimReason.USER_REQUESTED if claim.role == Role.CLAIMER else REJECT_REASONS[ClaimType(claim.claim_type)]
        return Action.CANCEL, parse_reason(reason, default=mine)

    proof = {"possession_challenge_id": possession_challenge_id}
    return _customer_act(user=user, claim_id=claim_id, otp=otp, claim_type=claim_type, decide=decide, now=now, **proof)


def _check_staff_may_act(user: AbstractBaseUser, claim: Claim) -> None:
    """Back-office actions are for staff holding the claim type's permission (the admin only offers them)."""
    permission = STAFF_ACTION_PERMISSIONS[ClaimType(claim.claim_type)]
    require_staff_permission(user, permission, doing="acting on this claim at DICT")


def claim_cancel_by_staff(*, user: AbstractBaseUser, claim_id: UUID, reason: ClaimReason) -> Claim:
    """Back-office cancel (e.g. FRAUD) of any claim, without the customer's second factor (the admin's
    staff action; the customer API never reaches another holder's claim)."""
    claim = _read(claim_id)
    _check_staff_may_act(user, claim)
    return _act(claim, Action.CANCEL, reason, now=timezone.now(), actor=user)


# --- polling DICT -----------------------------------------------------------------------------


def _insert_unknown(remote: DirectoryClaim, role: Role) -> Claim | None:
    """A claim DICT knows and we do not: one on our key (donor), or one we made and lost (claimer).

    It is stored as it started (OPEN); applying DICT's state afterwards then runs the
    consequences of whatever happened since.
    """
    fields = {"dict_id": remote.id, "role": role, "claim_type": remote.claim_type, "key": remote.key}
    fields |= {"key_type": remote.key_type, **_dict_fields(remote), "status": ClaimStatus.OPEN}
    if role is Role.DONOR:  # another PSP's customer asked: the system is our side's requester
        fields |= {"entry": Entry.objects.filter(LIVE, key_value=remote.key).first(), **requester_fields(None)}
        event = ClaimEvent.RECEIVED
        start = None
    else:
        account = account_named_by_dict(remote.claimer_account)
        if account is None:
            logger.error("claim %s names us as claimer but no account of ours matches it", remote.id)
            return None
        start = _start_of(remote, account)
        if start is None:
            fields |= {"account": account, **requester_fields(account.holder.user)}
        else:  # our claim_start asked DICT for it and has not stored the answer (yet, or it crashed)
            fields |= {"account": account, **requester_fields(start.requested_by), "request_id": start.request_id}
        event = ClaimEvent.ADOPTED
    try:
        with transaction.atomic():
            claim = Claim.objects.create(**fields)
            if start is not None:
                start.delete()
    except IntegrityError:  # a concurrent poll (or claim_start) inserted it first
        return Claim.objects.select_for_update(of=("self",)).get(dict_id=remote.id, role=role)
    record_event(claim, event)
    return claim


def _start_of(remote: DirectoryClaim, account: Account) -> ClaimStart | None:
    """Our ClaimStart that DICT's claim answers: the one for its account, key and type (locked), if unambiguous."""
    mine = ClaimStart.objects.filter(account=account, key=remote.key, claim_type=remote.claim_type)
    found = list(mine.select_for_update()[:2])
    return found[0] if len(found) == 1 else None


def _drop_abandoned_starts() -> int:
    """Drop the claim starts older than START_ABANDONED_AFTER: a poll that went through adopted every
    claim DICT opened for a start, so these were never opened (the process died around the call).
    Their request ids and key slots are free again. Logs their ids only (a start holds a key, PII)."""
    abandoned = ClaimStart.objects.filter(created_at__lt=timezone.now() - START_ABANDONED_AFTER)
    ids = list(abandoned.values_list("pk", flat=True))
    if not ids:
        return 0
    dropped, _ = ClaimStart.objects.filter(pk__in=ids).delete()
    logger.warning("dropped %d claim starts DICT never opened: %s", dropped, ", ".join(map(str, ids)))
    return dropped


def claim_sync(remote: DirectoryClaim, role: Role, *, now: datetime) -> Claim | None:
    """Bring our row for one side of a DICT claim up to date, then do at once what cannot wait.

    That is acknowledging a claim on our key (BCB expects it within a minute) and completing a
    claim we made once DICT allows it; other deadline actions are the sweep's. The upsert
    commits first, so a refused action never loses the row.
    """
    with transaction.atomic():
        claim = Claim.objects.select_for_update(of=("self",)).filter(dict_id=remote.id, role=role).first()
        claim = claim or _insert_unknown(remote, role)
        if claim is None:
            return None
        if remote.last_modified >= claim.last_modified:
            _apply(claim, remote)
        if claim.role == Role.CLAIMER and claim.status == ClaimStatus.COMPLETED:
            _adopt_completed_entry(claim, registered_at=remote.last_modified, key_ownership_date=remote.last_modified)
    _run_due(claim.pk, now=now, only=(Action.ACKNOWLEDGE, Action.COMPLETE))
    return claim


def claims_poll(*, now: datetime | None = None) -> Counter:
    """Read DICT's claims changed since our cursor, as donor and as claimer, and sync each.

    Windows are inclusive, so the claim at the cursor is seen again: syncing is an upsert by
    (DICT id, role). A refusal for one claim is logged and recorded, an unexpected error logged
    and counted as ``failed``; neither stops the poll. A failed claim DICT changed less than
    POLL_RETRY ago holds the cursor at it, so the next poll tries it again; an older one is
    passed (the sweep still acts on its row if it has one; staff can re-drive it), so one claim
    never keeps the others from being polled for long. A directory outage (ServiceUnavailable) ends the poll
    (``stopped`` in the counts) with the cursor where it was, for the next run. A poll that went
    through as claimer (every listing read, no claim it still retries) drops the claim starts DICT
    never opened (``starts_dropped``): a failed sync might have been the adoption of one.
    """
    now = now or timezone.now()
    counts: Counter = Counter()
    settled: dict[Role, bool] = {}
    try:
        for role in Role:
            settled[role] = _poll_role(role, now=now, counts=counts)
    except ServiceUnavailable:
        logger.warning("directory unavailable; the claim poll stops until its next run")
        counts["stopped"] = 1
        return counts
    if settled[Role.CLAIMER]:
        try:
            if dropped := _drop_abandoned_starts():
                counts["starts_dropped"] = dropped
        except Exception:
            logger.exception("could not drop abandoned claim starts; the next poll tries again")
    return counts


def _poll_role(role: Role, *, now: datetime, counts: Counter) -> bool:
    """Sync one side's claims changed since its cursor; returns whether no failed claim holds the cursor."""
    window = PollCursor.objects.filter(role=role).values_list("modified_after", flat=True).first()
    held: datetime | None = None  # the first failed claim still worth retrying: the cursor waits there
    while True:
        page = get_client().list_claims(
            as_donor=role is Role.DONOR, as_claimer=role is Role.CLAIMER, modified_after=window, limit=POLL_PAGE
        )
        for remote in page.claims:
            done = _guarded(
                counts,
                Q(dict_id=remote.id, role=role),
                partial(claim_sync, remote, role, now=now),
                describe=f"DICT claim {remote.id} as {role}",
            )
            counts[f"seen_as_{role.lower()}"] += 1
            if done or held is not None:
                continue
            if remote.last_modified > now - POLL_RETRY:
                held = remote.last_modified
            else:
                logger.error("DICT claim %s as %s kept failing; the poll moves past it", remote.id, role)
        if not page.claims or page.claims[-1].last_modified == window:
            break  # nothing newer: a full page of one instant would otherwise loop forever
        window = page.claims[-1].last_modified
        PollCursor.objects.update_or_create(role=role, defaults={"modified_after": held or window})
        if not page.has_more:
            break
    return held is None


def _guarded(counts: Counter, claims: Q, work: Callable[[], object], *, describe: str) -> bool:
    """Run one claim's work; returns False if it failed unexpectedly. ServiceUnavailable stops all.

    A DICT refusal is logged and recorded on the claim. Any other error is logged, naming the
    claim by its ids only (``describe``: never its key, PII), and counted as ``failed``. The work
    runs in transactions of its own, so a failure rolls back only that claim's unfinished one.
    """
    try:
        try:
            work()
        except DomainError as refusal:
            if isinstance(refusal, ServiceUnavailable):
                raise
            counts["refused"] += 1
            logger.warning("claim action refused for %s: %s", describe, refusal.code)
            with transaction.atomic():
                for claim in Claim.objects.filter(claims):
                    record_event(claim, ClaimEvent.ACTION_REFUSED, code=refusal.code)
    except ServiceUnavailable:
        raise
    except Exception:
        counts["failed"] += 1
        logger.exception("could not process %s; going on with the next claim", describe)
        return False
    return True


# --- the deadline sweep -----------------------------------------------------------------------


def _due_scans(now: datetime) -> tuple[tuple[Q, str], ...]:
    """Every claim due_action may find due now, as index range scans, each with its index's column.

    One scan per way a claim falls due (dict_rules.claims.due_action), disjoint: the donor's OPEN
    claims (acknowledge) and unanswered ones past the resolution period (default confirm/cancel), the
    claimer's confirmed ones it may complete, all three on the (role, status, resolution_period_end)
    index; and the claimer's ownership claims past day 30 (default cancel) on
    claim_claimer_ownership_expiry. Nothing else is read: a claim waiting for the other side, or for
    its deadline, costs the sweep nothing.
    """
    expired = Q(claim_type=ClaimType.OWNERSHIP, dict_created_at__lte=now - CLAIMER_DEADLINE)
    completable = (
        Q(claim_type=ClaimType.PORTABILITY) | Q(completion_period_end__isnull=True) | Q(completion_period_end__lte=now)
    )
    deadline = "resolution_period_end"
    return (
        (Q(role=Role.DONOR, status=ClaimStatus.OPEN), deadline),
        (Q(role=Role.DONOR, status=ClaimStatus.WAITING_RESOLUTION, resolution_period_end__lte=now), deadline),
        (Q(role=Role.CLAIMER, status=ClaimStatus.CONFIRMED) & completable & ~expired, deadline),
        (Q(role=Role.CLAIMER, status__in=sorted(OPEN_STATUSES)) & expired, "dict_created_at"),
    )


def _due_batches(now: datetime, *, batch: int, claim_ids: list[UUID] | None) -> Iterator[list[Claim]]:
    """The claims due now, ``batch`` at a time, each scan read in its index's order (keyset: column, id).

    Each batch is read after the previous one was acted on, so it is one short indexed read.
    """
    for due, column in _due_scans(now):
        rows = Claim.objects.filter(due).order_by(column, "pk")
        if claim_ids is not None:
            rows = rows.filter(pk__in=claim_ids)
        page = list(rows[:batch])
        while page:
            yield page
            if len(page) < batch:
                break
            value, last = getattr(page[-1], column), page[-1].pk
            after = Q(**{f"{column}__gte": value}) & (Q(**{f"{column}__gt": value}) | Q(pk__gt=last))
            page = list(rows.filter(after)[:batch])


@contextmanager
def _action_lease(claim_id: UUID) -> Iterator[bool]:
    """Whether this worker may take the claim's deadline action now.

    A lease in the cache (Redis), not a row lock, so nothing is locked in the database while DICT
    is asked: a worker that finds it taken skips the claim (the holder acts). It expires after
    ACTION_LEASE should its holder die, and is released only by its holder (compare-and-delete).
    Without the cache the action goes ahead unleased: DICT then refuses a second worker's
    identical move, which is recorded as refused.
    """
    name = f"claims:action-lease:{claim_id}"
    try:
        token = take_lease(name, int(ACTION_LEASE.total_seconds()))
    except Exception:
        logger.warning("no lease for claim %s (cache unavailable); acting without one", claim_id, exc_info=True)
        yield True
        return
    try:
        yield token is not None
    finally:
        if token is not None:
            try:
                release_lease(name, token)
            except Exception:
                logger.warning("could not release the lease for claim %s; it expires", claim_id, exc_info=True)


def _due_on(claim: Claim | None, *, now: datetime, only: tuple[Action, ...]) -> tuple | None:
    """The due action of the claim as given, if one of ``only`` is due."""
    due = claim and due_action(claim.facts, role=Role(claim.role), now=now)
    if not due or due[0] not in only:
        return None
    if due[0] is Action.COMPLETE and _waits_for_possession(claim):
        return None  # the claimer's customer has not proven possession yet: wait (day 30 cancels)
    return due


def _due(claim_id: UUID, *, now: datetime, only: tuple[Action, ...]) -> tuple[Claim, tuple] | None:
    """The claim as last committed and its due action, if one of ``only`` is due."""
    claim = Claim.objects.select_related("account__holder").filter(pk=claim_id).first()
    due = _due_on(claim, now=now, only=only)
    return (claim, due) if due else None


def _run_due(
    claim_id: UUID,
    *,
    now: datetime,
    only: tuple[Action, ...] = tuple(Action),
    counts: Counter | None = None,
    read: Claim | None = None,
) -> None:
    """Do the claim's due deadline action, if any.

    Whether anything is due is decided on the claim as read (``read``, the sweep's batch row, or
    read here); only then is the claim's lease taken (if another worker holds it, that worker acts)
    and the claim read again under it, the lease released only once the answer is stored, so
    acting twice is impossible; DICT is asked with no transaction open (see ``_act``).
    """
    if (_due_on(read, now=now, only=only) if read is not None else _due(claim_id, now=now, only=only)) is None:
        return
    with _action_lease(claim_id) as mine:
        if not mine:
            return
        found = _due(claim_id, now=now, only=only)
        if found is None:
            return
        claim, due = found
        _act(claim, *due, now=now)
    if counts is not None:
        counts[f"{due[0].lower()}_{claim.claim_type.lower()}"] += 1


@contextmanager
def _sweep_pool(workers: int) -> Iterator[Callable[[Callable[[Claim], Counter], list[Claim]], Iterable[Counter]]]:
    """A map over one batch on ``workers`` threads, each with its own database connection, all of
    them closed when the sweep ends (Django's connections are per thread; the sweep runs in beat's
    or a worker's thread, which would otherwise keep them). One worker, SQLite (one writer at a
    time) and a caller inside a transaction (a test case's: other connections cannot see its rows;
    any other would have the directory call refused) map in the caller's thread."""
    if workers <= 1 or connection.vendor == "sqlite" or connection.in_atomic_block:
        yield map
        return
    opened: list = []

    def share_connection() -> None:  # closed by this thread once the pool's threads have ended
        opened.append(connections[DEFAULT_DB_ALIAS])
        opened[-1].inc_thread_sharing()

    try:
        with ThreadPoolExecutor(workers, thread_name_prefix="claims-sweep", initializer=share_connection) as pool:
            yield pool.map
    finally:
        for worker_connection in opened:
            worker_connection.close()
            worker_connection.dec_thread_sharing()


def _sweep_one(claim: Claim, *, now: datetime, ends: float, stop: threading.Event) -> Counter:
    """One claim of a sweep's batch, on a pool thread: its counts (``out_of_time`` once the budget is
    spent, ``stopped`` when the directory is unavailable, which stops the others too)."""
    counts: Counter = Counter()
    if stop.is_set():
        return counts
    if time.monotonic() >= ends:
        counts["out_of_time"] = 1
        return counts
    try:
        work = partial(_run_due, claim.pk, now=now, counts=counts, read=claim)
        _guarded(counts, Q(pk=claim.pk), work, describe=f"claim {claim.pk}")
    except ServiceUnavailable:
        stop.set()
        counts["stopped"] = 1
    return counts


def claims_sweep(
    *,
    now: datetime | None = None,
    batch: int = 100,
    claim_ids: list[UUID] | None = None,
    workers: int | None = None,
    budget: timedelta | None = None,
) -> Counter:
    """Do what deadlines oblige our side to do (DICT_RULES §4.4), claim by claim.

    Only the claims due now are read (``_due_scans``), in indexed keyset batches of ``batch``; a
    batch's claims are acted on by ``workers`` threads at once (CLAIMS_SWEEP_WORKERS), each claim
    under its lease, its answer stored in a short transaction of its own (a crash loses at most
    that one). A DICT refusal is recorded, an unexpected error logged and counted as ``failed``
    (the next run tries that claim again), and the sweep goes on; ServiceUnavailable ends it
    (``stopped`` in the counts), and so does its time ``budget`` (CLAIMS_SWEEP_BUDGET_SEC:
    ``out_of_time``), for the next run. Each batch logs the progress. ``now`` lets tests and
    --now act as of the directory's advanced clock.
    """
    now = now or timezone.now()
    budget = budget or timedelta(seconds=settings.CLAIMS_SWEEP_BUDGET_SEC)
    ends, stop = time.monotonic() + budget.total_seconds(), threading.Event()
    counts: Counter = Counter()
    read = 0
    with _sweep_pool(workers or settings.CLAIMS_SWEEP_WORKERS) as run:
        for number, claims in enumerate(_due_batches(now, batch=batch, claim_ids=claim_ids), start=1):
            for done in run(partial(_sweep_one, now=now, ends=ends, stop=stop), claims):
                counts.update(done)
            read += len(claims)
            logger.info("claim sweep: batch %d, %d due claims read so far: %s", number, read, dict(counts))
            if counts["stopped"]:
                logger.warning("directory unavailable; the claim sweep stops until its next run")
                counts["stopped"] = 1
                break
            if time.monotonic() >= ends:
                logger.warning("the claim sweep spent its %s budget; the next run goes on", budget)
                counts["out_of_time"] = 1
                break
    return counts


def claim_redrive(*, user: AbstractBaseUser, claim_id: UUID) -> Claim:
    """Back-office (the admin's staff action): read this claim from DICT now, sync it, and run its
    deadline action if due."""
    claim = Claim.objects.get(pk=claim_id)
    _check_staff_may_act(user, claim)
    with transaction.atomic():
        record_event(claim, ClaimEvent.REDRIVEN, actor=user)
    claim_sync(get_client().get_claim(claim.dict_id), Role(claim.role), now=timezone.now())
    claims_sweep(claim_ids=[claim.pk], workers=1)  # one claim: in this thread, on its connection
    claim.refresh_from_db()
    return claim


# --- closing an account -----------------------------------------------------------------------


def claims_settle_for_closed_account(account: Account, report: ClosureReport) -> None:
    """The closure step of claims (accounts.services.account_close, before keys deletes what is
    left), as far as DICT_RULES §4.3 allows, each claim under its deadline lease like the sweep's:

    - a portability of one of the account's keys (we are donor) is confirmed with ACCOUNT_CLOSURE,
      acknowledged first if still OPEN: the owner keeps the key at the other PSP, and DICT removes ours;
    - an ownership claim on one of its keys (donor) is left to run: DICT allows neither confirming it
      with ACCOUNT_CLOSURE nor a donor's cancel but for FRAUD. Its key is not deleted now (DICT
      would refuse, EntryLockedByClaim): the deadline confirms the claim at day 7, or the holder
      proves possession and a later closure run deletes the key;
    - a claim bringing a key to the account (we are claimer) is cancelled with ACCOUNT_CLOSURE, which
      DICT allows the claimer of a portability (OPEN, WAITING_RESOLUTION) and, in the v1 table this
      code follows for ownership (UNCERTAIN in 2.6.1), of an ownership claim; a CONFIRMED portability
      can only be completed, so it is left, and the key it brings deleted by a later run.
    A refusal (the claim moved meanwhile) is recorded on the claim and left for a later run.
    """
    now = timezone.now()
    donated = Claim.objects.open().filter(role=Role.DONOR, entry__account=account)
    for claim in donated:
        if claim.claim_type == ClaimType.OWNERSHIP:
            report.held_entry_ids.add(claim.entry_id)
            report.claims_left += 1
        elif _closure_act(claim.pk, Action.CONFIRM, now=now, actor=report.actor):
            report.claims_confirmed += 1
        else:
            report.held_entry_ids.add(claim.entry_id)
            report.claims_left += 1
    for claim in Claim.objects.open().filter(role=Role.CLAIMER, account=account):
        confirmed_portability = (claim.claim_type, claim.status) == (ClaimType.PORTABILITY, ClaimStatus.CONFIRMED)
        if not confirmed_portability and _closure_act(claim.pk, Action.CANCEL, now=now, actor=report.actor):
            report.claims_cancelled += 1
        else:
            report.claims_left += 1


def _closure_act(claim_id: UUID, action: Action, *, now: datetime, actor: AbstractBaseUser | None) -> bool:
    """Confirm or cancel one claim with ACCOUNT_CLOSURE; whether DICT took it (ServiceUnavailable propagates)."""
    with _action_lease(claim_id) as mine:
        if not mine:
            return False  # a sweep is acting on it now: a later closure run sees what came of it
        claim = _read(claim_id)
        try:
            if action is Action.CONFIRM and claim.status == ClaimStatus.OPEN:
                claim = _act(claim, Action.ACKNOWLEDGE, None, now=now, actor=actor)
            claim = _act(claim, action, ClaimReason.ACCOUNT_CLOSURE, now=now, actor=actor)
        except ServiceUnavailable:
            raise
        except DomainError as refusal:
            logger.warning("closure: claim %s not %sed: %s", claim_id, action.lower(), refusal.code)
            with transaction.atomic():
                record_event(claim, ClaimEvent.ACTION_REFUSED, actor=actor, code=refusal.code)
            return False
    return True
