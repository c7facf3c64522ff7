"""The simulated directory's claims: portability and ownership, as DICT runs them (DICT_RULES §4).

Every rule (who may do what, from which status, with which reason, when) is dict_rules.claims';
this module stores the claims, picks the caller's role, and moves the key: confirm removes the
donor's entry, complete creates the claimer's. The caller is a participant (its ISPB); a
participant that is neither donor nor claimer does not see the claim at all (NotFound).

When one participant is both donor and claimer (an ownership claim between two of its own
customers), it acts as the donor to acknowledge and confirm, as the claimer to complete, and
as the claimer to cancel unless the reason is one only the donor may use.
"""

import uuid
from datetime import datetime

from django.db import IntegrityError, transaction

from dict_rules.claims import (
    OWNERSHIP_CANCEL_REASONS,
    PORTABILITY_CANCEL_REASONS,
    ClaimFacts,
    ClaimReason,
    ClaimStatus,
    ClaimType,
    Role,
    check_acknowledge,
    check_cancel,
    check_claimable,
    check_complete,
    check_confirm,
    parse_reason,
    periods,
)
from dict_rules.directory import (
    BankAccount,
    ClaimPage,
    ClaimRequest,
    CompletedClaim,
    DirectoryClaim,
    EntryRequest,
    Owner,
)
from dict_rules.errors import (
    BadRequest,
    ClaimAlreadyExistsForKey,
    ClaimInvalid,
    ClaimKeyNotFound,
    ClaimResultingEntryAlreadyExists,
    NotFound,
    RequestIdAlreadyUsed,
)
from dictsim import clock, listing, services
from dictsim.models import DirClaim, DirEntry, DirRequest


def _to_port(claim: DirClaim) -> DirectoryClaim:
    return DirectoryClaim(
        id=claim.id,
        claim_type=claim.claim_type,
        key=claim.key,
        key_type=claim.key_type,
        claimer_account=BankAccount(
            participant=claim.claimer_participant,
            branch=claim.claimer_branch,
            number=claim.claimer_account_number,
            account_type=claim.claimer_account_type,
            opening_date=claim.claimer_opening_date,
        ),
        claimer=Owner(
            person_type=claim.claimer_type,
            tax_id=claim.claimer_tax_id,
            name=claim.claimer_name,
            trade_name=claim.claimer_trade_name,
        ),
        donor_participant=claim.donor_participant,
        status=claim.status,
        created_at=claim.created_at,
        resolution_period_end=claim.resolution_period_end,
        completion_period_end=claim.completion_period_end,
        last_modified=claim.last_modified,
        confirm_reason=claim.confirm_reason,
        cancel_reason=claim.cancel_reason,
        cancelled_by=claim.cancelled_by,
    )


def _facts(claim: DirClaim) -> ClaimFacts:
    return ClaimFacts(
        claim_type=ClaimType(claim.claim_type),
        status=ClaimStatus(claim.status),
        created_at=claim.created_at,
        resolution_period_end=claim.resolution_period_end,
        completion_period_end=claim.completion_period_end,
    )


def claim_create(*, participant: str, request: ClaimRequest) -> DirectoryClaim:
    """createClaim: the claimer's PSP opens a claim on a key registered in DICT."""
    services.validate_party(
        participant, request.claimer, request.claimer_account, ClaimInvalid, role="claimer", verb="claims"
    )
    try:
        with transaction.atomic():
            return _create(participant, request)
    except IntegrityError:
        # A concurrent create for the same key won the partial unique index.
        raise ClaimAlreadyExistsForKey("another claim for this key is still open.") from None


def _create(participant: str, request: ClaimRequest) -> DirectoryClaim:
    entry = DirEntry.objects.select_for_update().filter(key=request.key).first()
    if entry is None:
        raise ClaimKeyNotFound("the key is not registered in DICT.")
    if entry.key_type != request.key_type:
        raise ClaimInvalid.on_field("key_type", "the key type does not match the registered key.")
    check_claimable(
        claim_type=request.claim_type, key_type=entry.key_type, same_owner=entry.owner_tax_id == request.claimer.tax_id
    )
    if request.claim_type == ClaimType.PORTABILITY and entry.participant == participant:
        raise ClaimInvalid("the key is already held by this participant.")
    if services.claim_status(entry.key) is not None:
        raise ClaimAlreadyExistsForKey("another claim for this key is still open.")
    now = clock.now()
    resolution_end, completion_end = periods(request.claim_type, now)
    account, claimer = request.claimer_account, request.claimer
    claim = DirClaim.objects.create(
        claim_type=request.claim_type,
        key=entry.key,
        key_type=entry.key_type,
        claimer_participant=participant,
        claimer_branch=account.branch,
        claimer_account_number=account.number,
        claimer_account_type=account.account_type,
        claimer_opening_date=account.opening_date,
        claimer_type=claimer.person_type,
        claimer_tax_id=claimer.tax_id,
        claimer_name=claimer.name,
        claimer_trade_name=claimer.trade_name,
        donor_participant=entry.participant,
        donor_key_ownership_date=entry.key_ownership_date,
        status=ClaimStatus.OPEN,
        created_at=now,
        resolution_period_end=resolution_end,
        completion_period_end=completion_end,
        last_modified=now,
    )
    return _to_port(claim)


