"""The embedded default's registry: the rows of SimulatedRegistration, set by an operator or a test.

A tax id without a row is regular and has no names to compare, so every flow works until someone
says otherwise. The read is one row by a unique index, so the timeout has nothing to bound here.
"""

from dict_rules.rfb import RegistryRecord, RfbStatus
from rfb.models import SimulatedRegistration


class SimulatedRegistry:
    def lookup(self, tax_id: str, *, timeout: float) -> RegistryRecord:
        row = SimulatedRegistration.objects.filter(tax_id=tax_id).first()
        if row is None:
            return RegistryRecord(tax_id=tax_id, status=RfbStatus.REGULAR)
        return RegistryRecord(
            tax_id=tax_id,
            status=RfbStatus(row.status),
            name=row.name,
            social_name=row.social_name,
            trade_name=row.trade_name,
            mei=row.mei,
            suspended_under_cgsim_36=row.suspended_under_cgsim_36,
            unfit_under_in_2119_art_38_i=row.unfit_under_in_2119_art_38_i,
        )
