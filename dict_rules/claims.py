"""The claim lifecycle shared by ownership claims and portability, written once (DICT_RULES §4).

Pure rules: which key types each claim type allows, the statuses, roles, reasons and periods,
the transition table, who may do which action with which reason, and what a deadline obliges
each side to do. Here because both sides apply them: the simulated directory enforces them, and
the PSP checks them before each call to DICT and uses them to decide its own deadline actions.
Where the rules say UNCERTAIN the stricter reading is taken and named below.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from dict_rules.errors import (
    ClaimCompletionPeriodNotEnded,
    ClaimInvalid,
    ClaimOperationInvalid,
    ClaimResolutionPeriodNotEnded,
    ClaimTypeInconsistent,
    InvalidReason,
)
from dict_rules.keys import KeyType


class ClaimType(StrEnum):
    OWNERSHIP = "OWNERSHIP"
    PORTABILITY = "PORTABILITY"


class ClaimStatus(StrEnum):
    OPEN = "OPEN"  # created by the claimer; the donor has not acknowledged it yet
    WAITING_RESOLUTION = "WAITING_RESOLUTION"  # acknowledged by the donor
    CONFIRMED = "CONFIRMED"  # the donor confirmed; its entry is gone; the claimer must complete
    CANCELLED = "CANCELLED"
    COMPLETED = "COMPLETED"  # the claimer's entry exists


class ClaimReason(StrEnum):
    USER_REQUESTED = "USER_REQUESTED"
    ACCOUNT_CLOSURE = "ACCOUNT_CLOSURE"
    FRAUD = "FRAUD"
    DEFAULT_OPERATION = "DEFAULT_OPERATION"
    RECONCILIATION = "RECONCILIATION"
    RFB_VALIDATION = "RFB_VALIDATION"


class Role(StrEnum):
    DONOR = "DONOR"
    CLAIMER = "CLAIMER"


class Action(StrEnum):
    ACKNOWLEDGE = "ACKNOWLEDGE"
    CONFIRM = "CONFIRM"
    CANCEL = "CANCEL"
    COMPLETE = "COMPLETE"


# Key types each claim type may move (API 2.6.1 after Res. BCB 457/2025: e-mail ownership abolished).
CLAIMABLE_KEY_TYPES = {
    ClaimType.OWNERSHIP: frozenset({KeyType.PHONE}),
    ClaimType.PORTABILITY: frozenset({KeyType.CPF, KeyType.CNPJ, KeyType.PHONE, KeyType.EMAIL}),
}
# An ownership claim's key type when the request names none: only phones may be claimed (above).
OWNERSHIP_CLAIM_DEFAULT_KEY_TYPE = KeyType.PHONE
OPEN_STATUSES = frozenset({ClaimStatus.OPEN, ClaimStatus.WAITING_RESOLUTION, ClaimStatus.CONFIRMED})
RESOLUTION_PERIOD = timedelta(days=7)
COMPLETION_PERIOD = timedelta(days=7)  # ownership: days 8-14, right after the resolution period
CLAIMER_DEADLINE = timedelta(days=30)  # ownership: the claimer must have completed by day 30
# How long the directory keeps a key won back in days 8-14 for the donor's participant (see is_win_back).
WIN_BACK_RESERVATION = timedelta(days=7)

# The transition table: which statuses an action starts from, and where it leads.
TRANSITIONS: dict[Action, tuple[frozenset[ClaimStatus], ClaimStatus]] = {
    Action.ACKNOWLEDGE: (frozenset({ClaimStatus.OPEN}), ClaimStatus.WAITING_RESOLUTION),
    Action.CONFIRM: (frozenset({ClaimStatus.WAITING_RESOLUTION}), ClaimStatus.CONFIRMED),
    Action.CANCEL: (OPEN_STATUSES, ClaimStatus.CANCELLED),
    Action.COMPLETE: (frozenset({ClaimStatus.CONFIRMED}), ClaimStatus.COMPLETED),
}
ACTOR = {
    Action.ACKNOWLEDGE: frozenset({Role.DONOR}),
    Action.CONFIRM: frozenset({Role.DONOR}),
    Action.CANCEL: frozenset({Role.DONOR, Role.CLAIMER}),
    Action.COMPLETE: frozenset({Role.CLAIMER}),
}

# confirm (donor): reason -> claim types it is allowed for.
CONFIRM_REASONS = {
    ClaimReason.USER_REQUESTED: frozenset({ClaimType.OWNERSHIP, ClaimType.PORTABILITY}),
    ClaimReason.ACCOUNT_CLOSURE: frozenset({ClaimType.PORTABILITY}),
    ClaimReason.DEFAULT_OPERATION: frozenset({ClaimType.OWNERSHIP}),
}
# cancel of a portability: role -> reasons.
PORTABILITY_CANCEL_REASONS = {
    Role.DONOR: frozenset({ClaimReason.USER_REQUESTED, ClaimReason.DEFAULT_OPERATION, ClaimReason.FRAUD}),
    Role.CLAIMER: frozenset(
        {
            ClaimReason.USER_REQUESTED,
            ClaimReason.ACCOUNT_CLOSURE,
            ClaimReason.FRAUD,
            ClaimReason.RECONCILIATION,
            ClaimReason.RFB_VALIDATION,
        }
    ),
}
# A claimer may cancel a CONFIRMED portability only with these.
PORTABILITY_CONFIRMED_CANCEL_REASONS = frozenset(
    {ClaimReason.FRAUD, ClaimReason.RECONCILIATION, ClaimReason.RFB_VALIDATION}
)
# cancel of an ownership claim: the donor only by proving possession (FRAUD); the claimer with
# the v1 table's reasons plus DEFAULT_OPERATION at day 30 (2.6.1 does not list them: UNCERTAIN,
# so nothing beyond what some BCB text allowed).
OWNERSHIP_CANCEL_REASONS = {
    Role.DONOR: frozenset({ClaimReason.FRAUD}),
    Role.CLAIMER: frozenset(
        {
            ClaimReason.USER_REQUESTED,
            ClaimReason.ACCOUNT_CLOSURE,
            ClaimReason.FRAUD,
            ClaimReason.DEFAULT_OPERATION,
        }
    ),
}


@dataclass(frozen=True)
class ClaimFacts:
    """What the rules need to know of a claim."""

    claim_type: ClaimType
    status: ClaimStatus
    created_at: datetime
    resolution_period_end: datetime
    completion_period_end: datetime | None


def periods(claim_type: str, created_at: datetime) -> tuple[datetime, datetime | None]:
    """ResolutionPeriodEnd and CompletionPeriodEnd as the directory computes them."""
    resolution_end = created_at + RESOLUTION_PERIOD
    if claim_type == ClaimType.OWNERSHIP:
        return resolution_end, resolution_end + COMPLETION_PERIOD
    return resolution_end, None  # portability has no completion period (since API 1.0.0-RC3)


def parse_reason(raw: str | None, *, default: ClaimReason | None = None) -> ClaimReason:
    try:
        return ClaimReason(raw or default)
    except ValueError:
        raise InvalidReason.on_field("reason", f"reason must be one of {', '.join(ClaimReason)}.") from None


def check_claim_key_type(*, claim_type: str, key_type: str) -> ClaimType:
    """A claim type moves only some key types (checked by us before DICT is asked, and by DICT)."""
    try:
        kind = ClaimType(claim_type)
    except ValueError:
        raise ClaimInvalid.on_field("type", f"type must be one of {', '.join(ClaimType)}.") from None
    if key_type not in CLAIMABLE_KEY_TYPES[kind]:
        allowed = ", ".join(sorted(CLAIMABLE_KEY_TYPES[kind]))
        raise ClaimInvalid.on_field("key_type", f"a {kind} claim is only for {allowed} keys.")
    return kind


def check_claimable(*, claim_type: str, key_type: str, same_owner: bool) -> None:
    """The key type fits the claim type; ownership is for another's key, portability one's own."""
    kind = check_claim_key_type(claim_type=claim_type, key_type=key_type)
    if kind == ClaimType.OWNERSHIP and same_owner:
        raise ClaimTypeInconsistent("the key already belongs to this person: ask for portability instead.")
    if kind == ClaimType.PORTABILITY and not same_owner:
        raise ClaimTypeInconsistent("the key belongs to another person: open an ownership claim instead.")


def _check_transition(claim: ClaimFacts, action: Action, role: Role) -> None:
    if role not in ACTOR[action]:
        raise ClaimOperationInvalid(f"only the {' or '.join(sorted(ACTOR[action])).lower()} may {action.lower()}.")
    allowed, _ = TRANSITIONS[action]
    if claim.status not in allowed:
        raise ClaimOperationInvalid(f"a {claim.status} claim cannot be {action.lower()}d.")


def check_acknowledge(claim: ClaimFacts, *, role: Role) -> bool:
    """Whether acknowledging changes anything: it is idempotent while WAITING_RESOLUTION."""
    if role == Role.DONOR and claim.status == ClaimStatus.WAITING_RESOLUTION:
        return False
    _check_transition(claim, Action.ACKNOWLEDGE, role)
    return True


def check_confirm(claim: ClaimFacts, *, role: Role, reason: ClaimReason, now: datetime) -> datetime | None:
    """The donor confirms; returns the CompletionPeriodEnd after confirming.

    On an ownership claim USER_REQUESTED moves CompletionPeriodEnd forward to now, and is
    possible only within the resolution period (MAN §22 v1.1: no confirmation in days 8-14);
    DEFAULT_OPERATION only once the resolution period has ended.
    """
    _check_transition(claim, Action.CONFIRM, role)
    if claim.claim_type not in CONFIRM_REASONS.get(reason, frozenset()):
        raise InvalidReason.on_field("reason", f"a {claim.claim_type} claim cannot be confirmed with {reason}.")
    ended = now >= claim.resolution_period_end
    if reason == ClaimReason.DEFAULT_OPERATION and not ended:
        raise ClaimResolutionPeriodNotEnded()
    if claim.claim_type == ClaimType.OWNERSHIP and reason == ClaimReason.USER_REQUESTED:
        if ended:
            raise ClaimOperationInvalid("the resolution period is over; the claim is confirmed by default.")
        return now
    return claim.completion_period_end


def check_cancel(claim: ClaimFacts, *, role: Role, reason: ClaimReason, now: datetime) -> None:
    """Who may cancel which claim, from which status, with which reason (DICT_RULES §4.3)."""
    _check_transition(claim, Action.CANCEL, role)
    if claim.claim_type == ClaimType.PORTABILITY:
        if reason not in PORTABILITY_CANCEL_REASONS[role]:
            raise InvalidReason.on_field("reason", f"the {role.lower()} cannot cancel a portability with {reason}.")
        if claim.status == ClaimStatus.CONFIRMED and not (
            role == Role.CLAIMER and reason in PORTABILITY_CONFIRMED_CANCEL_REASONS
        ):
            raise ClaimOperationInvalid("a confirmed portability can only be completed.")
        if reason == ClaimReason.RECONCILIATION and claim.status == ClaimStatus.WAITING_RESOLUTION:
            raise InvalidReason.on_field("reason", "RECONCILIATION is not allowed while WAITING_RESOLUTION.")
        if reason == ClaimReason.DEFAULT_OPERATION and now < claim.resolution_period_end:
            raise ClaimResolutionPeriodNotEnded()
        return
    if reason not in OWNERSHIP_CANCEL_REASONS[role]:
        raise InvalidReason.on_field("reason", f"the {role.lower()} cannot cancel an ownership claim with {reason}.")
    end = claim.completion_period_end
    if role == Role.DONOR and claim.status == ClaimStatus.CONFIRMED and end is not None and now >= end:
        raise ClaimOperationInvalid("the completion period is over: possession can no longer be proven.")
    if reason == ClaimReason.DEFAULT_OPERATION and now < claim.created_at + CLAIMER_DEADLINE:
        raise ClaimOperationInvalid("the claimer may cancel by default only after day 30.")


def is_win_back(*, claim_type: str, confirm_reason: str, cancel_reason: str, cancelled_by: str) -> bool:
    """Whether a claim ended with the old holder winning its key back in days 8-14 (DICT_RULES §4.4).

    That is an ownership claim the donor confirmed (DEFAULT_OPERATION at day 7: its entry left DICT
    and the donor's database) and then cancelled with FRAUD, the old holder having proven possession
    in the completion period: the code sent to the phone is the proof (the donor's customer names a
    confirmed possession challenge for it; its TOTP only authenticates it). The manual says the
    donor cancels and the key is the old holder's again; it does not say how the entry comes back
    (UNCERTAIN). The stricter reading, which leaves no moment in which anyone else may register the key:

    - the directory keeps the key for the donor's participant for WIN_BACK_RESERVATION after the
      cancel (a create by anyone else is EntryLockedByClaim, as during the claim), and
    - the donor PSP registers the key again for the old holder's account at once, as part of
      storing the cancel; that registration gets a new RequestId, so a new CID, DICT's.

    The simulated directory does not restore the entry itself. Should BCB's, the re-registration
    would be refused with EntryAlreadyExists (same owner, same participant): not handled here.
    """
    return (
        claim_type == ClaimType.OWNERSHIP
        and bool(confirm_reason)
        and cancel_reason == ClaimReason.FRAUD
        and cancelled_by == Role.DONOR
    )


def check_complete(claim: ClaimFacts, *, role: Role, now: datetime) -> None:
    """The claimer completes a CONFIRMED claim; an ownership claim only after CompletionPeriodEnd."""
    _check_transition(claim, Action.COMPLETE, role)
    end = claim.completion_period_end
    if claim.claim_type == ClaimType.OWNERSHIP and end is not None and now < end:
        raise ClaimCompletionPeriodNotEnded()


def due_action(claim: ClaimFacts, *, role: Role, now: datetime) -> tuple[Action, ClaimReason | None] | None:
    """What a deadline obliges our side to do now, if anything (DICT_RULES §4.4).

    Donor: cancel an unanswered portability after the resolution period; confirm an unanswered
    ownership claim at its end. Claimer: complete a confirmed claim when allowed; cancel an
    ownership claim still not completed at day 30.
    """
    if claim.status not in OPEN_STATUSES:
        return None
    resolution_over = now >= claim.resolution_period_end
    if role == Role.DONOR:
        if claim.status == ClaimStatus.OPEN:
            return Action.ACKNOWLEDGE, None  # acknowledge first, whatever the deadline
        if claim.status == ClaimStatus.WAITING_RESOLUTION and resolution_over:
            if claim.claim_type == ClaimType.PORTABILITY:
                return Action.CANCEL, ClaimReason.DEFAULT_OPERATION
            return Action.CONFIRM, ClaimReason.DEFAULT_OPERATION
        return None
    if claim.claim_type == ClaimType.OWNERSHIP and now >= claim.created_at + CLAIMER_DEADLINE:
        return Action.CANCEL, ClaimReason.DEFAULT_OPERATION
    if claim.status == ClaimStatus.CONFIRMED:
        end = claim.completion_period_end
        if claim.claim_type == ClaimType.PORTABILITY or end is None or now >= end:
            return Action.COMPLETE, None
    return None


def time_left(claim: ClaimFacts, *, now: datetime) -> timedelta | None:
    """Until the next deadline that matters for this claim (None once it is closed)."""
    if claim.status not in OPEN_STATUSES:
        return None
    if claim.status == ClaimStatus.CONFIRMED and claim.completion_period_end is not None:
        return max(claim.completion_period_end - now, timedelta(0))
    return max(claim.resolution_period_end - now, timedelta(0))
