"""Celery tasks for entries: thin wrappers that call services."""

import logging
from datetime import timedelta

from celery import Task, shared_task
from celery.utils.time import get_exponential_backoff_interval

from dict_rules.errors import ServiceUnavailable
from keys import services
from keys.domain import EntryStatus

logger = logging.getLogger(__name__)


def _retry_later(task: Task, error: ServiceUnavailable, entry_id: str, waiting: EntryStatus) -> str:
    """Retry with exponential backoff and jitter on a worker; in-process, leave it to sync_pending."""
    if task.request.is_eager:
        logger.warning("directory unavailable for entry %s; sync_pending will re-drive it", entry_id)
        return waiting
    countdown = get_exponential_backoff_interval(factor=2, retries=task.request.retries, maximum=300, full_jitter=True)
    raise task.retry(exc=error, countdown=countdown, max_retries=20)


@shared_task(bind=True, acks_late=True)
def register_entry(self: Task, entry_id: str) -> str:
    """Register a PENDING entry at DICT."""
    try:
        return services.entry_register(entry_id=entry_id).status
    except ServiceUnavailable as error:
        return _retry_later(self, error, entry_id, EntryStatus.PENDING)


@shared_task(bind=True, acks_late=True)
def unregister_entry(self: Task, entry_id: str) -> str:
    """Remove a DELETE_PENDING entry from DICT."""
    try:
        return services.entry_unregister(entry_id=entry_id).status
    except ServiceUnavailable as error:
        return _retry_later(self, error, entry_id, EntryStatus.DELETE_PENDING)


@shared_task
def sync_pending(older_than_seconds: float = 60) -> dict[str, int]:
    """Beat job: re-drive registrations and deletions stuck longer than a minute (a countdown retry the
    broker lost, e.g. with a Redis that restarted empty, is one)."""
    return services.entries_redrive(older_than=timedelta(seconds=older_than_seconds))
