"""Read use cases for claims: a customer sees the claims of its own accounts and keys, staff see all."""

from datetime import datetime, timedelta
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from claims.domain import ClaimStatus, ClaimType, Role, time_left
from claims.models import Claim
from dict_project.errors import BadRequest, NotFound


def claim_list(
    *,
    user: AbstractBaseUser,
    role: Role | None = None,
    claim_type: str | None = None,
    status: str | None = None,
) -> QuerySet[Claim]:
    """Claimer side through the receiving account's holder, donor side through the claimed entry's."""
    qs = Claim.objects.select_related("account", "entry")
    if not user.is_staff:
        qs = qs.filter(
            Q(role=Role.CLAIMER, account__holder__user=user) | Q(role=Role.DONOR, entry__account__holder__user=user)
        )
    if role:
        qs = qs.filter(role=role)
    if claim_type:
        if claim_type not in ClaimType.__members__:
            raise BadRequest.on_field("type", f"type must be one of {', '.join(ClaimType)}.")
        qs = qs.filter(claim_type=claim_type)
    if status:
        if status not in ClaimStatus.__members__:
            raise BadRequest.on_field("status", f"status must be one of {', '.join(ClaimStatus)}.")
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
