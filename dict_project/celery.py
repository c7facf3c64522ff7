"""The Celery application; with no broker configured tasks run in-process (embedded default)."""

import os

from celery import Celery

from common.worker_liveness import ConsumerHeartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dict_project.settings")

app = Celery("dict_project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.steps["consumer"].add(ConsumerHeartbeat)  # the file `manage.py worker_alive` reads
app.autodiscover_tasks()
