"""The Celery application; with no broker configured tasks run in-process (embedded default)."""

import logging
import os

from celery import Celery, signals

from common.worker_liveness import ConsumerHeartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dict_project.settings")

app = Celery("dict_project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.steps["consumer"].add(ConsumerHeartbeat)  # the file `manage.py worker_alive` reads
app.autodiscover_tasks()


@signals.setup_logging.connect
def keep_django_logging(loglevel: int, **kwargs) -> None:
    """Worker and beat keep settings.LOGGING, which Django applied as they loaded the task modules.

    Left alone, Celery replaces the root's handler with its own (plain text, PII unmasked). Once
    this receiver is connected Celery configures nothing, not even its redirection of stdout and
    stderr, so it is done here: a print() becomes a log line, masked and JSON like any other.
    Prefork children inherit all of it.
    """
    logging.getLogger().setLevel(loglevel)  # --loglevel, as Celery would have set it
    if app.conf.worker_redirect_stdouts:
        app.log.redirect_stdouts(app.conf.worker_redirect_stdouts_level)
