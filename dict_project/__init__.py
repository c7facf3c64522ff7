"""Core DICT project package: settings, URLs, Celery app and cross-cutting concerns."""

from dict_project.celery import app as celery_app

__all__ = ("celery_app",)
