"""Run the claim deadline sweep once (the beat job, by hand)."""

from datetime import datetime, timedelta

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
        parser.add_argument("--workers", type=int, help="threads asking DICT at once (default CLAIMS_SWEEP_WORKERS)")
        parser.add_argument(
            "--budget", type=float, help="stop taking claims after this many seconds (default CLAIMS_SWEEP_BUDGET_SEC)"
        )

    def handle(
        self, *args, now: datetime | None, batch: int, workers: int | None, budget: float | None, **options
    ) -> None:
        spend = timedelta(seconds=budget) if budget else None
        counts = claims_sweep(now=now, batch=batch, workers=workers, budget=spend)
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in sorted(counts.items())) or "nothing due")
