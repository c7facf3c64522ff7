"""The relay's probes (Kubernetes exec probes, compose healthcheck): its heartbeat file, no connection made."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from events.relay_liveness import OK, last_beat


class Command(BaseCommand):
    help = (
        "Exit 0 if this host's relay finished a round recently (liveness) and, with --ready, "
        "if that round reached the database and Pulsar (readiness); else 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--max-age", type=float, default=60.0, help="seconds since the last round (default 60)")
        parser.add_argument("--ready", action="store_true", help="also require the last round to have found Pulsar")

    def handle(self, *args, max_age: float, ready: bool, **options) -> None:
        beat = last_beat()
        if beat is None:
            raise CommandError(f"relay dead: no heartbeat file at {settings.RELAY_HEARTBEAT_FILE}", returncode=1)
        if beat.age_seconds > max_age:
            raise CommandError(f"relay dead: last round {beat.age_seconds:.1f}s ago (limit {max_age:g}s)", returncode=1)
        if ready and beat.state != OK:
            raise CommandError(f"relay not ready: {beat.state}", returncode=1)
        self.stdout.write(f"relay alive: last round {beat.age_seconds:.1f}s ago, {beat.state}")
