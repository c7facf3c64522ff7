"""Check our keys against DICT with the VSync of each key type (DICT asks for it every 36 h); --repair fixes them."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dict_rules.keys import KeyType
from keys.sync import Fix, RepairRunning, SyncReport, sync_check

FIXES = list(Fix)


class Command(BaseCommand):
    help = (
        "Compare our VSync per key type with the directory's. --repair fixes a type out of sync (keys.sync "
        "says how; SYNC_REPAIR_MAX_DIFFERENCES at most, the rest next run; one repair at a time) and checks "
        "it again; --list-differences lists the CIDs that differ and changes nothing. "
        "Exits 1 while a type is still out of sync."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--repair", action="store_true", help="fix what differs, then check again")
        action.add_argument(
            "--list-differences", action="store_true", help="list the CIDs missing on either side (changes nothing)"
        )
        parser.add_argument("--key-type", choices=[t.value for t in KeyType], help="only this key type")

    def handle(self, *args, repair: bool, list_differences: bool, key_type: str | None, **options) -> None:
        try:
            reports = sync_check(
                repair=repair,
                list_differences=list_differences,
                key_types=[key_type] if key_type else tuple(KeyType),
                progress=self._progress,
            )
        except RepairRunning as running:
            raise CommandError(f"{running}; try again when it is done") from running
        for r in reports:
            self._report(r, list_differences=list_differences)
        if not all(r.ok for r in reports):
            raise CommandError("out of sync: " + ", ".join(r.key_type for r in reports if not r.ok))

    def _progress(self, key_type: str, done: int, total: int) -> None:
        self.stderr.write(f"{key_type}: {done}/{total} differences handled")

    def _report(self, r: SyncReport, *, list_differences: bool) -> None:
        self.stdout.write(f"{r.key_type:<6} {'OK' if r.ok else 'NOK'}  {r.count} keys  vsync {r.ours}")
        if r.repaired:
            fixed = ", ".join(f"{fix}: {r.fixes[fix]}" for fix in FIXES if r.fixes[fix])
            self.stdout.write(f"    was NOK, {r.differences} CIDs differed; {fixed}")
            if r.deferred:
                self.stdout.write(f"    {r.deferred} left for the next run (SYNC_REPAIR_MAX_DIFFERENCES)")
        if list_differences:
            for cid in r.missing_at_dict:
                self.stdout.write(f"    ours, not at DICT: {cid}")
            for cid in r.unknown_here:
                self.stdout.write(f"    at DICT, not ours: {cid}")
