"""Writing domain events. Callers are already inside their own transaction.

Event types and their payload fields are the contract in events.types: ``event_record`` takes
only its enum members and refuses a payload that does not match its type's declared fields.
"""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from common.request_id import current_request_id
from events.models import DomainEvent
from events.types import EventType, aggregate_type_of, schema_version_of


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
