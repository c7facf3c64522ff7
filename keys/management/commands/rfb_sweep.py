"""Check every key holder at Receita Federal and delete a nonconforming holder's keys (the beat job, by hand)."""

from collections import Counter

from django.core.management.base import BaseCommand, CommandParser

from keys.rfb_sweep import rfb_sweep


class Command(BaseCommand):
    help = "Delete with RFB_VALIDATION the keys of holders irregular at Receita Federal, and tell them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=100, help="holders read per batch")

    def handle(self, *args, batch: int, **options) -> None:
        def progress(counts: Counter) -> None:
            self.stderr.write(", ".join(f"{name}: {n}" for name, n in sorted(counts.items())))

        counts = rfb_sweep(batch=batch, progress=progress)
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in sorted(counts.items())) or "nothing to check")
