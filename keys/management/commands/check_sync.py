"""Check our keys against DICT with the VSync of each key type (DICT asks for it every 36 h)."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keys.services import sync_check


class Command(BaseCommand):
    help = (
        "Compare our VSync per key type with the directory's; --list-differences lists the CIDs that differ. "
        "It reports only: nothing is repaired."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--list-differences", action="store_true", help="list the CIDs missing on either side (changes nothing)"
        )

    def handle(self, *args, list_differences: bool, **options) -> None:
        reports = sync_check(list_differences=list_differences)
        for r in reports:
            self.stdout.write(f"{r.key_type:<6} {'OK' if r.ok else 'NOK'}  {r.count} keys  vsync {r.ours}")
            for cid in r.missing_at_dict:
                self.stdout.write(f"    ours, not at DICT: {cid}")
            for cid in r.unknown_here:
                self.stdout.write(f"    at DICT, not ours: {cid}")
        if not all(r.ok for r in reports):
            raise CommandError("out of sync: " + ", ".join(r.key_type for r in reports if not r.ok))
