"""gunicorn's settings for the web process (deploy/entrypoint.sh passes ``-c python:dict_project.gunicorn_conf``).

Left alone, gunicorn writes its own lines in plain text past the PII masking. Handed Django's
LOGGING as its dictConfig, they are masked and JSON when LOG_FORMAT=json, as in every other process.
A dictConfig also turns gunicorn's access log on, in a format without the query string or referer.

Metrics: several workers, one count. Each worker writes its metric values to files in
PROMETHEUS_MULTIPROC_DIR and /metrics adds every worker's up, whichever answers (prometheus_client's
multiprocess mode, common/metrics.py). prometheus_client picks that mode when it is first imported,
so ``on_starting`` sets the variable in the arbiter before any worker is forked (hence no --preload):
the environment's directory, else a fresh one of this arbiter's own, so two servers on one machine
never share one.
"""

import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings

from common.logging import ACCESS_LOG_FORMAT

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dict_project.settings")

logconfig_dict = settings.LOGGING
access_log_format = ACCESS_LOG_FORMAT

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_own_multiproc_dir: str | None = None


def on_starting(server) -> None:
    """In the arbiter, before the first fork: the workers' metrics directory, set and emptied (files of an
    earlier run would be added up too)."""
    global _own_multiproc_dir
    if MULTIPROC_ENV not in os.environ:
        _own_multiproc_dir = os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="core-dict-metrics-")
    directory = Path(os.environ[MULTIPROC_ENV])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def child_exit(server, worker) -> None:
    """A worker is gone: its live gauges leave the sum (its counters stay: they counted what happened)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    if _own_multiproc_dir:
        shutil.rmtree(_own_multiproc_dir, ignore_errors=True)
