"""The keys admin's filters for what needs a person: keys stuck waiting for DICT, registrations refused today.

The staff home page links to the changelist through them, so its counts and these lists come from the same
selectors (keys.selectors).
"""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from keys.domain import EntryStatus
from keys.models import Entry
from keys.selectors import STUCK_STATUSES, entries_failed_today, entries_stuck, failed_today_counts, stuck_after

ANY_CODE = "any"


class StuckFilter(admin.SimpleListFilter):
    """Keys PENDING or DELETE_PENDING for longer than KEYS_STUCK_AFTER_MIN (``?stuck=PENDING``)."""

    title = "stuck waiting for DICT"
    parameter_name = "stuck"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        minutes = int(stuck_after().total_seconds() // 60)
        return [(status.value, f"{status.value} for over {minutes} min") for status in STUCK_STATUSES]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Entry]) -> QuerySet[Entry]:
        if not self.value():
            return queryset
        if self.value() not in STUCK_STATUSES:  # a hand-typed ?stuck=ACTIVE is the client's mistake, not a 500
            raise IncorrectLookupParameters(f"{self.parameter_name} is one of {', '.join(STUCK_STATUSES)}")
        return entries_stuck(EntryStatus(self.value()), entries=queryset)


class FailedTodayFilter(admin.SimpleListFilter):
    """Registrations DICT refused since local midnight, by its code (``?failed_today=<code>`` or ``any``)."""

    title = "registration refused today"
    parameter_name = "failed_today"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        codes = failed_today_counts(now=timezone.now())
        return [(ANY_CODE, "any code"), *((code, code or "(no code)") for code in codes)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Entry]) -> QuerySet[Entry]:
        if self.value() is None:
            return queryset
        failed = entries_failed_today(now=timezone.now(), entries=queryset)
        return failed if self.value() == ANY_CODE else failed.filter(failure_code=self.value())
