"""Liveness probe of a Celery worker or beat (Kubernetes exec probe, compose healthcheck): exit 0 or 1."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.worker_liveness import heartbeat_age, heartbeat_file


class Command(BaseCommand):
    help = "Exit 0 if this host's Celery worker (or beat) touched its heartbeat file recently, else 1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--beat", action="store_true", help="probe beat instead (default limit: three loop intervals)"
        )
        parser.add_argument(
            "--max-age", type=float, default=None, help="seconds (default: three WORKER_HEARTBEAT_INTERVAL_SEC)"
        )

    def handle(self, *args, beat: bool, max_age: float | None, **options) -> None:
        process = "beat" if beat else "worker"
        period = settings.CELERY_BEAT_MAX_LOOP_INTERVAL if beat else settings.WORKER_HEARTBEAT_INTERVAL_SEC
        limit = max_age if max_age is not None else 3 * period
        age = heartbeat_age(process)
        if age is None:
            raise CommandError(f"{process} dead: no heartbeat file at {heartbeat_file(process)}", returncode=1)
        if age > limit:
            raise CommandError(f"{process} dead: last heartbeat {age:.1f}s ago (limit {limit:g}s)", returncode=1)
        self.stdout.write(f"{process} alive: last heartbeat {age:.1f}s ago")
