"""Back-office for the audit trail and outbox: events are append-only, so the admin lists and shows them,
and puts failed ones back in line to publish through the back-office's own service."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from common.admin_helpers import (
    PiiMaskingMixin,
    ViewOnlyAdmin,
    breakable_name,
    event_details,
    mask_user,
    short_id,
)
from common.logging import mask_pii
from events.models import DomainEvent
from events.services import RETRY_PUBLISHING_PERMISSION, event_retry_publishing_by_staff


@admin.register(DomainEvent)
class DomainEventAdmin(PiiMaskingMixin, ViewOnlyAdmin):
    list_display = (
        "occurred_at",
        "aggregate_type",
        "aggregate_id_short",
        "event_type_words",
        "actor",
        "published_at",
        "attempts",
        "failed_at",
    )
    # No filters on free-text columns: their value lists would scan the whole (large) table on every page.
    list_filter = (("published_at", admin.EmptyFieldListFilter), ("failed_at", admin.EmptyFieldListFilter))
    search_fields = ("=aggregate_id", "=event_type", "=request_id")
    search_help_text = "Exact aggregate id (entry uuid, holder or account id), event type or request id."
    list_select_related = ("actor",)
    ordering = ("-occurred_at",)
    show_full_result_count = False
    pii_fields = ("actor", "details")
    fieldsets = (
        (None, {"fields": ("aggregate_type", "aggregate_id", "event_type", "schema_version", "details")}),
        ("Origin", {"fields": ("actor", "request_id", "occurred_at")}),
        ("Publishing", {"fields": ("sequence", "published_at", "attempts", "last_error", "failed_at")}),
    )
    actions = ("retry_publishing",)

    def has_retry_publishing_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(RETRY_PUBLISHING_PERMISSION)

    @admin.display(description="aggregate id", ordering="aggregate_id")
    def aggregate_id_short(self, event: DomainEvent) -> str:
        return short_id(event.aggregate_id)

    @admin.display(description="event type", ordering="event_type")
    def event_type_words(self, event: DomainEvent) -> str:
        return breakable_name(event.event_type)

    @admin.display(description="actor")
    def actor_masked(self, event: DomainEvent) -> str | None:
        return mask_user(event.actor)

    @admin.display(description="details")
    def details(self, event: DomainEvent) -> str:
        return event_details(event.payload)

    @admin.display(description="details")
    def details_masked(self, event: DomainEvent) -> str:
        return mask_pii(event_details(event.payload))

    @admin.action(description="Retry publishing the selected failed events", permissions=["retry_publishing"])
    def retry_publishing(self, request: HttpRequest, queryset: QuerySet[DomainEvent]) -> None:
        retried = event_retry_publishing_by_staff(user=request.user, event_ids=queryset.values_list("pk", flat=True))
        skipped = queryset.count() - retried
        self.message_user(request, f"{retried} failed event(s) back in line to publish.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} event(s) were not failed, left unchanged.", messages.INFO)
