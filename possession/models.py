"""Possession challenges: a code sent to a phone or e-mail, which the holder confirms to prove they hold it."""

import uuid

from django.db import models

from dict_rules.keys import KEY_MAX_LENGTH
from dict_rules.possession import POSSESSION_KEY_TYPES
from possession.domain import ChallengeFacts


class PossessionChallenge(models.Model):
    """One code sent to ``key`` for ``holder``; once confirmed, a single-use proof of possession of that key.

    The code itself is never stored: ``code_hash`` is an HMAC of it under the secret key, salted with the
    challenge's id. ``used_for`` names what consumed the proof ("entry:<id>", "claim:<id>").
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    holder = models.ForeignKey("accounts.Holder", on_delete=models.PROTECT, related_name="+")
    key_type = models.CharField(max_length=8, choices=[(t.value, t.value) for t in sorted(POSSESSION_KEY_TYPES)])
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    code_hash = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    used_for = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["holder", "created_at"], name="possession_by_holder"),
            models.Index(fields=["key_type", "key", "created_at"], name="possession_by_destination"),
        ]
        constraints = [
            # One proof per use: what a proof was used for is never proven by a second one.
            models.UniqueConstraint(fields=["used_for"], condition=~models.Q(used_for=""), name="possession_one_use"),
        ]

    def __str__(self) -> str:
        return f"Possession challenge {self.pk} ({self.key_type})"

    @property
    def facts(self) -> ChallengeFacts:
        return ChallengeFacts(
            expires_at=self.expires_at,
            attempts=self.attempts,
            confirmed_at=self.confirmed_at,
            used_at=self.used_at,
        )
