"""The scheduled jobs of ``settings.CELERY_BEAT_SCHEDULE``, run inside this process by Celery's own beat.

`serve` embeds beat as a thread (``celery.beat.EmbeddedService``): the same schedule and the same
task code as `celery beat` in production. Every task runs eagerly, so a due job runs on beat's
thread; the broker is kombu's in-memory transport, which beat's producer connects to at start and
never needs, so nothing tries to reach a real broker.
"""

from pathlib import Path

from celery import Celery
from celery.beat import EmbeddedService, PersistentScheduler, ScheduleEntry
from django.db import close_old_connections, connections

IN_MEMORY_BROKER = "memory://"


class InProcessScheduler(PersistentScheduler):
    """Beat's own shelve-backed scheduler; a job runs on beat's thread, so it gets fresh database
    connections around it as a request does (one that broke meanwhile is replaced)."""

    def apply_entry(self, entry: ScheduleEntry, producer=None) -> None:
        close_old_connections()
        try:
            super().apply_entry(entry, producer=producer)
        finally:
            close_old_connections()

    def close(self) -> None:
        """Beat's thread calls this as it ends: its database connections (kept CONN_MAX_AGE) end with it,
        so a beat stopped inside a process that goes on (the homologation rehearsal) leaves none open."""
        super().close()
        connections.close_all()


def run_tasks_in_process(app: Celery) -> None:
    """Make ``app`` run every task in the calling process, and load the task modules so beat finds
    each job's task by name (a name it did not know would be published to the in-memory broker and lost)."""
    app.conf.task_always_eager = True
    app.conf.broker_url = IN_MEMORY_BROKER
    app.loader.import_default_modules()


class EmbeddedBeat:
    """Celery beat on a daemon thread, its schedule file at ``schedule_file``."""

    def __init__(self, app: Celery, schedule_file: Path) -> None:
        self._thread = EmbeddedService(
            app, thread=True, schedule_filename=str(schedule_file), scheduler_cls=InProcessScheduler
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float) -> None:
        """Ask beat to stop (it looks every second, or once the job it runs ends) and wait ``timeout`` at most."""
        self._thread.service.stop()
        self._thread.join(timeout)
