"""The simulated directory's own tables: every participant's entries, as BCB's DICT keeps them."""

import uuid
from typing import Any

from django.db import models

from dict_rules.cid import compute_cid
from dict_rules.directory import BankAccount, Owner
from dict_rules.keys import KEY_MAX_LENGTH


class DirEntry(models.Model):
    """One key in the whole country, bound to one account at one participant."""

    key = models.CharField(max_length=KEY_MAX_LENGTH, unique=True)
    key_type = models.CharField(max_length=8)
    participant = models.CharField(max_length=8)
    branch = models.CharField(max_length=4)
    account_number = models.CharField(max_length=20)
    account_type = models.CharField(max_length=4)
    opening_date = models.DateTimeField()
    owner_type = models.CharField(max_length=16)
    owner_tax_id = models.CharField(max_length=14)
    owner_name = models.CharField(max_length=150)
    owner_trade_name = models.CharField(max_length=100, blank=True)
    request_id = models.UUIDField()
    cid = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    key_ownership_date = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["participant", "key_type", "cid"]),
            models.Index(fields=["participant", "branch", "account_number", "account_type"]),
        ]

    def __str__(self) -> str:
        return f"{self.key_type} at {self.participant}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """The CID is derived from the data it summarises: every save recomputes it, so no edit of the
        row (a service, an operator's tamper, the shell) can leave a stale CID behind. (bulk_create
        skips save(): the seeding sets ``cid = content_id()`` itself.)"""
        self.cid = self.content_id()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "cid"}
        super().save(*args, **kwargs)

    def owner(self) -> Owner:
        return Owner(
            person_type=self.owner_type,
            tax_id=self.owner_tax_id,
            name=self.owner_name,
            trade_name=self.owner_trade_name,
        )

    def account(self) -> BankAccount:
        return BankAccount(
            participant=self.participant,
            branch=self.branch,
            number=self.account_number,
            account_type=self.account_type,
            opening_date=self.opening_date,
        )

    def content_id(self) -> str:
        """The CID of the data this row holds now: its RequestId over the key, owner and account."""
        return compute_cid(
            request_id=self.request_id, key_type=self.key_type, key=self.key, owner=self.owner(), account=self.account()
        )


class DirRequest(models.Model):
    """A create seen from one participant, for RequestId idempotency."""

    participant = models.CharField(max_length=8)
    request_id = models.UUIDField()
    fingerprint = models.CharField(max_length=64)
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["participant", "request_id"], name="dir_request_once")]

    def __str__(self) -> str:
        return f"request {self.request_id} from {self.participant}"


class DirCidEvent(models.Model):
    """The CID set's history per participant (DICT's /cids/events): ADDED or REMOVED."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    participant = models.CharField(max_length=8)
    key_type = models.CharField(max_length=8)
    cid = models.CharField(max_length=64)
    event = models.CharField(max_length=8)
    occurred_at = models.DateTimeField(db_index=True)  # the directory clock's time

    def __str__(self) -> str:
        return f"{self.event} {self.key_type} at {self.participant}"


