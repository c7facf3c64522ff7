"""Celery worker liveness for Kubernetes and compose: the consumer touches a file while it is connected
to the broker and its event loop turns, and `manage.py worker_alive` reads the file's age.

A ping through the broker (`celery inspect ping`) costs a broker round trip and a Celery start-up per
probe; the file costs neither, and still goes stale when the loop hangs or the broker is gone.
"""

import logging
import time
from pathlib import Path

from celery import bootsteps
from django.conf import settings

logger = logging.getLogger(__name__)


def heartbeat_file() -> Path:
    return Path(settings.WORKER_HEARTBEAT_FILE)


def heartbeat_age() -> float | None:
    """Seconds since the worker last touched its heartbeat file; None when there is no file."""
    try:
        return time.time() - heartbeat_file().stat().st_mtime
    except FileNotFoundError:
        return None


class ConsumerHeartbeat(bootsteps.StartStopStep):
    """Touches the heartbeat file every WORKER_HEARTBEAT_INTERVAL_SEC from the consumer's event loop.

    The timer is registered each time the loop starts on a fresh broker connection and cancelled when
    the connection is lost (Celery stops consumer steps before it reconnects), so the file ages while
    the worker is disconnected or its loop is stuck. A worker shut down removes it: dead at once.
    """

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, c, **kwargs) -> None:
        super().__init__(c, **kwargs)
        self.path = heartbeat_file()
        self.timer_entry = None

    def register_with_event_loop(self, c, hub) -> None:
        self.touch(c)
        self.timer_entry = hub.call_repeatedly(settings.WORKER_HEARTBEAT_INTERVAL_SEC, self.touch, c)

    def touch(self, c) -> None:
        if c.connection is None or not c.connection.connected:  # e.g. timers still firing in a warm shutdown
            return
        try:
            self.path.touch()
        except OSError as error:  # never raised into the loop: the Redis transport counts OSError as a lost connection
            logger.error("cannot touch the worker heartbeat file %s: %s", self.path, error)

    def stop(self, c) -> None:
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None

    def shutdown(self, c) -> None:
        self.stop(c)
        self.path.unlink(missing_ok=True)
