"""Writing domain events. Callers are already inside their own transaction."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from common.request_id import current_request_id
from events.models import DomainEvent


def event_record(
    *,
    aggregate_type: str,
    aggregate_id: str,
    event_type: str,
    payload: dict[str, Any] | None = None,
    actor: AbstractBaseUser | None = None,
    request_id: str | None = None,
) -> DomainEvent:
    """Append one event; the payload must hold no PII beyond what the aggregate itself stores."""
    return DomainEvent.objects.create(
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        event_type=event_type,
        payload=payload or {},
        actor=actor if actor is not None and actor.is_authenticated else None,
        request_id=request_id or current_request_id(),
    )
