"""Celery worker liveness for Kubernetes and compose: the worker touches a file while it makes progress,
and `manage.py worker_alive` reads the file's age.

Progress is either the consumer's event loop turning on a live broker connection, or the consumer
retrying a lost broker: a liveness probe must not depend on the broker (restarting every worker while
Redis is down helps nothing and ends in CrashLoopBackOff), only catch a worker that is stuck. A ping
through the broker (`celery inspect ping`) would do the opposite, at a Celery start-up per probe.
"""

import logging
import threading
import time
from pathlib import Path

from celery import bootsteps
from celery.beat import PersistentScheduler
from django.conf import settings

logger = logging.getLogger(__name__)


def heartbeat_file(process: str = "worker") -> Path:
    """The file the worker or beat touches while it makes progress."""
    return Path(settings.BEAT_HEARTBEAT_FILE if process == "beat" else settings.WORKER_HEARTBEAT_FILE)


def heartbeat_age(process: str = "worker") -> float | None:
    """Seconds since the process last touched its heartbeat file; None when there is no file."""
    try:
        return time.time() - heartbeat_file(process).stat().st_mtime
    except FileNotFoundError:
        return None


class HeartbeatScheduler(PersistentScheduler):
    """Beat's own scheduler, touching BEAT_HEARTBEAT_FILE on every tick (at least every
    CELERY_BEAT_MAX_LOOP_INTERVAL) and on every retry of a lost broker, which beat waits out inside a
    tick: so a broker outage never makes beat look dead, and a beat that neither ticks nor retries does.
    """

    def tick(self, *args, **kwargs) -> float:
        interval = super().tick(*args, **kwargs)
        self.touch()
        return interval

    def _ensure_connected(self):
        """Celery's own (beat.Scheduler._ensure_connected), with each retry counted as progress."""

        def retrying(exc: Exception, interval: float) -> None:
            logger.error("beat: connection error: %s; trying again in %s seconds", exc, interval)
            self.touch()

        return self.connection.ensure_connection(retrying, self.app.conf.broker_connection_max_retries)

    def touch(self) -> None:
        try:
            heartbeat_file("beat").touch()
        except OSError as error:
            logger.error("cannot touch the beat heartbeat file: %s", error)


# kombu retries a lost broker at most every 30 s (interval_max): a consumer whose retry count has not
# moved for two such gaps is not retrying any more, it is stuck.
RETRY_GRACE_SEC = 60.0


class ConsumerHeartbeat(bootsteps.StartStopStep):
    """Touches the heartbeat file every WORKER_HEARTBEAT_INTERVAL_SEC while the worker makes progress.

    Connected, the consumer's event loop touches it: the timer is registered each time the loop starts on
    a fresh connection and cancelled when the connection is lost. Disconnected, a watcher thread touches
    it as long as the consumer's broker retries go on (Celery counts them in
    ``broker_connection_retry_attempt``). A stuck loop does neither, so the file ages. A worker shut
    down removes it: dead at once.
    """

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, c, **kwargs) -> None:
        super().__init__(c, **kwargs)
        self.path = heartbeat_file()
        self.timer_entry = None
        self.watcher: threading.Thread | None = None
        self.stopping = threading.Event()

    def start(self, c) -> None:
        """Start the retry watcher once: consumer steps are started again after every reconnection."""
        if self.watcher is None:
            self.watcher = threading.Thread(target=self.watch_retries, args=(c,), name="heartbeat", daemon=True)
            self.watcher.start()

    def watch_retries(self, c) -> None:
        seen, moved_at = c.broker_connection_retry_attempt, None
        while not self.stopping.wait(settings.WORKER_HEARTBEAT_INTERVAL_SEC):
            if c.broker_connection_retry_attempt != seen:
                seen, moved_at = c.broker_connection_retry_attempt, time.monotonic()
            if moved_at is not None and time.monotonic() - moved_at < RETRY_GRACE_SEC:
                self.touch_file()

    def register_with_event_loop(self, c, hub) -> None:
        self.touch(c)
        self.timer_entry = hub.call_repeatedly(settings.WORKER_HEARTBEAT_INTERVAL_SEC, self.touch, c)

    def touch(self, c) -> None:
        if c.connection is None or not c.connection.connected:  # e.g. timers still firing in a warm shutdown
            return
        self.touch_file()

    def touch_file(self) -> None:
        try:
            self.path.touch()
        except OSError as error:  # never raised into the loop: the Redis transport counts OSError as a lost connection
            logger.error("cannot touch the worker heartbeat file %s: %s", self.path, error)

    def stop(self, c) -> None:
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None

    def shutdown(self, c) -> None:
        self.stopping.set()
        if self.watcher is not None:
            self.watcher.join(timeout=2 * settings.WORKER_HEARTBEAT_INTERVAL_SEC)  # no touch after the unlink
        self.stop(c)
        self.path.unlink(missing_ok=True)
