"""Prometheus metrics of claims, read from the database at each scrape: open claims, on either side,
by how close their next deadline is (the one the API's time_left_seconds counts down to)."""

from collections.abc import Iterator

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from claims.selectors import DEADLINE_BUCKETS, open_claim_counts
from dict_rules.claims import Role


def read_open_claims() -> Iterator[Metric]:
    """Every role and bucket, zeros included, so an alert's series never disappears."""
    counts = open_claim_counts(now=timezone.now(), buckets=DEADLINE_BUCKETS)
    claims = GaugeMetricFamily(
        "coredict_claims_open",
        "Open claims and portabilities (OPEN, WAITING_RESOLUTION, CONFIRMED), by our role and the time left "
        "to their next deadline.",
        labels=["role", "deadline"],
    )
    for role in Role:
        for bucket in DEADLINE_BUCKETS:
            claims.add_metric([role.value.lower(), bucket], counts.get((role.value, bucket), 0))
    yield claims
