"""Read use cases for possession challenges: a customer sees only its own holder's."""

from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from dict_rules.errors import NotFound
from possession.models import PossessionChallenge


def challenge_list(*, user: AbstractBaseUser) -> QuerySet[PossessionChallenge]:
    return PossessionChallenge.objects.filter(holder__user=user)


def challenge_get(*, user: AbstractBaseUser, challenge_id: UUID) -> PossessionChallenge:
    challenge = challenge_list(user=user).filter(pk=challenge_id).first()
    if challenge is None:
        raise NotFound("Possession challenge not found.")
    return challenge


def proof_held(*, used_for: str) -> bool:
    """Whether a proof was spent on ``used_for`` (e.g. a claim waiting to be completed with it)."""
    return PossessionChallenge.objects.filter(used_for=used_for).exists()
