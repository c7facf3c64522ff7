"""The MED admin's queues (``?queue=``), as list filters over med.selectors: the staff home page links to
them and counts with the same selectors (med.selectors.due_counts), so a count and its list cannot drift."""

from collections.abc import Callable
from typing import ClassVar

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from med import selectors

# Each queue's label and its rows (``?queue=``); the staff home page links here with the same names.
REPORT_QUEUES: dict[str, tuple[str, Callable[[QuerySet], QuerySet]]] = {
    "to_analyse": ("to analyse (by 7-day deadline)", selectors.reports_to_analyse),
    "analysis_overdue": (
        "to analyse, 7 days passed",
        lambda qs: selectors.reports_analysis_overdue(qs, now=timezone.now()),
    ),
    "analysis_due": (
        "to analyse, due within 24 h",
        lambda qs: selectors.reports_analysis_due(qs, now=timezone.now()),
    ),
    "awaiting_refund": (
        "AGREED, our refund not asked yet (72 h running)",
        lambda qs: selectors.reports_refund_window_open(qs, now=timezone.now()),
    ),
}
REFUND_QUEUES: dict[str, tuple[str, Callable[[QuerySet], QuerySet]]] = {
    "to_answer": ("asked of us, to answer", selectors.refunds_to_answer),
}


class QueueFilter(admin.SimpleListFilter):
    """One of the fraud team's queues; its selector also orders the rows (most urgent first)."""

    title = "queue"
    parameter_name = "queue"
    queues: ClassVar[dict[str, tuple[str, Callable[[QuerySet], QuerySet]]]] = {}

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(name, label) for name, (label, _) in self.queues.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        if self.value() not in self.queues:  # a hand-typed ?queue= is the client's mistake, not a 500
            raise IncorrectLookupParameters(f"queue is one of {', '.join(self.queues)}")
        return self.queues[self.value()][1](queryset)


class ReportQueueFilter(QueueFilter):
    queues = REPORT_QUEUES


class RefundQueueFilter(QueueFilter):
    queues = REFUND_QUEUES
