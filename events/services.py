"""Writing domain events (callers are already inside their own transaction), and the back-office's one
write on the outbox: putting failed events back in line.

Event types and their payload fields are the contract in events.types: ``event_record`` takes
only its enum members and refuses a payload that does not match its type's declared fields.
"""

import logging
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser

from common.request_id import current_request_id
from dict_rules.errors import Forbidden
from events.models import UNPUBLISHED, DomainEvent
from events.types import EventType, aggregate_type_of, schema_version_of

logger = logging.getLogger(__name__)

RETRY_PUBLISHING_PERMISSION = "events.retry_publishing"


def event_record(
    *,
    event_type: EventType,
    aggregate_id: object,
    payload: dict[str, Any] | None = None,
    actor: AbstractBaseUser | None = None,
    request_id: str | None = None,
) -> DomainEvent:
    """Append one event of the aggregate ``event_type`` belongs to, with its schema version.

    Raises TypeError for an event type that is not an events.types member (a bare string) and
    ValueError for a payload with fields its type does not declare, or without those it requires.
    """
    aggregate_type = aggregate_type_of(event_type)
    payload = payload or {}
    schema_version = schema_version_of(event_type, payload)
    return DomainEvent.objects.create(
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        event_type=event_type.value,
        schema_version=schema_version,
        payload=payload,
        actor=actor if actor is not None and actor.is_authenticated else None,
        request_id=request_id or current_request_id(),
    )


def event_retry_publishing_by_staff(*, user: AbstractBaseUser, event_ids: Iterable[UUID]) -> int:
    """Put failed events back in line with a fresh count of attempts (the admin's staff action), for staff
    holding events.retry_publishing; returns how many. Events not failed, or published since, are left alone.
    Their aggregates' later events follow them once they are published (events.relay)."""
    if not (user.is_staff and user.has_perm(RETRY_PUBLISHING_PERMISSION)):
        raise Forbidden(f"retrying the publishing of events needs {RETRY_PUBLISHING_PERMISSION}.")
    retried = DomainEvent.objects.filter(UNPUBLISHED, pk__in=list(event_ids), failed_at__isnull=False).update(
        failed_at=None, attempts=0
    )
    logger.info("outbox: staff user %s put %d failed event(s) back in line", user.pk, retried)
    return retried
