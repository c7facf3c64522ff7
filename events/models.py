"""The append-only domain event table: the audit trail, and the transactional outbox the relay publishes.

The event types and their payloads are a contract, declared in events.types.
"""

import uuid

from django.conf import settings
from django.db import models

from events.sequence import NextEventSequence

UNPUBLISHED = models.Q(published_at__isnull=True)
TO_PUBLISH = models.Q(published_at__isnull=True, failed_at__isnull=True)


class DomainEvent(models.Model):
    """One change to one aggregate, written in the same transaction as the change itself.

    The event itself never changes. The last four fields are the relay's bookkeeping, set only
    through events.relay and events.services.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The order events are published in (events.sequence): per aggregate, the order they happened.
    sequence = models.BigIntegerField(db_default=NextEventSequence(), unique=True, editable=False)
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
    # Publishing attempts this event's own content made fail (a broker outage counts none), the last
    # error (its kind and a masked message), and when the relay gave up on it (PULSAR_MAX_ATTEMPTS).
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sequence"]
        permissions = [("retry_publishing", "Can retry publishing failed events")]
        indexes = [
            models.Index(fields=["aggregate_type", "aggregate_id", "occurred_at"]),
            models.Index(fields=["occurred_at"], condition=UNPUBLISHED, name="event_unpublished"),
            # The relay's batches, oldest first, and its look for earlier events of the same aggregate.
            models.Index(fields=["sequence"], condition=TO_PUBLISH, name="event_to_publish"),
            models.Index(
                fields=["aggregate_type", "aggregate_id", "sequence"],
                condition=UNPUBLISHED,
                name="event_unpublished_by_aggregate",
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