def _roles(claim: DirClaim, participant: str) -> frozenset[Role]:
    roles = set()
    if claim.donor_participant == participant:
        roles.add(Role.DONOR)
    if claim.claimer_participant == participant:
        roles.add(Role.CLAIMER)
    return frozenset(roles)


def _visible(participant: str, claim_id: uuid.UUID, *, lock: bool = False) -> tuple[DirClaim, frozenset[Role]]:
    """The claim and the caller's roles in it; NotFound for a participant that is neither party."""
    rows = DirClaim.objects.select_for_update() if lock else DirClaim.objects
    claim = rows.filter(id=claim_id).first()
    roles = _roles(claim, participant) if claim is not None else frozenset()
    if not roles:
        raise NotFound("no claim with this id for this participant.")
    return claim, roles


def _as(roles: frozenset[Role], preferred: Role) -> Role:
    """The role the caller acts in: the preferred one when it has it (the domain refuses the other)."""
    return preferred if preferred in roles else next(iter(roles))


def _cancel_role(claim: DirClaim, roles: frozenset[Role], reason: ClaimReason) -> Role:
    """Both roles: the claimer's, unless the reason is one only the donor may use."""
    if len(roles) == 1:
        return next(iter(roles))
    table = PORTABILITY_CANCEL_REASONS if claim.claim_type == ClaimType.PORTABILITY else OWNERSHIP_CANCEL_REASONS
    only_donor = reason in table[Role.DONOR] and reason not in table[Role.CLAIMER]
    return Role.DONOR if only_donor else Role.CLAIMER


def _move(claim: DirClaim, status: ClaimStatus, now: datetime, **fields) -> DirectoryClaim:
    claim.status, claim.last_modified = status, now
    for name, value in fields.items():
        setattr(claim, name, value)
    claim.save()
    return _to_port(claim)


def claim_get(*, participant: str, claim_id: uuid.UUID) -> DirectoryClaim:
    return _to_port(_visible(participant, claim_id)[0])


@transaction.atomic
def claim_acknowledge(*, participant: str, claim_id: uuid.UUID) -> DirectoryClaim:
    """The donor has seen the claim: OPEN -> WAITING_RESOLUTION; a repeat changes nothing."""
    claim, roles = _visible(participant, claim_id, lock=True)
    if not check_acknowledge(_facts(claim), role=_as(roles, Role.DONOR)):
        return _to_port(claim)
    return _move(claim, ClaimStatus.WAITING_RESOLUTION, clock.now())


@transaction.atomic
def claim_confirm(*, participant: str, claim_id: uuid.UUID, reason: str) -> DirectoryClaim:
    """The donor gives the key up: its entry leaves DICT (REMOVED); a repeat with the same reason is a no-op."""
    claim, roles = _visible(participant, claim_id, lock=True)
    why = parse_reason(reason)
    role = _as(roles, Role.DONOR)
    if role is Role.DONOR and claim.status == ClaimStatus.CONFIRMED and claim.confirm_reason == why:
        return _to_port(claim)
    now = clock.now()
    completion_end = check_confirm(_facts(claim), role=role, reason=why, now=now)
    entry = DirEntry.objects.select_for_update().filter(key=claim.key).first()
    if entry is not None:
        services.remove_entry(entry, now)
    return _move(claim, ClaimStatus.CONFIRMED, now, confirm_reason=why, completion_period_end=completion_end)


@transaction.atomic
def claim_cancel(*, participant: str, claim_id: uuid.UUID, reason: str) -> DirectoryClaim:
    """Donor or claimer ends the claim; the key stays where it is, or, after confirm, is free, except
    when the donor wins it back with FRAUD in days 8-14: then it is kept for the donor's participant
    (services.won_back_by; dict_rules.claims.is_win_back says why), which registers it again."""
    claim, roles = _visible(participant, claim_id, lock=True)
    why = parse_reason(reason)
    role = _cancel_role(claim, roles, why)
    if claim.status == ClaimStatus.CANCELLED and (claim.cancel_reason, claim.cancelled_by) == (why, role):
        return _to_port(claim)
    now = clock.now()
    check_cancel(_facts(claim), role=role, reason=why, now=now)
    return _move(claim, ClaimStatus.CANCELLED, now, cancel_reason=why, cancelled_by=role)


