"""Our copy of every MED object at DICT we are party to (DICT_RULES §8): infraction reports and
refunds on either side, and the fraud markers we created on our own customers.

DICT's fields are stored as DICT answered them; the deadlines are derived from DICT's timestamps
with dict_rules.med's periods when the row is stored. ``intent`` is the call to DICT in flight,
committed before DICT is asked (services), so a crash between the call and its answer is finished
by the re-drive (med.services.med_redrive).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from dict_rules.med import (
    ANALYSIS_RESULTS,
    FRAUD_MARKER_STATUSES,
    FRAUD_TYPES,
    INFRACTION_REASONS,
    REFUND_REASONS,
    REFUND_REJECTION_REASONS,
    REFUND_RESULTS,
    REFUND_ROLES,
    REFUND_STATUSES,
    REPORT_STATUSES,
    SITUATION_TYPES,
)
from med.domain import REPORT_LIVE

# A row whose create DICT has not answered yet, and one whose create DICT refused (failure_code says why).
PENDING, FAILED = "PENDING", "FAILED"
REPORT_ROLES = ("REPORTER", "COUNTERPARTY")
MANAGE_PERMISSION = "med.manage_infractions"


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(value, value) for value in values]


class Intent(models.TextChoices):
    """The call to DICT committed and not yet answered (blank: none)."""

    CREATE = "create"
    UPDATE = "update"
    ACKNOWLEDGE = "acknowledge"
    CLOSE = "close"
    CANCEL = "cancel"


class MedRow(models.Model):
    """What every MED row keeps besides DICT's fields: who asked, the idempotency key, the call in flight."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dict_id = models.UUIDField(null=True, blank=True)  # null until DICT answers the create
    request_id = models.UUIDField(null=True, blank=True, unique=True)  # the caller's idempotency key
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    intent = models.CharField(max_length=12, blank=True, choices=Intent.choices)
    intent_args = models.JSONField(default=dict, blank=True)  # the action's arguments, for the re-drive
    intent_at = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)  # DICT's refusal of the create
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class InfractionReport(MedRow):
    """One infraction report, as reporter (we opened it for our paying customer) or counterparty
    (another PSP reported a transaction our customer received)."""

    role = models.CharField(max_length=12, choices=_choices(REPORT_ROLES))
    status = models.CharField(max_length=12, choices=_choices((PENDING, *REPORT_STATUSES, FAILED)))
    transaction_id = models.CharField(max_length=35)  # the EndToEndId
    reason = models.CharField(max_length=20, choices=_choices(INFRACTION_REASONS))
    situation_type = models.CharField(max_length=20, choices=_choices(SITUATION_TYPES))
    contact_email = models.CharField(max_length=254, blank=True)
    contact_phone = models.CharField(max_length=20, blank=True)
    report_details = models.TextField(blank=True)
    reporter_participant = models.CharField(max_length=8, blank=True)
    counterparty_participant = models.CharField(max_length=8, blank=True)
    analysis_result = models.CharField(max_length=12, blank=True, choices=_choices(ANALYSIS_RESULTS))
    analysis_details = models.TextField(blank=True)
    fraud_type = models.CharField(max_length=20, blank=True, choices=_choices(FRAUD_TYPES))
    fraud_marker_dict_id = models.UUIDField(null=True, blank=True)  # the marker an AGREED close created
    dict_created_at = models.DateTimeField(null=True, blank=True)
    last_modified = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)  # DICT's LastModified of the close
    # dict_created_at + REPORT_ANALYSIS_PERIOD, and closed_at + REFUND_AFTER_AGREED_PERIOD for AGREED.
    analysis_deadline = models.DateTimeField(null=True, blank=True)
    refund_deadline = models.DateTimeField(null=True, blank=True)
    analysis_due_flagged_at = models.DateTimeField(null=True, blank=True)  # the sweep put it on the due queue
    refund_due_flagged_at = models.DateTimeField(null=True, blank=True)  # the sweep flagged its refund as late

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("manage_infractions", "Act on MED at DICT: infraction reports, refunds, fraud markers")]
        constraints = [
            models.UniqueConstraint(fields=["dict_id", "role"], name="med_report_one_row_per_side"),
        ]
        indexes = [
            models.Index(fields=["role", "status", "analysis_deadline"]),
            models.Index(fields=["transaction_id"]),
            models.Index(fields=["intent", "intent_at"], condition=~Q(intent=""), name="med_report_in_flight"),
            # The sweep's two queries (med.services.med_sweep): the analysis not yet flagged, and the
            # AGREED reports awaiting a refund (also the admin's queue, med.selectors.reports_awaiting_refund).
            models.Index(
                fields=["analysis_deadline"],
                condition=Q(role="COUNTERPARTY", status__in=REPORT_LIVE, analysis_due_flagged_at=None),
                name="med_report_analysis_unflagged",
            ),
            models.Index(
                fields=["refund_deadline"],
                condition=Q(role="REPORTER", status="CLOSED", analysis_result="AGREED"),
                name="med_report_awaiting_refund",
            ),
        ]

    def __str__(self) -> str:
        return f"infraction report {self.dict_id or self.pk} as {self.role} ({self.status})"


