"""Record a settled Pix transaction in the simulated SPI's ledger and print it as JSON."""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dict_rules.errors import BadRequest, DomainError
from dict_rules.med_rules import amount_from_text
from dictsim import spi
from dictsim.management.commands.dictsim_clock import parse_duration


class Command(BaseCommand):
    help = (
        "Record a payment (or refund) to a key as settled by the SPI; --ago 3d backdates it on the directory's clock."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--e2e", required=True, help="the EndToEndId (32 characters)")
        parser.add_argument("--payer-participant", required=True, help="the payer's ISPB")
        parser.add_argument("--payer-tax-id", required=True, help="the payer's CPF or CNPJ")
        parser.add_argument("--key", required=True, help="the receiver's key")
        parser.add_argument("--amount", required=True, help="e.g. 100.00")
        parser.add_argument("--ago", metavar="DURATION", help="settled this long ago: 7d, 36h or 90m")
        parser.add_argument("--kind", choices=spi.KINDS, default="PAYMENT")
        parser.add_argument("--not-settled", action="store_true", help="recorded but not settled")

    def handle(self, *args, **options) -> None:
        try:
            ago = parse_duration(options["ago"]) if options["ago"] else None
        except CommandError:
            raise CommandError(f"--ago takes a duration like 3d, 36h or 90m, not {options['ago']!r}.") from None
        try:
            tx = spi.settle(
                end_to_end_id=options["e2e"],
                payer_participant=options["payer_participant"],
                payer_tax_id=options["payer_tax_id"],
                receiver_key=options["key"],
                amount=amount_from_text(options["amount"], BadRequest),
                settled_at=None if ago is None else spi.settled_ago(int(ago.total_seconds())),
                kind=options["kind"],
                settled=not options["not_settled"],
            )
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        self.stdout.write(json.dumps(spi.to_json(tx)))
