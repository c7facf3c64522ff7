"""Run the MED deadline sweep once (the beat job, by hand)."""

from django.core.management.base import BaseCommand

from med.services import med_sweep


class Command(BaseCommand):
    help = "Flag MED deadlines due (reports to analyse, AGREED reports without their refund) and re-drive stale calls."

    def handle(self, *args, **options) -> None:
        counts = med_sweep()
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in sorted(counts.items())) or "nothing due")
