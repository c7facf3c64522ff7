"""Poll DICT's infraction reports and refunds once (the beat job, by hand)."""

from django.core.management.base import BaseCommand

from med.services import med_poll


class Command(BaseCommand):
    help = "Read DICT's infraction reports and refunds changed since the last poll; acknowledge incoming reports."

    def handle(self, *args, **options) -> None:
        counts = med_poll()
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in sorted(counts.items())) or "nothing new")
