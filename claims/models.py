"""Our copy of every DICT claim where we are donor or claimer (one table; each app a proxy)."""

import uuid

from django.conf import settings
from django.db import models

from dict_rules.claims import OPEN_STATUSES, ClaimFacts, ClaimReason, ClaimStatus, ClaimType, Role
from keys.models import Requester, requester_is_consistent


class ClaimQuerySet(models.QuerySet):
    def open(self) -> "ClaimQuerySet":
        return self.filter(status__in=sorted(OPEN_STATUSES))


class Claim(models.Model):
    """One side of one DICT claim. Periods are DICT's own timestamps, never recomputed here."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dict_id = models.UUIDField()
    role = models.CharField(max_length=8, choices=[(r.value, r.value) for r in Role])
    claim_type = models.CharField(max_length=12, choices=[(t.value, t.value) for t in ClaimType])
    status = models.CharField(max_length=20, choices=[(s.value, s.value) for s in ClaimStatus])
    key = models.CharField(max_length=77)
    key_type = models.CharField(max_length=8)
    donor_participant = models.CharField(max_length=8)
    claimer_participant = models.CharField(max_length=8)
    # Donor side: our entry being claimed. Claimer side: the account the key is coming to.
    entry = models.ForeignKey("keys.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="claims")
    account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    # The customer who started it; the system for a claim DICT brought us (on our key, or one we made
    # and lost, for a holder without a login).
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_by_kind = models.CharField("requester", max_length=8, choices=Requester.choices)
    request_id = models.UUIDField(null=True, blank=True)  # the claimer customer's idempotency key
    complete_request_id = models.UUIDField(default=uuid.uuid4)  # RequestId of the entry complete creates
    dict_created_at = models.DateTimeField()
    resolution_period_end = models.DateTimeField()
    completion_period_end = models.DateTimeField(null=True, blank=True)
    last_modified = models.DateTimeField()
    confirm_reason = models.CharField(max_length=20, blank=True, choices=[(r.value, r.value) for r in ClaimReason])
    cancel_reason = models.CharField(max_length=20, blank=True, choices=[(r.value, r.value) for r in ClaimReason])
    cancelled_by = models.CharField(max_length=8, blank=True, choices=[(r.value, r.value) for r in Role])
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["resolution_period_end", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dict_id", "role"], name="claim_one_row_per_side"),
            models.UniqueConstraint(
                fields=["requested_by", "request_id"],
                condition=models.Q(request_id__isnull=False),
                name="claim_request_id_per_user",
            ),
            requester_is_consistent("claim_requester_is_consistent"),
        ]
        indexes = [
            # The deadline sweep's scans (claims.services._due_scans) and the deadline buckets.
            models.Index(fields=["role", "status", "resolution_period_end"]),
            models.Index(fields=["last_modified"]),
            # The sweep's day-30 cancel of the ownership claims we made: only those still open are in it.
            models.Index(
                fields=["dict_created_at"],
                condition=models.Q(role=Role.CLAIMER, claim_type=ClaimType.OWNERSHIP, status__in=sorted(OPEN_STATUSES)),
                name="claim_claimer_ownership_expiry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_type} claim {self.dict_id} as {self.role} ({self.status})"

    @property
    def facts(self) -> ClaimFacts:
        return ClaimFacts(
            claim_type=ClaimType(self.claim_type),
            status=ClaimStatus(self.status),
            created_at=self.dict_created_at,
            resolution_period_end=self.resolution_period_end,
            completion_period_end=self.completion_period_end,
        )


class OwnershipClaimManager(models.Manager.from_queryset(ClaimQuerySet)):
    def get_queryset(self) -> ClaimQuerySet:
        return super().get_queryset().filter(claim_type=ClaimType.OWNERSHIP)


class OwnershipClaim(Claim):
    objects = OwnershipClaimManager()

    class Meta:
        proxy = True
        verbose_name = "ownership claim"


class PollCursor(models.Model):
    """Where the last poll of DICT's claim list stopped, per role (windows are inclusive)."""

    role = models.CharField(max_length=8, unique=True)
    modified_after = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.role} claims polled up to {self.modified_after}"


class ClaimStart(models.Model):
    """A claim our customer asked for, committed before DICT is asked to open it (the local intent).

    While it exists it holds its request id (one request reaches DICT once) and one of the
    account's key slots. DICT's claim replaces it (claims.services.claim_start); a DICT refusal or
    an outage deletes it. After a crash in between, the claimer-side poll adopts DICT's claim into
    it, or drops it once it is older than START_ABANDONED_AFTER with no claim at DICT.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    request_id = models.UUIDField()
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="claim_starts")
    claim_type = models.CharField(max_length=12, choices=[(t.value, t.value) for t in ClaimType])
    key = models.CharField(max_length=77)
    key_type = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["requested_by", "request_id"], name="claim_start_request_id_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_type} claim start {self.pk} (asking DICT)"
