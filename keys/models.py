"""Entries: one PIX key pointing at one of our accounts, mirrored at DICT."""

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.db.models import Q

from dict_rules.keys import KEY_MAX_LENGTH, KeyType, UpdateReason
from keys.domain import ENTRY_DELETE_REASONS, LIVE_STATUSES, EntryStatus

LIVE = Q(status__in=sorted(LIVE_STATUSES))  # sorted: a set's order changes per process


class Requester(models.TextChoices):
    """Who asked for a row (an entry, a claim): one of our customers, named by ``requested_by``, or the
    system: the directory or our scheduler acting with no customer's request (a claim DICT opened on
    our key, a claim completed for a holder without a login). No user stands in for the system."""

    CUSTOMER = "CUSTOMER", "customer"
    SYSTEM = "SYSTEM", "system (directory/scheduler)"


def requester_fields(user: AbstractBaseUser | None) -> dict:
    """``requested_by`` and ``requested_by_kind`` for a row ``user`` asked for (None: the system did)."""
    return {"requested_by": user, "requested_by_kind": Requester.CUSTOMER if user else Requester.SYSTEM}


def requester_is_consistent(name: str) -> models.CheckConstraint:
    """A customer's row names its user; a system row names none."""
    return models.CheckConstraint(
        condition=Q(requested_by_kind=Requester.CUSTOMER, requested_by__isnull=False)
        | Q(requested_by_kind=Requester.SYSTEM, requested_by__isnull=True),
        name=name,
    )


class Entry(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="entries")
    key_type = models.CharField(max_length=8, choices=[(t.value, t.value) for t in KeyType])
    # Empty only for an EVP key DICT has not generated yet.
    key_value = models.CharField(max_length=KEY_MAX_LENGTH, null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=[(s.value, s.value) for s in EntryStatus], default=EntryStatus.PENDING
    )
    # The customer's idempotency key, unique per requesting user (an entry a claim brought: its DICT request id).
    request_id = models.UUIDField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_by_kind = models.CharField("requester", max_length=8, choices=Requester.choices)
    # The RequestId we send to DICT (unique per participant) and the CID computed from it.
    dict_request_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    cid = models.CharField(max_length=64, blank=True, db_index=True)
    failure_code = models.CharField(max_length=64, blank=True)
    delete_reason = models.CharField(max_length=20, choices=[(r, r) for r in ENTRY_DELETE_REASONS], blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    key_ownership_date = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # The last update asked of DICT (DICT_RULES §5): the account it moves the key to (the same one
    # for a change of the owner's names only), its reason, the customer's idempotency key (none for
    # the PSP's), and when. ``update_pending`` is the committed intent: DICT has yet to apply it.
    update_account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    update_reason = models.CharField(max_length=16, choices=[(r.value, r.value) for r in UpdateReason], blank=True)
    update_request_id = models.UUIDField(null=True, blank=True)
    update_requested_at = models.DateTimeField(null=True, blank=True)
    update_pending = models.BooleanField(default=False)
    # The holder's name or trade name changed since DICT was last sent them: the owner refresh
    # (keys.updates) compares the CIDs and asks DICT for an update where they differ.
    owner_refresh_due = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "entries"
        constraints = [
            # One live entry per key: two concurrent creates can never both succeed.
            models.UniqueConstraint(fields=["key_value"], condition=LIVE, name="entry_one_live_per_key"),
            models.UniqueConstraint(fields=["requested_by", "request_id"], name="entry_request_id_per_user"),
            requester_is_consistent("entry_requester_is_consistent"),
        ]
        indexes = [
            models.Index(fields=["account", "status"]),
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["update_requested_at"], condition=Q(update_pending=True), name="entry_update_pending"),
            models.Index(fields=["account"], condition=Q(owner_refresh_due=True), name="entry_owner_refresh_due"),
        ]

    def __str__(self) -> str:
        return f"{self.key_type} entry {self.pk} ({self.status})"


class SyncCheck(models.Model):
    """One key type's sync check (DICT_RULES §7): our VSync against DICT's, and with a repair what it
    fixed and the result after it. Kept as history: the admin and /metrics show the last per key type,
    so an alert can tell a key type unverified for longer than DICT allows (36 h)."""

    key_type = models.CharField(max_length=8, choices=[(t.value, t.value) for t in KeyType])
    checked_at = models.DateTimeField()
    repair = models.BooleanField(help_text="whether a repair ran (asked for, and the type was out of sync)")
    ok_before = models.BooleanField("OK before repair")
    ok = models.BooleanField("OK", help_text="the result: after the repair when one ran")
    entries = models.PositiveIntegerField(help_text="our keys of this type at DICT, at the last check")
    vsync = models.CharField("our VSync", max_length=64)
    directory_vsync = models.CharField("DICT's VSync", max_length=64)
    differences = models.PositiveIntegerField(default=0, help_text="CIDs on one side only, before the repair")
    added_here = models.PositiveIntegerField(default=0)
    corrected_here = models.PositiveIntegerField(default=0)
    removed_here = models.PositiveIntegerField(default=0)
    updated_at_dict = models.PositiveIntegerField("updated at DICT", default=0)
    deleted_at_dict = models.PositiveIntegerField("deleted at DICT", default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="changed meanwhile: the next check sees them")
    unresolved = models.PositiveIntegerField(default=0, help_text="left for staff")

    class Meta:
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["key_type", "-checked_at"])]

    def __str__(self) -> str:
        return f"{self.key_type} sync check {'OK' if self.ok else 'NOK'} at {self.checked_at:%Y-%m-%d %H:%M}"
