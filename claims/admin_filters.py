"""The claims admin's filter by next deadline: what is due soon or overdue, and what passed lately.

The staff home page links to the changelist through it; both count with claims.selectors.claims_by_deadline.
"""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from claims.models import Claim
from claims.selectors import claims_by_deadline

# Every bucket of claims.selectors (DEADLINE_BUCKETS, then PASSED_WITHIN), as staff read it.
DEADLINE_LABELS = {
    "overdue": "open, overdue",
    "under_1h": "open, due in under 1 h",
    "under_24h": "open, due in 1 h to 24 h",
    "later": "open, due later",
    "past_7d": "passed in the past 7 days",
    "past_30d": "passed in the past 30 days",
}


class DeadlineFilter(admin.SimpleListFilter):
    """By the claim's next deadline (the one time_left counts down to): open claims by time left, any claim
    by how long ago it passed (``?deadline=under_1h``)."""

    title = "next deadline"
    parameter_name = "deadline"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return list(DEADLINE_LABELS.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Claim]) -> QuerySet[Claim]:
        if not self.value():
            return queryset
        try:
            return claims_by_deadline(queryset, self.value(), now=timezone.now())
        except ValueError:  # a hand-typed ?deadline=soon is the client's mistake, not a 500
            raise IncorrectLookupParameters(f"{self.parameter_name} is one of {', '.join(DEADLINE_LABELS)}") from None
