"""Make the simulated directory diverge from a participant on purpose, to try sync checks and repair."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dict_rules.errors import DomainError
from dict_rules.keys import KeyType
from dictsim.tamper import Tampered, tamper_change, tamper_drop, tamper_insert


class Command(BaseCommand):
    help = (
        "Change, drop or insert a directory entry behind its participant's back (CIDs and VSyncs follow): "
        "change KEY [--branch] [--account-number] [--name] [--trade-name] | drop KEY | "
        "insert --participant ISPB --key-type T [--key K] --tax-id --name [--trade-name] --branch --account-number "
        "[--account-type]."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        change = actions.add_parser("change", help="change an entry's account or owner's names")
        change.add_argument("key")
        change.add_argument("--branch")
        change.add_argument("--account-number")
        change.add_argument("--name", dest="owner_name")
        change.add_argument("--trade-name")
        drop = actions.add_parser("drop", help="remove an entry")
        drop.add_argument("key")
        insert = actions.add_parser("insert", help="add an entry the participant never asked for")
        insert.add_argument("--participant", required=True)
        insert.add_argument("--key-type", required=True, choices=[t.value for t in KeyType])
        insert.add_argument("--key", help="omit for an EVP key")
        insert.add_argument("--tax-id", required=True)
        insert.add_argument("--name", dest="owner_name", required=True)
        insert.add_argument("--trade-name", default="")
        insert.add_argument("--branch", required=True)
        insert.add_argument("--account-number", required=True)
        insert.add_argument("--account-type", default="CACC")

    def handle(self, *args, action: str, **options) -> None:
        fields = {name: options[name] for name in _FIELDS[action]}
        try:
            done = _ACTIONS[action](**fields)
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        self.stdout.write(_describe(action, done))


_ACTIONS = {"change": tamper_change, "drop": tamper_drop, "insert": tamper_insert}
_FIELDS = {
    "change": ("key", "branch", "account_number", "owner_name", "trade_name"),
    "drop": ("key",),
    "insert": (
        "participant",
        "key_type",
        "key",
        "tax_id",
        "owner_name",
        "trade_name",
        "branch",
        "account_number",
        "account_type",
    ),
}


def _describe(action: str, done: Tampered) -> str:
    """The CIDs only: the key and owner stay out of the output."""
    return f"{action}: {done.key_type} at {done.participant}, CID {done.old_cid or '-'} -> {done.new_cid or '-'}"
