"""The append-only domain event table: the audit trail today, the transactional outbox later.

The event types and their payloads are a contract, declared in events.types.
"""

import uuid

from django.conf import settings
from django.db import models


class DomainEvent(models.Model):
    """One change to one aggregate, written in the same transaction as the change itself."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    aggregate_type = models.CharField(max_length=32)
    aggregate_id = models.CharField(max_length=64)
    # One of events.types' enums, kept without choices: a new event type needs no migration, and
    # event_record is where types are checked (stored rows keep the strings they always had).
    event_type = models.CharField(max_length=64)
    schema_version = models.PositiveSmallIntegerField(default=1)  # of the event type's payload
    payload = models.JSONField(default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    request_id = models.CharField(max_length=64, blank=True)
    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["aggregate_type", "aggregate_id", "occurred_at"]),
            models.Index(
                fields=["occurred_at"], condition=models.Q(published_at__isnull=True), name="event_unpublished"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.aggregate_type}:{self.aggregate_id} {self.event_type}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("domain events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("domain events are append-only")
