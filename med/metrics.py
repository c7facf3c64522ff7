"""Prometheus metrics of MED, read from the database at each scrape: the fraud team's queues
(med.selectors.due_counts), which the alert CoreDictMedAnalysisOverdue watches."""

from collections.abc import Iterator

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from med.selectors import due_counts

QUEUES = ("analysis_overdue", "analysis_due", "refunds_to_answer", "awaiting_refund")


def read_med_due() -> Iterator[Metric]:
    """Every queue, zeros included, so an alert's series never disappears."""
    counts = due_counts(now=timezone.now())
    due = GaugeMetricFamily(
        "coredict_med_due",
        "MED work waiting for the fraud team: reports past their 7-day analysis (analysis_overdue) or within "
        "24 h of it (analysis_due), refunds asked of us still open, our AGREED reports whose 72 h to ask for "
        "the refund still run.",
        labels=["queue"],
    )
    for queue in QUEUES:
        due.add_metric([queue], counts[queue])
    yield due
