"""Poll DICT's claims once (the beat job, by hand)."""

from django.core.management.base import BaseCommand

from claims.services import claims_poll


class Command(BaseCommand):
    help = "Read DICT's claims changed since the last poll, as donor and as claimer, and sync them."

    def handle(self, *args, **options) -> None:
        counts = claims_poll()
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in sorted(counts.items())) or "nothing new")
