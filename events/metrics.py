"""The outbox's Prometheus metrics (coredict_outbox_*).

The counters count what this process's relay did, on prometheus_client's default registry (the
relay serves them on its own port). The gauges are the table's state, read from the database at
each scrape of the web's /metrics (``read_outbox``, registered with the kernel's scrape-time reads
by events.apps when the relay is configured), so they stay true while no relay runs: a dead relay
shows as a growing lag. No label carries PII: the topic is the only one.
"""

from collections.abc import Iterator

from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily

from events.selectors import outbox_state

EVENTS_PUBLISHED = Counter(
    "coredict_outbox_events_published", "Events published to Pulsar and marked published.", ["topic"]
)
PUBLISH_FAILURES = Counter(
    "coredict_outbox_publish_failures",
    "Failed publishing attempts: the broker unavailable, or the event refused for its content.",
    ["topic"],
)


def read_outbox() -> Iterator[GaugeMetricFamily]:
    """The outbox's gauges, for common.metrics.register_database_read (which bounds the read in time)."""
    state = outbox_state()
    yield GaugeMetricFamily(
        "coredict_outbox_events_failed", "Events marked failed, waiting for a person.", value=state.failed
    )
    yield GaugeMetricFamily(
        "coredict_outbox_lag_seconds",
        "Age of the oldest unpublished, not failed event; 0 when there is none.",
        value=state.lag_seconds,
    )
    yield GaugeMetricFamily(
        "coredict_outbox_backlog_events", "Unpublished events, failed ones included.", value=state.backlog
    )
