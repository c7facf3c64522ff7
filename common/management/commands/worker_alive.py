"""Liveness probe of a Celery worker (Kubernetes exec probe, compose healthcheck): exit 0 or 1."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.worker_liveness import heartbeat_age


class Command(BaseCommand):
    help = "Exit 0 if this host's Celery worker touched its heartbeat file recently (consuming, connected), else 1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-age", type=float, default=None, help="seconds (default: three WORKER_HEARTBEAT_INTERVAL_SEC)"
        )

    def handle(self, *args, max_age: float | None, **options) -> None:
        limit = max_age if max_age is not None else 3 * settings.WORKER_HEARTBEAT_INTERVAL_SEC
        age = heartbeat_age()
        if age is None:
            raise CommandError(f"worker dead: no heartbeat file at {settings.WORKER_HEARTBEAT_FILE}", returncode=1)
        if age > limit:
            raise CommandError(f"worker dead: last heartbeat {age:.1f}s ago (limit {limit:g}s)", returncode=1)
        self.stdout.write(f"worker alive: last heartbeat {age:.1f}s ago")
