"""The RFB port's tables: the simulated registry's data, and the last check of each tax id."""

from django.db import models

from dict_rules.rfb import RfbStatus

STATUS_CHOICES = [(status.value, status.value) for status in RfbStatus]


class SimulatedRegistration(models.Model):
    """What the simulated registry answers for one tax id (set by an operator or a test with
    ``manage.py rfb_simulate``). A tax id without a row is regular, with no names to compare."""

    tax_id = models.CharField(max_length=14, unique=True)
    status = models.CharField(max_length=24, choices=STATUS_CHOICES, default=RfbStatus.REGULAR)
    name = models.CharField(max_length=150, blank=True)
    social_name = models.CharField(max_length=150, blank=True)
    trade_name = models.CharField(max_length=100, blank=True)
    mei = models.BooleanField(default=False)
    suspended_under_cgsim_36 = models.BooleanField(default=False)
    unfit_under_in_2119_art_38_i = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"simulated RFB registration #{self.pk} ({self.status})"


class Outcome(models.TextChoices):
    OK = "OK", "regular, names match"
    IRREGULAR = "OwnerTaxIdIrregular", "tax id irregular"
    NAME_MISMATCH = "OwnerNameMismatch", "name does not match"


class RfbCheck(models.Model):
    """The last answer of the registry about a tax id and what we made of it (the admin shows it)."""

    tax_id = models.CharField(max_length=14, unique=True)
    status = models.CharField(max_length=24, choices=STATUS_CHOICES)
    outcome = models.CharField(max_length=24, choices=Outcome.choices)
    checked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"RFB check #{self.pk} ({self.outcome})"
