"""Write use cases of the RFB port: checking an owner against the registry, and setting the
simulated registry's data."""

import logging

from django.utils import timezone

from dict_rules.directory import Owner
from dict_rules.errors import OwnerNameMismatch, OwnerTaxIdIrregular
from dict_rules.rfb import RfbStatus, check_owner
from dict_rules.tax_ids import PersonType, person_type_for_tax_id
from rfb.client import registry_lookup
from rfb.models import Outcome, RfbCheck, SimulatedRegistration

logger = logging.getLogger(__name__)


def rfb_check(owner: Owner) -> RfbCheck:
    """Check an owner at Receita Federal now; record the answer; refuse an owner who may not hold keys.

    Called with no transaction open (the registry may be slow), before anything is written: a
    refusal is OwnerTaxIdIrregular or OwnerNameMismatch, an unreachable registry ServiceUnavailable
    (retryable; nothing goes on unchecked). The last answer per tax id is kept for the back-office.
    """
    record = registry_lookup(owner.tax_id)
    refusal: OwnerTaxIdIrregular | OwnerNameMismatch | None = None
    try:
        check_owner(
            person_type=PersonType(owner.person_type), name=owner.name, trade_name=owner.trade_name, record=record
        )
    except (OwnerTaxIdIrregular, OwnerNameMismatch) as error:
        refusal = error
    outcome = Outcome(refusal.code) if refusal else Outcome.OK
    check, _ = RfbCheck.objects.update_or_create(
        tax_id=owner.tax_id, defaults={"status": record.status, "outcome": outcome, "checked_at": timezone.now()}
    )
    if refusal is not None:
        logger.info("RFB check refused an owner: %s (%s)", refusal.code, record.status)
        raise refusal
    return check


def simulated_registration_set(
    *,
    tax_id: str,
    status: str,
    name: str = "",
    social_name: str = "",
    trade_name: str = "",
    mei: bool = False,
    suspended_under_cgsim_36: bool = False,
    unfit_under_in_2119_art_38_i: bool = False,
) -> SimulatedRegistration:
    """Say what the simulated registry answers for a tax id from now on (idempotent)."""
    person_type_for_tax_id(tax_id)  # a valid CPF or CNPJ, or TaxIdInvalid
    row, _ = SimulatedRegistration.objects.update_or_create(
        tax_id=tax_id,
        defaults={
            "status": RfbStatus(status),
            "name": name,
            "social_name": social_name,
            "trade_name": trade_name,
            "mei": mei,
            "suspended_under_cgsim_36": suspended_under_cgsim_36,
            "unfit_under_in_2119_art_38_i": unfit_under_in_2119_art_38_i,
        },
    )
    return row


def simulated_registration_clear(*, tax_id: str) -> bool:
    """Forget a tax id in the simulated registry (regular again, names unchecked); whether it had a row."""
    deleted, _ = SimulatedRegistration.objects.filter(tax_id=tax_id).delete()
    return bool(deleted)
