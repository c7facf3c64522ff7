"""The simulated directory's own tables: every participant's entries, as BCB's DICT keeps them."""

import uuid

from django.db import models

from keys.domain import KEY_MAX_LENGTH


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
    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.event} {self.key_type} at {self.participant}"


class DirVSync(models.Model):
    """The running XOR of one participant's CIDs of one key type, kept as entries change."""

    participant = models.CharField(max_length=8)
    key_type = models.CharField(max_length=8)
    value = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["participant", "key_type"], name="dir_vsync_once")]

    def __str__(self) -> str:
        return f"VSync {self.key_type} at {self.participant}"
