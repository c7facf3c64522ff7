"""Close accounts core banking closed: their keys are deleted at DICT with ACCOUNT_CLOSURE and their
open claims settled (accounts.services.account_close). Idempotent: run it again to finish what was left."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import account_close
from dict_rules.errors import DomainError


class Command(BaseCommand):
    help = "Close accounts by id: delete their keys at DICT (ACCOUNT_CLOSURE) and settle their open claims."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("account_ids", nargs="+", type=int, help="our account ids")

    def handle(self, *args, account_ids: list[int], **options) -> None:
        unfinished = 0
        for account_id in account_ids:
            try:
                report = account_close(account_id=account_id)
            except DomainError as error:
                raise CommandError(f"account {account_id}: {error.code}: {error.message}") from error
            unfinished += not report.finished
            self.stdout.write(
                f"account {account_id}: {'closed' if report.newly_closed else 'already closed'}; "
                f"keys sent for deletion: {report.keys_deleting}, keys left: {report.keys_left}, "
                f"portabilities confirmed: {report.claims_confirmed}, claims cancelled: {report.claims_cancelled}, "
                f"claims left: {report.claims_left}"
            )
        if unfinished:
            self.stdout.write(f"{unfinished} account(s) have keys or claims left: run this again later.")
