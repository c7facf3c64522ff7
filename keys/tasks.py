"""Celery tasks for entries: thin wrappers that call services."""

import logging
from datetime import timedelta

from celery import Task, shared_task
from celery.utils.time import get_exponential_backoff_interval

from dict_rules.errors import ServiceUnavailable
from keys import own_view, services, updates
from keys.domain import EntryStatus
from keys.sync import RepairRunning, sync_check

logger = logging.getLogger(__name__)


def _retry_later(task: Task, error: ServiceUnavailable, entry_id: str, waiting: EntryStatus) -> str:
    """Retry with exponential backoff and jitter on a worker; in-process, leave it to sync_pending."""
    if task.request.is_eager:
        logger.warning("directory unavailable for entry %s; sync_pending will re-drive it", entry_id)
        return waiting
    countdown = get_exponential_backoff_interval(factor=2, retries=task.request.retries, maximum=300, full_jitter=True)
    raise task.retry(exc=error, countdown=countdown, max_retries=20)


def tasks_run_here() -> bool:
    """Whether a task runs in the process that queues it (Celery's eager mode: the embedded default, tests,
    a rehearsal's own jobs) rather than on a worker."""
    return bool(register_entry.app.conf.task_always_eager)


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


@shared_task(bind=True, acks_late=True)
def update_entry(self: Task, entry_id: str) -> str:
    """Ask DICT for an entry's pending update (keys.updates)."""
    try:
        return updates.entry_apply_update(entry_id=entry_id).status
    except ServiceUnavailable as error:
        return _retry_later(self, error, entry_id, EntryStatus.ACTIVE)


@shared_task(acks_late=True)
def refresh_holder_keys(holder_id: str) -> dict[str, int | bool]:
    """Send a renamed holder's names to DICT on each of its keys; sync_pending takes up what is left."""
    progress = updates.RefreshProgress()
    for step in updates.holder_keys_refresh(holder_id=int(holder_id)):
        progress = step
    return vars(progress)


@shared_task
def sync_pending(older_than_seconds: float = 60) -> dict[str, int]:
    """Beat job: re-drive registrations, deletions and updates stuck longer than a minute (a countdown
    retry the broker lost, e.g. with a Redis that restarted empty, is one), and owner refreshes due."""
    older_than = timedelta(seconds=older_than_seconds)
    return services.entries_redrive(older_than=older_than) | updates.updates_redrive(older_than=older_than)


@shared_task
def finish_account_closures(limit: int = 100) -> dict[str, int | bool]:
    """Beat job: finish the closure of closed accounts that still have live keys or open claims (a key
    registered or brought by a claim after the closure ran is deleted with ACCOUNT_CLOSURE)."""
    progress = updates.ClosureFinishProgress()
    for step in updates.closed_accounts_finish(limit=limit):
        progress = step
    if progress.accounts or progress.stopped:
        logger.info("closure job: %s", ", ".join(f"{name} {value}" for name, value in vars(progress).items()))
    return vars(progress)


@shared_task
def rfb_sweep() -> dict[str, int]:
    """Beat job (daily): delete the keys of owners who became irregular at Receita Federal (RFB_VALIDATION)."""
    from keys.rfb_sweep import rfb_sweep as sweep

    return dict(sweep())


@shared_task
def check_sync() -> dict[str, str]:
    """Beat job (every SYNC_CHECK_INTERVAL_SEC, well inside DICT's 36 h): check every key type against
    DICT and repair what differs, SYNC_REPAIR_MAX_DIFFERENCES at most (keys.sync logs what it leaves for
    the next run); each check is recorded (keys.SyncCheck, the admin, /metrics). A run that finds
    another repair running (a slow one, or the command's) does nothing: that one repairs."""
    try:
        reports = sync_check(repair=True)
    except ServiceUnavailable:
        logger.warning("sync check: the directory is unavailable; the next run checks again")
        return {}
    except RepairRunning:
        logger.warning("sync check: another sync repair is running; the next run checks again")
        return {}
    return {r.key_type: "OK" if r.ok else "NOK" for r in reports}


@shared_task(acks_late=True)
def own_view_rebuild() -> int:
    """Rebuild the lookups' Redis view of our own keys (keys.own_view); returns how many keys it wrote."""
    return own_view.rebuild_own_view()
