"""The PSP's own customers (holders) and their accounts, mirrored from core banking."""

from django.conf import settings
from django.db import models

from dict_rules.accounts import AccountType
from dict_rules.tax_ids import PersonType


class Holder(models.Model):
    """A natural or legal person; ``user`` is the login that acts for it in the API."""

    person_type = models.CharField(max_length=16, choices=[(t.value, t.value) for t in PersonType])
    tax_id = models.CharField(max_length=14, unique=True)
    name = models.CharField(max_length=150)
    trade_name = models.CharField(max_length=100, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="holder"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        permissions = [("view_pii", "Can see holders' tax ids, names and keys unmasked")]

    def __str__(self) -> str:
        return f"Holder #{self.pk} ({self.person_type})"


class Account(models.Model):
    """A payment account at this PSP; DICT identifies it by ISPB + branch + number + type."""

    holder = models.ForeignKey(Holder, on_delete=models.PROTECT, related_name="accounts")
    ispb = models.CharField(max_length=8)
    branch = models.CharField(max_length=4)
    number = models.CharField(max_length=20)
    account_type = models.CharField(max_length=4, choices=[(t.value, t.value) for t in AccountType])
    opening_date = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["ispb", "branch", "number", "account_type"], name="account_dict_identity"),
        ]

    def __str__(self) -> str:
        return f"{self.ispb}/{self.branch}/{self.number} {self.account_type}"
