"""Back-office for the audit trail: domain events are append-only, so the admin only lists and shows them."""

from django.contrib import admin

from common.admin_helpers import PiiMaskingMixin, ViewOnlyAdmin, event_details, mask_user
from common.logging import mask_pii
from events.models import DomainEvent


@admin.register(DomainEvent)
class DomainEventAdmin(PiiMaskingMixin, ViewOnlyAdmin):
    list_display = ("occurred_at", "aggregate_type", "aggregate_id", "event_type", "actor", "published_at")
    # No filters on free-text columns: their value lists would scan the whole (large) table on every page.
    list_filter = (("published_at", admin.EmptyFieldListFilter),)
    search_fields = ("=aggregate_id", "=event_type", "=request_id")
    search_help_text = "Exact aggregate id (entry uuid, holder or account id), event type or request id."
    list_select_related = ("actor",)
    ordering = ("-occurred_at",)
    show_full_result_count = False
    pii_fields = ("actor", "details")
    fieldsets = (
        (None, {"fields": ("aggregate_type", "aggregate_id", "event_type", "schema_version", "details")}),
        ("Origin", {"fields": ("actor", "request_id", "occurred_at", "published_at")}),
    )

    @admin.display(description="actor")
    def actor_masked(self, event: DomainEvent) -> str | None:
        return mask_user(event.actor)

    @admin.display(description="details")
    def details(self, event: DomainEvent) -> str:
        return event_details(event.payload)

    @admin.display(description="details")
    def details_masked(self, event: DomainEvent) -> str:
        return mask_pii(event_details(event.payload))
