"""Read use cases for claims: every caller of the customer API sees the claims of its own holder's accounts
and keys only. Staff too: the back-office reads claims through the admin, never through these."""

from datetime import datetime, timedelta
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, Count, F, Q, QuerySet, When
from django.utils import timezone

from accounts.models import Account
from claims.models import Claim, ClaimStart
from common.selectors import filter_choice
from dict_rules.claims import ClaimStatus, ClaimType, Role, time_left
from dict_rules.errors import NotFound


def _holders_claims(user: AbstractBaseUser) -> Q:
    """Claimer side through the receiving account's holder, donor side through the claimed entry's."""
    return Q(role=Role.CLAIMER, account__holder__user=user) | Q(role=Role.DONOR, entry__account__holder__user=user)


def claim_list(
    *,
    user: AbstractBaseUser,
    role: Role | None = None,
    claim_type: str | None = None,
    status: str | None = None,
) -> QuerySet[Claim]:
    """The claims of the user's holder, as claimer or as donor."""
    qs = Claim.objects.select_related("account", "entry").filter(_holders_claims(user))
    if role:
        qs = qs.filter(role=role)
    if claim_type := filter_choice(claim_type, ClaimType, field="type"):
        qs = qs.filter(claim_type=claim_type)
    if status := filter_choice(status, ClaimStatus, field="status"):
        qs = qs.filter(status=status)
    return qs


def claim_get(*, user: AbstractBaseUser, claim_id: UUID, claim_type: str | None = None) -> Claim:
    """The claim if the user may see it; anyone else's is not found (404)."""
    claim = claim_list(user=user, claim_type=claim_type).filter(pk=claim_id).first()
    if claim is None:
        raise NotFound("Claim not found.")
    return claim


def claim_time_left(claim: Claim, *, now: datetime | None = None) -> timedelta | None:
    """Until the claim's next deadline, on DICT's periods (None once it is closed)."""
    return time_left(claim.facts, now=now or timezone.now())


def _next_deadline() -> Case:
    """time_left's deadline in SQL: a CONFIRMED claim's completion period end when it has one, else the resolution's."""
    confirmed = Q(status=ClaimStatus.CONFIRMED, completion_period_end__isnull=False)
    return Case(When(confirmed, then=F("completion_period_end")), default=F("resolution_period_end"))


# Time left to an open claim's next deadline, as upper bounds in increasing order, the last one None (no
# bound); a claim falls in the first bucket whose bound its time left does not exceed ("overdue": passed).
# The metrics, the staff home page and the claims admin's deadline filter all count with these.
DEADLINE_BUCKETS: dict[str, timedelta | None] = {
    "overdue": timedelta(0),
    "under_1h": timedelta(hours=1),
    "under_24h": timedelta(hours=24),
    "later": None,
}
# Deadlines already passed, of claims in any status, within the last ...: the date ranges staff had before.
PASSED_WITHIN: dict[str, timedelta] = {"past_7d": timedelta(days=7), "past_30d": timedelta(days=30)}


def _bucket_conditions(now: datetime, buckets: dict[str, timedelta | None]) -> dict[str, Q]:
    """Each bucket as a condition on the annotated ``deadline``: after the previous bound, up to its own."""
    conditions: dict[str, Q] = {}
    lower: timedelta | None = None
    for name, upper in buckets.items():
        condition = Q() if lower is None else Q(deadline__gt=now + lower)
        conditions[name] = condition if upper is None else condition & Q(deadline__lte=now + upper)
        lower = upper
    return conditions


def open_claim_counts(
    *, now: datetime, buckets: dict[str, timedelta | None], by: tuple[str, ...] = ("role",)
) -> dict[tuple[str, ...], int]:
    """Open claims by the columns ``by`` (role by default) and by time left to their next deadline, counted in
    the database: ``{(*values of by, bucket): count}``.
    """
    conditions = _bucket_conditions(now, buckets)
    rows = (
        Claim.objects.open()
        .annotate(deadline=_next_deadline())
        .order_by()
        .values(*by)
        .annotate(**{name: Count("pk", filter=condition) for name, condition in conditions.items()})
    )
    return {(*(row[column] for column in by), name): row[name] for row in rows for name in buckets}


def claims_by_deadline(claims: QuerySet[Claim], bucket: str, *, now: datetime) -> QuerySet[Claim]:
    """``claims`` in one bucket of DEADLINE_BUCKETS (open claims, as open_claim_counts counts them) or of
    PASSED_WITHIN (any status); an unknown bucket is a ValueError."""
    claims = claims.annotate(deadline=_next_deadline())
    if bucket in DEADLINE_BUCKETS:
        return claims.open().filter(_bucket_conditions(now, DEADLINE_BUCKETS)[bucket])
    if bucket in PASSED_WITHIN:
        return claims.filter(deadline__gt=now - PASSED_WITHIN[bucket], deadline__lte=now)
    raise ValueError(f"unknown deadline bucket {bucket!r}")


def unacknowledged_incoming_counts() -> dict[str, int]:
    """Claims on our keys DICT still shows OPEN, by claim type: we (the donor) have not acknowledged them,
    which the poll does as soon as it sees one."""
    unacknowledged = Claim.objects.filter(role=Role.DONOR, status=ClaimStatus.OPEN)
    return dict(unacknowledged.order_by().values_list("claim_type").annotate(n=Count("pk")))


def key_slot_holders(account: Account) -> tuple[QuerySet, QuerySet]:
    """Our rows that each hold one of the account's key slots: our claims in progress, each of which
    would bring one key to it, from their start, while DICT is being asked to open them (a ClaimStart).
    Registered with keys (claims.apps): keys.services.check_key_slot counts them with its own keys.
    """
    return Claim.objects.open().filter(account=account, role=Role.CLAIMER), ClaimStart.objects.filter(account=account)


def accounts_with_claims_to_settle() -> QuerySet:
    """Ids of accounts our open claims would bring a key to: on a closed account, the closure's claims step
    has them left (registered with keys, claims.apps, for keys.selectors.closed_accounts_unfinished)."""
    return Claim.objects.open().filter(role=Role.CLAIMER).values("account_id")