class DirClock(models.Model):
    """The directory's clock offset (one row): tests and e2e advance DICT's time instead of sleeping."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    offset_seconds = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="dir_clock_single_row")]

    def __str__(self) -> str:
        return f"directory clock {self.offset_seconds:+d}s"


class DirClaim(models.Model):
    """A claim (DICT's ExtendedClaim): a key moving to the claimer's account, by portability or ownership."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    claim_type = models.CharField(max_length=16)
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    key_type = models.CharField(max_length=8)
    claimer_participant = models.CharField(max_length=8)
    claimer_branch = models.CharField(max_length=4)
    claimer_account_number = models.CharField(max_length=20)
    claimer_account_type = models.CharField(max_length=4)
    claimer_opening_date = models.DateTimeField()
    claimer_type = models.CharField(max_length=16)
    claimer_tax_id = models.CharField(max_length=14)
    claimer_name = models.CharField(max_length=150)
    claimer_trade_name = models.CharField(max_length=100, blank=True)
    donor_participant = models.CharField(max_length=8)
    donor_key_ownership_date = models.DateTimeField()  # kept by a portability (same owner)
    status = models.CharField(max_length=24)
    created_at = models.DateTimeField()
    resolution_period_end = models.DateTimeField()
    completion_period_end = models.DateTimeField(null=True, blank=True)  # ownership only
    last_modified = models.DateTimeField(db_index=True)
    confirm_reason = models.CharField(max_length=24, blank=True)
    cancel_reason = models.CharField(max_length=24, blank=True)
    cancelled_by = models.CharField(max_length=8, blank=True)
    complete_request_id = models.UUIDField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(status__in=["OPEN", "WAITING_RESOLUTION", "CONFIRMED"]),
                name="dir_claim_one_open_per_key",
            )
        ]
        indexes = [
            models.Index(fields=["donor_participant", "last_modified"]),
            models.Index(fields=["claimer_participant", "last_modified"]),
            # services.won_back_by, asked on every entry create (with the open claim, one read): the key's
            # recent cancelled claims.
            models.Index(
                fields=["key", "last_modified"], condition=models.Q(status="CANCELLED"), name="dir_claim_cancelled_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_type} claim {self.status}"


class DirTransaction(models.Model):
    """A Pix transaction the SPI settled (dictsim plays the SPI too): what MED reports and refunds are about.

    ``receiver_*`` come from the key's entry at settlement; a refund (pacs.004) has no key and points
    at the payment it returns (``original``).
    """

    id = models.CharField(primary_key=True, max_length=32)  # EndToEndId, or the refund's RtrId
    kind = models.CharField(max_length=8)  # PAYMENT (pacs.008) | REFUND (pacs.004)
    payer_participant = models.CharField(max_length=8)
    payer_tax_id = models.CharField(max_length=14)
    receiver_participant = models.CharField(max_length=8)
    receiver_tax_id = models.CharField(max_length=14)
    receiver_key = models.CharField(max_length=KEY_MAX_LENGTH, blank=True)
    amount = models.DecimalField(max_digits=17, decimal_places=2)
    settled = models.BooleanField(default=True)
    settled_at = models.DateTimeField()
    original = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds")

    class Meta:
        indexes = [
            # the statistics' settlements, per key and per receiving person
            models.Index(fields=["receiver_key", "settled_at"], name="dir_tx_key_settled"),
            models.Index(fields=["receiver_tax_id", "settled_at"], name="dir_tx_taxid_settled"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


class DirInfractionReport(models.Model):
    """An infraction report (DICT's ExtendedInfractionReport). ``target_*`` is the credited person and
    key of the transaction, kept here so the statistics count reports without a join."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    transaction = models.ForeignKey(DirTransaction, on_delete=models.PROTECT, related_name="reports")
    reason = models.CharField(max_length=16)
    situation_type = models.CharField(max_length=24)
    report_details = models.TextField(blank=True)
    contact_email = models.CharField(max_length=77)
    contact_phone = models.CharField(max_length=16)
    status = models.CharField(max_length=16)
    reporter_participant = models.CharField(max_length=8)
    counterparty_participant = models.CharField(max_length=8)
    target_tax_id = models.CharField(max_length=14)
    target_key = models.CharField(max_length=KEY_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField()
    last_modified = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    analysis_result = models.CharField(max_length=16, blank=True)
    analysis_details = models.TextField(blank=True)
    fraud_type = models.CharField(max_length=24, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["transaction"],
                condition=models.Q(status__in=["OPEN", "ACKNOWLEDGED"]),
                name="dir_report_one_open_per_tx",
            )
        ]
        indexes = [
            models.Index(fields=["reporter_participant", "last_modified"], name="dir_report_reporter"),
            models.Index(fields=["counterparty_participant", "last_modified"], name="dir_report_counterparty"),
            models.Index(fields=["target_tax_id", "status"], name="dir_report_target_taxid"),
            models.Index(fields=["target_key", "status"], name="dir_report_target_key"),
        ]

    def __str__(self) -> str:
        return f"{self.reason} report {self.status}"


class DirFraudMarker(models.Model):
    """A fraud marker: made by a participant on its own customer, or by an AGREED close of a report."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    participant = models.CharField(max_length=8)  # the creator (for a report's: the participant that closed it)
    request_id = models.UUIDField(null=True, blank=True)  # createFraudMarker's idempotency; none for a report's
    tax_id = models.CharField(max_length=14)
    key = models.CharField(max_length=KEY_MAX_LENGTH, blank=True)
    fraud_type = models.CharField(max_length=24)
    status = models.CharField(max_length=16)
    created_at = models.DateTimeField()
    last_modified = models.DateTimeField()
    infraction_report = models.OneToOneField(
        DirInfractionReport, null=True, blank=True, on_delete=models.PROTECT, related_name="fraud_marker"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["participant", "request_id"], name="dir_marker_request_once"),
        ]
        indexes = [
            models.Index(fields=["tax_id", "created_at"], name="dir_marker_taxid"),
            models.Index(fields=["key", "created_at"], name="dir_marker_key"),
        ]

    def __str__(self) -> str:
        return f"{self.fraud_type} marker {self.status}"


class DirRefund(models.Model):
    """A refund request (DICT's ExtendedRefund): the debited participant asks the credited one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    transaction = models.ForeignKey(DirTransaction, on_delete=models.PROTECT, related_name="refund_requests")
    reason = models.CharField(max_length=24)
    amount = models.DecimalField(max_digits=17, decimal_places=2)
    details = models.TextField(blank=True)
    status = models.CharField(max_length=16)
    requesting_participant = models.CharField(max_length=8)
    contested_participant = models.CharField(max_length=8)
    created_at = models.DateTimeField()
    last_modified = models.DateTimeField()
    infraction_report = models.ForeignKey(
        DirInfractionReport, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    analysis_result = models.CharField(max_length=24, blank=True)
    analysis_details = models.TextField(blank=True)
    rejection_reason = models.CharField(max_length=24, blank=True)
    refund_transaction_id = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["transaction"], condition=models.Q(status="OPEN"), name="dir_refund_one_open_per_tx"
            )
        ]
        indexes = [
            models.Index(fields=["requesting_participant", "last_modified"], name="dir_refund_requesting"),
            models.Index(fields=["contested_participant", "last_modified"], name="dir_refund_contested"),
        ]

    def __str__(self) -> str:
        return f"{self.reason} refund {self.status}"


class DirKeyAccount(models.Model):
    """An account a key was registered in and left (deleted, moved by an update, confirmed away by a
    claim), with when: the key's DistinctAccounts statistic counts these and its current account."""

    key = models.CharField(max_length=KEY_MAX_LENGTH)
    participant = models.CharField(max_length=8)
    branch = models.CharField(max_length=4)
    account_number = models.CharField(max_length=20)
    account_type = models.CharField(max_length=4)
    ended_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["key", "ended_at"], name="dir_key_account_ended")]

    def __str__(self) -> str:
        return f"a past account of a key at {self.participant}"
