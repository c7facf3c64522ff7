"""A task for tests/test_process_logs.py, loaded into a real worker with ``-I tests.logging_tasks``."""

import sys

from celery import shared_task


@shared_task
def print_text(text: str) -> None:
    """Print ``text`` to stdout and stderr, as careless code would; the worker must log it, masked."""
    print(text)
    print(text, file=sys.stderr)
