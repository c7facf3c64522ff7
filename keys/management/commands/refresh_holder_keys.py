"""Send holders' current names to DICT on their keys due an owner refresh (after a rename in core
banking), with progress on stderr. Safe to kill and run again: only what is left is done."""

from django.core.management.base import BaseCommand, CommandParser

from keys.updates import RefreshProgress, holder_keys_refresh


class Command(BaseCommand):
    help = "Update at DICT the keys whose holder was renamed (reason RFB_VALIDATION): one holder, or all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--holder", type=int, default=None, help="our holder id (default: every holder)")
        parser.add_argument("--progress-every", type=int, default=100, help="report progress every N keys")

    def handle(self, *args, holder: int | None, progress_every: int, **options) -> None:
        progress = RefreshProgress()
        for progress in holder_keys_refresh(holder_id=holder):
            if progress.seen % max(progress_every, 1) == 0:
                self.stderr.write(f"{progress.seen} keys done")
        self.stdout.write(
            f"keys: {progress.seen}, updated: {progress.updated}, unchanged: {progress.unchanged}, "
            f"refused: {progress.refused}, waiting: {progress.waiting}"
            + ("; the directory is unavailable: run this again later" if progress.stopped else "")
        )
