"""Configuration only: settings, URLs, the Celery app, wsgi/asgi and the gRPC root handlers hook."""

from dict_project.celery import app as celery_app

__all__ = ("celery_app",)
