"""Fill the simulated directory with N synthetic entries of other participants."""

import time
from contextlib import nullcontext

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from dictsim.seeding import DEFAULT_PARTICIPANTS, deferred_indexes, seed_entries


class Command(BaseCommand):
    help = "Create N synthetic entries of other participants in the simulated directory (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument("--start", type=int, default=0, help="first synthetic index (keys are a function of it)")
        parser.add_argument("--participants", default=",".join(DEFAULT_PARTICIPANTS), help="comma-separated ISPBs")
        parser.add_argument("--batch-size", type=int, default=20_000, help="entries per transaction")
        parser.add_argument(
            "--defer-indexes",
            action="store_true",
            help="PostgreSQL: drop the indexes the load does not need and build them once at the end "
            "(millions of entries into a directory nobody is using; an interrupted run still rebuilds them)",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(
        self,
        *args,
        count: int,
        start: int,
        participants: str,
        batch_size: int,
        defer_indexes: bool,
        no_progress: bool,
        **options,
    ) -> None:
        ispbs = tuple(p.strip() for p in participants.split(",") if p.strip())
        if count < 1 or start < 0 or batch_size < 1 or not ispbs or not all(p.isdigit() and len(p) == 8 for p in ispbs):
            raise CommandError(
                "--count and --batch-size must be positive, --start not negative, --participants 8-digit ISPBs."
            )
        began = time.monotonic()
        indexes = deferred_indexes(self.stderr.write) if defer_indexes else nullcontext()
        with indexes, tqdm(total=count, unit="entry", unit_scale=True, disable=no_progress, file=self.stderr) as bar:
            created = seed_entries(
                count=count, start=start, participants=ispbs, batch_size=batch_size, progress=bar.update
            )
        seconds = time.monotonic() - began
        self.stdout.write(
            f"{created} entries created, {count - created} already present "
            f"({seconds:.1f} s, {count / seconds if seconds else 0:,.0f} entries/s)"
        )