def _completed(claim: DirClaim) -> CompletedClaim:
    """Complete's answer, derived from the claim: the entry was created at its last modification."""
    kept = claim.claim_type == ClaimType.PORTABILITY  # same owner: the ownership date carries over
    return CompletedClaim(
        claim=_to_port(claim),
        entry_created_at=claim.last_modified,
        key_ownership_date=claim.donor_key_ownership_date if kept else claim.last_modified,
    )


def claim_complete(*, participant: str, claim_id: uuid.UUID, request_id: uuid.UUID) -> CompletedClaim:
    """The claimer finishes: its entry is created from the claim (ADDED); idempotent by RequestId."""
    try:
        with transaction.atomic():
            return _complete(participant, claim_id, request_id)
    except IntegrityError:
        raise ClaimResultingEntryAlreadyExists("the key was registered meanwhile.") from None


def _complete(participant: str, claim_id: uuid.UUID, request_id: uuid.UUID) -> CompletedClaim:
    claim, roles = _visible(participant, claim_id, lock=True)
    role = _as(roles, Role.CLAIMER)
    if role is Role.CLAIMER and claim.status == ClaimStatus.COMPLETED and claim.complete_request_id == request_id:
        return _completed(claim)
    now = clock.now()
    check_complete(_facts(claim), role=role, now=now)
    if DirEntry.objects.filter(key=claim.key).exists():
        raise ClaimResultingEntryAlreadyExists("the key is registered already.")
    if DirRequest.objects.filter(participant=participant, request_id=request_id).exists():
        raise RequestIdAlreadyUsed("this RequestId was already used.")
    services.check_account_limit(
        claim.claimer_participant,
        _to_port(claim).claimer_account,
        claim.claimer_type,
        "the claimer's account already holds the maximum number of keys.",
    )
    claim.complete_request_id = request_id
    _move(claim, ClaimStatus.COMPLETED, now)
    result = _completed(claim)
    entry = DirEntry(
        key=claim.key,
        key_type=claim.key_type,
        participant=claim.claimer_participant,
        branch=claim.claimer_branch,
        account_number=claim.claimer_account_number,
        account_type=claim.claimer_account_type,
        opening_date=claim.claimer_opening_date,
        owner_type=claim.claimer_type,
        owner_tax_id=claim.claimer_tax_id,
        owner_name=claim.claimer_name,
        owner_trade_name=claim.claimer_trade_name,
        request_id=request_id,
        created_at=result.entry_created_at,
        key_ownership_date=result.key_ownership_date,
        updated_at=now,
    )
    services.insert_entry(entry, now)
    fingerprint = services.request_fingerprint(
        EntryRequest(entry.key_type, entry.key, result.claim.claimer, result.claim.claimer_account, request_id)
    )
    DirRequest.objects.create(participant=participant, request_id=request_id, fingerprint=fingerprint, key=entry.key)
    return result


def claim_list(
    *,
    participant: str,
    as_donor: bool = False,
    as_claimer: bool = False,
    statuses: tuple[str, ...] = (),
    claim_type: str = "",
    modified_after: datetime | None = None,
    modified_before: datetime | None = None,
    limit: int = listing.LIST_DEFAULT,
) -> ClaimPage:
    """listClaims: the caller's claims by LastModified ascending (then id); both window ends inclusive.

    Neither role asked means both, as DICT lists a participant's claims without a role.
    """
    if claim_type and claim_type not in ClaimType.__members__:
        raise BadRequest.on_field("type", f"type must be one of {', '.join(ClaimType)}.")
    donor, claimer = (as_donor, as_claimer) if as_donor or as_claimer else (True, True)
    rows = DirClaim.objects.none()
    if donor:
        rows |= DirClaim.objects.filter(donor_participant=participant)
    if claimer:
        rows |= DirClaim.objects.filter(claimer_participant=participant)
    if claim_type:
        rows = rows.filter(claim_type=claim_type)
    found, more = listing.page(
        rows,
        statuses=statuses,
        known_statuses=tuple(ClaimStatus),
        modified_after=modified_after,
        modified_before=modified_before,
        limit=limit,
    )
    return ClaimPage(claims=[_to_port(claim) for claim in found], has_more=more)
