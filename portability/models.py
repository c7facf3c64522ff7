"""Portability is a claim type: a proxy over the shared claim table."""

from django.db import models

from claims.models import Claim, ClaimQuerySet
from dict_rules.claims import ClaimType


class PortabilityManager(models.Manager.from_queryset(ClaimQuerySet)):
    def get_queryset(self) -> ClaimQuerySet:
        return super().get_queryset().filter(claim_type=ClaimType.PORTABILITY)


class Portability(Claim):
    objects = PortabilityManager()

    class Meta:
        proxy = True
        verbose_name_plural = "portabilities"
