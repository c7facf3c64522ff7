"""Prometheus metrics of entries: registrations DICT refused, by its code (counted as they happen),
and, read from the database at each scrape, entries by status and the re-drive backlog."""

from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily, Metric

from dict_rules.errors import ERRORS_BY_CODE
from keys.domain import EntryStatus
from keys.selectors import entries_waiting, entry_counts_by_status

UNKNOWN_CODE = "other"  # a code outside our vocabulary: labels stay a bounded set

REGISTRATION_FAILURES = Counter(
    "coredict_keys_registration_failures",
    "Key registrations DICT refused, by DICT's error code.",
    ["code"],
)

# The work sync_pending re-drives (keys.services.entries_redrive).
REDRIVEN_STATUSES = (EntryStatus.PENDING, EntryStatus.DELETE_PENDING)


def count_registration_failure(code: str) -> None:
    REGISTRATION_FAILURES.labels(code if code in ERRORS_BY_CODE else UNKNOWN_CODE).inc()


def redrive_age() -> timedelta:
    """The age at which the sync_pending beat job takes work as stuck: its own argument, so the two agree."""
    return timedelta(seconds=settings.CELERY_BEAT_SCHEDULE["sync-pending"]["kwargs"]["older_than_seconds"])


def read_entries() -> Iterator[Metric]:
    """Entries by status (every status, zeros included) and those waiting longer than the re-drive age."""
    counts = entry_counts_by_status()
    entries = GaugeMetricFamily("coredict_keys_entries", "Entries (PIX keys) by status.", labels=["status"])
    for status in EntryStatus:
        entries.add_metric([status.value], counts.get(status.value, 0))
    yield entries
    backlog = GaugeMetricFamily(
        "coredict_keys_redrive_backlog_entries",
        "Entries still waiting for DICT (PENDING, DELETE_PENDING) longer than the re-drive age (sync_pending's).",
        labels=["status"],
    )
    age = redrive_age()
    for status in REDRIVEN_STATUSES:
        backlog.add_metric([status.value], entries_waiting(status, older_than=age).count())
    yield backlog
