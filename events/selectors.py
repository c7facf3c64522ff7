"""Reading the event history of one aggregate (admin timelines, audits)."""

from django.db.models import QuerySet

from events.models import DomainEvent


def event_list_for(*, aggregate_type: str, aggregate_id: str) -> QuerySet[DomainEvent]:
    return DomainEvent.objects.filter(aggregate_type=aggregate_type, aggregate_id=str(aggregate_id)).select_related(
        "actor"
    )
