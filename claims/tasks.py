"""Celery beat jobs for claims: thin wrappers that call services."""

from celery import shared_task

from claims import services


@shared_task
def poll() -> dict[str, int]:
    """Every minute: read DICT's claims as donor and claimer; acknowledge incoming ones at once."""
    return dict(services.claims_poll())


@shared_task
def sweep() -> dict[str, int]:
    """Every minute: the deadline actions due (DICT_RULES §4.4), within CLAIMS_SWEEP_BUDGET_SEC."""
    return dict(services.claims_sweep())
