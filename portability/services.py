"""Portability use cases: named entry points over the shared claim lifecycle (claims.services)."""

from datetime import datetime
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser

from claims import services
from claims.models import Claim
from dict_rules.claims import ClaimType


def portability_start(
    *, user: AbstractBaseUser, account_id: int, key_type: str, key: str, request_id: UUID
) -> tuple[Claim, bool]:
    """Bring the user's own key from another PSP (or account) to one of their accounts here."""
    return services.claim_start(
        user=user,
        account_id=account_id,
        key_type=key_type,
        key=key,
        claim_type=ClaimType.PORTABILITY,
        request_id=request_id,
    )


def portability_confirm(*, user: AbstractBaseUser, claim_id: UUID, otp: str, now: datetime | None = None) -> Claim:
    """The donor's customer lets its key go to the other PSP."""
    return services.claim_respond(
        user=user, claim_id=claim_id, accept=True, otp=otp, claim_type=ClaimType.PORTABILITY, now=now
    )


def portability_cancel(
    *, user: AbstractBaseUser, claim_id: UUID, otp: str, reason: str | None = None, now: datetime | None = None
) -> Claim:
    """Refuse (donor) or withdraw (claimer) a portability."""
    return services.claim_cancel(
        user=user, claim_id=claim_id, otp=otp, reason=reason, claim_type=ClaimType.PORTABILITY, now=now
    )
