"""Finish the closure of closed accounts that still have keys not sent for deletion or open claims (what
beat's ``finish_account_closures`` does every 10 minutes), with progress on stderr. Safe to kill and run
again: the closure is idempotent."""

from django.core.management.base import BaseCommand, CommandParser

from keys.updates import ClosureFinishProgress, closed_accounts_finish


class Command(BaseCommand):
    help = "Re-run the closure of closed accounts with keys or claims left (keys deleted with ACCOUNT_CLOSURE)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=100, help="accounts per run (the next run goes on)")

    def handle(self, *args, limit: int, **options) -> None:
        progress = ClosureFinishProgress()
        for progress in closed_accounts_finish(limit=limit):
            self.stderr.write(f"{progress.accounts} accounts done")
        self.stdout.write(
            f"accounts: {progress.accounts}, keys sent for deletion: {progress.keys_deleting}, "
            f"claims settled: {progress.claims_settled}, accounts with work left: {progress.unfinished}"
            + ("; the directory is unavailable: run this again later" if progress.stopped else "")
        )
