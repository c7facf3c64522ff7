"""The event timeline of one aggregate, as the back-office shows it (keys, claims, accounts)."""

from enum import StrEnum
from typing import Any, ClassVar

from django.contrib import admin
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from common.admin_helpers import event_details, short_id
from common.logging import mask_pii
from events.selectors import event_list_for
from events.types import AGGREGATE_TYPES


def event_history_table(*, aggregate_type: str, aggregate_id: object, masked: bool) -> SafeString | str:
    """One aggregate's audit trail, oldest first; every value is escaped, and masked unless PII may be seen."""
    show = mask_pii if masked else str
    rows = format_html_join(
        "\n",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                date_format(timezone.localtime(event.occurred_at), "DATETIME_FORMAT"),
                event.event_type,
                show(str(event.actor)) if event.actor else "system",
                show(event_details(event.payload)),
                short_id(event.request_id),
            )
            for event in event_list_for(aggregate_type=aggregate_type, aggregate_id=str(aggregate_id))
        ),
    )
    if not rows:
        return "No events."
    return format_html(
        '<table class="event-history"><thead><tr><th>When</th><th>Event</th><th>Actor</th><th>Details</th>'
        "<th>Request id</th></tr></thead><tbody>{}</tbody></table>",
        rows,
    )


class EventHistoryMixin:
    """A read-only ``history`` field (and its ``history_masked`` twin) showing the object's event timeline.

    Put ``"history"`` in the admin's fieldsets and ``pii_fields``; PiiMaskingMixin then swaps in the
    masked twin for users who may not see PII. ``event_enum`` names the object's event enum of
    events.types (``EntryEvent``, ...), which knows its aggregate.
    """

    event_enum: ClassVar[type[StrEnum]]
    event_aggregate_type: ClassVar[str]  # derived from event_enum

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "event_enum" in cls.__dict__:
            if cls.event_enum not in AGGREGATE_TYPES:
                raise TypeError(f"{cls.__name__}.event_enum must be an event enum of events.types")
            cls.event_aggregate_type = AGGREGATE_TYPES[cls.event_enum]

    @admin.display(description="events")
    def history(self, obj: Any) -> SafeString | str:
        return event_history_table(aggregate_type=self.event_aggregate_type, aggregate_id=obj.pk, masked=False)

    @admin.display(description="events")
    def history_masked(self, obj: Any) -> SafeString | str:
        return event_history_table(aggregate_type=self.event_aggregate_type, aggregate_id=obj.pk, masked=True)