class Refund(MedRow):
    """One refund request, as requesting (our paying customer's money) or contested participant."""

    role = models.CharField(max_length=12, choices=_choices(REFUND_ROLES))
    status = models.CharField(max_length=12, choices=_choices((PENDING, *REFUND_STATUSES, FAILED)))
    transaction_id = models.CharField(max_length=35)
    reason = models.CharField(max_length=20, choices=_choices(REFUND_REASONS))
    amount = models.DecimalField(max_digits=17, decimal_places=2)
    details = models.TextField(blank=True)
    infraction_report = models.ForeignKey(
        InfractionReport, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    infraction_report_dict_id = models.UUIDField(null=True, blank=True)
    requesting_participant = models.CharField(max_length=8, blank=True)
    contested_participant = models.CharField(max_length=8, blank=True)
    analysis_result = models.CharField(max_length=20, blank=True, choices=_choices(REFUND_RESULTS))
    analysis_details = models.TextField(blank=True)
    rejection_reason = models.CharField(max_length=20, blank=True, choices=_choices(REFUND_REJECTION_REASONS))
    refund_transaction_id = models.CharField(max_length=35, blank=True)
    dict_created_at = models.DateTimeField(null=True, blank=True)
    last_modified = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["dict_id", "role"], name="med_refund_one_row_per_side"),
        ]
        indexes = [
            models.Index(fields=["role", "status", "dict_created_at"]),
            models.Index(fields=["transaction_id"]),
            models.Index(fields=["intent", "intent_at"], condition=~Q(intent=""), name="med_refund_in_flight"),
        ]

    def __str__(self) -> str:
        return f"refund {self.dict_id or self.pk} as {self.role} ({self.status})"


class FraudMarker(MedRow):
    """A fraud marker we created on one of our holders (DICT_RULES §8: a PSP marks its own customers).

    Its request_id is also DICT's RequestId, so creating it again is idempotent at DICT as here.
    """

    holder = models.ForeignKey("accounts.Holder", on_delete=models.PROTECT, related_name="fraud_markers")
    tax_id = models.CharField(max_length=14)
    key = models.CharField(max_length=77, blank=True)
    fraud_type = models.CharField(max_length=20, choices=_choices(FRAUD_TYPES))
    status = models.CharField(max_length=12, choices=_choices((PENDING, *FRAUD_MARKER_STATUSES, FAILED)))
    dict_created_at = models.DateTimeField(null=True, blank=True)
    last_modified = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["intent", "intent_at"], condition=~Q(intent=""), name="med_marker_in_flight"),
        ]

    def __str__(self) -> str:
        return f"fraud marker {self.dict_id or self.pk} ({self.status})"


class PollCursor(models.Model):
    """Where the last MED poll stopped, per list (``reports`` and ``refunds``; windows are inclusive)."""

    name = models.CharField(max_length=16, unique=True)
    modified_after = models.DateTimeField()

    def __str__(self) -> str:
        return f"MED {self.name} polled up to {self.modified_after}"
