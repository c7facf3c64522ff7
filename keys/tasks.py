"""Celery tasks for entries: thin wrappers that call services."""

from celery import shared_task

from dict_project.errors import ServiceUnavailable
from keys.services import entry_register


@shared_task(
    autoretry_for=(ServiceUnavailable,),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def register_entry(entry_id: str) -> str:
    """Register a PENDING entry at DICT; retried with backoff while the directory is down."""
    return entry_register(entry_id=entry_id).status
