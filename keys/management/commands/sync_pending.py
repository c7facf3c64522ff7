"""Re-drive entries whose DICT registration, deletion or update is stuck (the beat job, by hand)."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser

from keys.services import entries_redrive
from keys.updates import updates_redrive


class Command(BaseCommand):
    help = "Push PENDING registrations, DELETE_PENDING deletions, pending updates and owner refreshes to DICT again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=int, default=60, help="seconds an entry has waited (0: all)")
        parser.add_argument("--limit", type=int, default=500, help="at most this many of each kind per run")

    def handle(self, *args, older_than: int, limit: int, **options) -> None:
        wait = timedelta(seconds=older_than)
        counts = entries_redrive(older_than=wait, limit=limit) | updates_redrive(older_than=wait, limit=limit)
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in counts.items()))
