"""Prometheus metrics of entries: registrations DICT refused, by its code (counted as they happen),
and, read from the database at each scrape, entries by status, the re-drive backlog and the sync checks."""

from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily, Metric

from dict_rules.errors import ERRORS_BY_CODE
from keys.domain import EntryStatus
from keys.selectors import entries_waiting, entry_counts_by_status, sync_states

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


def read_sync_checks() -> Iterator[Metric]:
    """Per key type checked at least once (keys.sync): when the last check ran, whether it (after its
    repair) was OK, what it left unresolved, and when a check last found the type in sync (0: never),
    whose age the alert CoreDictSyncUnverified holds against DICT's 36 h."""
    label = ["key_type"]
    last = GaugeMetricFamily(
        "coredict_keys_sync_last_check_timestamp_seconds", "When the last sync check ran.", labels=label
    )
    in_sync = GaugeMetricFamily(
        "coredict_keys_sync_in_sync", "1 if the last sync check (after its repair) was OK, else 0.", labels=label
    )
    unresolved = GaugeMetricFamily(
        "coredict_keys_sync_unresolved", "Differences the last sync check left for staff.", labels=label
    )
    last_ok = GaugeMetricFamily(
        "coredict_keys_sync_last_ok_timestamp_seconds",
        "When a sync check last found the type OK (0: never).",
        labels=label,
    )
    for key_type, state in sync_states().items():
        if state.last is None:
            continue
        last.add_metric([key_type], state.last.checked_at.timestamp())
        in_sync.add_metric([key_type], int(state.last.ok))
        unresolved.add_metric([key_type], state.last.unresolved)
        last_ok.add_metric([key_type], state.last_ok_at.timestamp() if state.last_ok_at else 0)
    yield from (last, in_sync, unresolved, last_ok)
