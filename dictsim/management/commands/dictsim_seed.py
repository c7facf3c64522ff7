"""Fill the simulated directory with N synthetic entries of other participants."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from dictsim.seeding import DEFAULT_PARTICIPANTS, seed_entries


class Command(BaseCommand):
    help = "Create N synthetic entries of other participants in the simulated directory (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument("--start", type=int, default=0, help="first synthetic index (keys are a function of it)")
        parser.add_argument("--participants", default=",".join(DEFAULT_PARTICIPANTS), help="comma-separated ISPBs")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, count: int, start: int, participants: str, no_progress: bool, **options) -> None:
        ispbs = tuple(p.strip() for p in participants.split(",") if p.strip())
        if count < 1 or start < 0 or not ispbs or not all(p.isdigit() and len(p) == 8 for p in ispbs):
            raise CommandError("--count must be positive, --start not negative, --participants 8-digit ISPBs.")
        with tqdm(total=count, unit="entry", disable=no_progress, file=self.stderr) as bar:
            created = seed_entries(count=count, start=start, participants=ispbs, progress=bar.update)
        self.stdout.write(f"{created} entries created, {count - created} already present")
