"""Reading events: the history of one aggregate (admin timelines, audits) and the outbox's state (metrics)."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from events.models import TO_PUBLISH, UNPUBLISHED, DomainEvent


def event_list_for(*, aggregate_type: str, aggregate_id: str) -> QuerySet[DomainEvent]:
    return DomainEvent.objects.filter(aggregate_type=aggregate_type, aggregate_id=str(aggregate_id)).select_related(
        "actor"
    )


@dataclass(frozen=True)
class OutboxState:
    backlog: int  # unpublished events, failed ones included
    failed: int  # marked failed: they wait for a person (the admin's "retry publishing")
    lag_seconds: float  # age of the first event in line to publish (unpublished, not failed); 0 when none


def outbox_state(now: datetime | None = None) -> OutboxState:
    """Three reads on partial indexes of the unpublished rows (a few, unless the relay is behind)."""
    unpublished = DomainEvent.objects.filter(UNPUBLISHED)
    backlog = unpublished.count()
    failed = unpublished.filter(failed_at__isnull=False).count()
    first_in_line = DomainEvent.objects.filter(TO_PUBLISH).order_by("sequence").values_list("occurred_at").first()
    lag = ((now or timezone.now()) - first_in_line[0]).total_seconds() if first_in_line else 0.0
    return OutboxState(backlog=backlog, failed=failed, lag_seconds=max(lag, 0.0))
