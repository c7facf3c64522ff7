"""Set what the simulated RFB registry answers for a tax id (the embedded default's registry)."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dict_rules.errors import DomainError
from dict_rules.rfb import RfbStatus
from rfb.services import simulated_registration_clear, simulated_registration_set


class Command(BaseCommand):
    help = "Set (or --clear) the simulated Receita Federal registry's answer for one tax id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tax_id", help="CPF or CNPJ, digits only")
        parser.add_argument("--status", choices=[status.value for status in RfbStatus], default=RfbStatus.REGULAR)
        parser.add_argument("--name", default="", help="the registered (civil or company) name")
        parser.add_argument("--social-name", default="", help="a natural person's registered social name")
        parser.add_argument("--trade-name", default="", help="a legal person's registered trade name")
        parser.add_argument("--mei", action="store_true", help="the CNPJ is a MEI's")
        parser.add_argument("--cgsim-36", action="store_true", help="suspended only under CGSIM Resolution 36/2016")
        parser.add_argument("--art-38-i", action="store_true", help="unfit under IN RFB 2.119/2022 art. 38 I")
        parser.add_argument("--clear", action="store_true", help="forget the tax id: regular, names unchecked")

    def handle(self, *args, tax_id: str, clear: bool, **options) -> None:
        if clear:
            simulated_registration_clear(tax_id=tax_id)
            self.stdout.write("cleared")
            return
        try:
            row = simulated_registration_set(
                tax_id=tax_id,
                status=options["status"],
                name=options["name"],
                social_name=options["social_name"],
                trade_name=options["trade_name"],
                mei=options["mei"],
                suspended_under_cgsim_36=options["cgsim_36"],
                unfit_under_in_2119_art_38_i=options["art_38_i"],
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"set: {row.status}")
