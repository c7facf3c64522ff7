"""Celery beat jobs for MED: thin wrappers that call services."""

from celery import shared_task

from med import services


@shared_task
def poll() -> dict[str, int]:
    """Every minute: read DICT's reports and refunds on both sides; acknowledge incoming reports at once."""
    return dict(services.med_poll())


@shared_task
def sweep() -> dict[str, int]:
    """Every minute: flag the deadlines due (7-day analysis, 72 h refund) and finish calls a crash left."""
    return dict(services.med_sweep())
