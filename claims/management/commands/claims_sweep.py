"""Run the claim deadline sweep once (the beat job, by hand)."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from claims.services import claims_sweep


def aware_iso(raw: str) -> datetime:
    """An ISO time; one without an offset is taken in the project's time zone."""
    moment = datetime.fromisoformat(raw)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = "Do the deadline actions due on open claims (acknowledge, default confirm/cancel, complete)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", type=aware_iso, help="act as of this ISO time (the directory's clock)")
        parser.add_argument("--batch", type=int, default=100, help="claims read per batch")

    def handle(self, *args, now: datetime | None, batch: int, **options) -> None:
        counts = claims_sweep(now=now, batch=batch)
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in sorted(counts.items())) or "nothing due")
